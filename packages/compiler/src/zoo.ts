/**
 * The model zoo of @fastvlm/models as a source: `resnet50`, `mci0`, `distilbert`, ... (one unit,
 * function `main`), built at the precision asked for with deterministic synthetic weights.
 * @module
 */
import type { FloatDType } from '@fastvlm/graph';
import { type ZooBuildOptions, buildZooModel, zooEntry } from '@fastvlm/models';
import { type CompileUnit, type ResolvedSource, genericMetadata } from './units.js';

/** A zoo model to compile or analyze. */
export interface ZooSource {
  readonly kind: 'zoo';
  /** A zoo name (`ZOO_NAMES` of @fastvlm/models). */
  readonly model: string;
  /** Image side (image models). */
  readonly resolution?: number;
  /** Tokens (text models). */
  readonly sequenceLength?: number;
  /** Cached positions (decode models). */
  readonly contextLength?: number;
  /** Seed of the synthetic weights (default 0). */
  readonly seed?: number;
}

/** Resolves a zoo source into its one unit; an unknown name is the zoo's `E_MODEL_CONFIG` listing the zoo. */
export function resolveZoo(src: ZooSource, precision: FloatDType): ResolvedSource {
  const entry = zooEntry(src.model);
  const opts: ZooBuildOptions = {
    ...(src.resolution !== undefined ? { resolution: src.resolution } : {}),
    ...(src.sequenceLength !== undefined ? { sequenceLength: src.sequenceLength } : {}),
    ...(src.contextLength !== undefined ? { contextLength: src.contextLength } : {}),
    ...(src.seed !== undefined ? { seed: src.seed } : {}),
  };
  const unit: CompileUnit = {
    task: entry.name,
    part: entry.name,
    buildDetail: `${precision}, synthetic weights, seed ${src.seed ?? 0}`,
    buildsAtPrecision: true,
    build: (ctx) => buildZooModel(entry.name, { ...opts, dtype: ctx.precision }).program,
    imageInputs: entry.input.kind === 'image' ? ['images'] : [],
    defaultImageInput: 'tensor',
    inputs: {},
    fp32Outputs: [],
    isParameter: () => true,
    metadata: (facts) => genericMetadata(facts, { shortDescription: entry.summary, userDefined: { 'fastvlm.model': entry.name } }),
  };
  return { name: entry.name, units: [unit], reportOptions: { zoo: entry.name, ...opts }, notes: [] };
}
