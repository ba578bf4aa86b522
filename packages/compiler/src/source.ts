/**
 * The sources the pipeline accepts and their resolution into units: a Program built with the
 * DSL (or a function building one), a FastVLM preset name or description, and a lifted
 * `.mlpackage`.
 * @module
 */
import { type FloatDType, Program, type WeightStore } from '@fastvlm/graph';
import { type InputOptions, type MetadataOptions, liftProgram, readMlPackage } from '@fastvlm/emit-coreml';
import { CONFIGS, CONFIG_NAMES, ZOO_NAMES, isZooModel } from '@fastvlm/models';
import { sourceError } from './errors.js';
import { type FastVlmSource, resolveFastVlm } from './fastvlm.js';
import { type ZooSource, resolveZoo } from './zoo.js';
import { type CompileUnit, type ResolvedSource, genericMetadata } from './units.js';

/** A Program to compile, with how to present it. */
export interface ProgramSource {
  readonly kind: 'program';
  /** The program, or a function building it (called once, when its turn comes). */
  readonly program: Program | (() => Program | Promise<Program>);
  /** Base name of the package files and of the report (`<name>.mlpackage`); a file-name-safe word. */
  readonly name: string;
  /**
   * fp32 `[1, 3, H, W]` inputs that the `imageInput` option declares as Core ML images, or
   * `auto` for every such input (default: none, so every input stays a tensor whatever
   * `imageInput` says).
   */
  readonly imageInputs?: readonly string[] | 'auto';
  /** Lowering feature options by input name (enumerated shapes, descriptions). */
  readonly inputs?: Readonly<Record<string, InputOptions>>;
  /** fp16 outputs made fp32 at the boundary (default none). */
  readonly fp32Outputs?: readonly string[];
  /** Package metadata; the pipeline adds the `fastvlm.*` compile facts to `userDefined`. */
  readonly metadata?: MetadataOptions;
}

/** An existing `.mlpackage` (ours or coremltools'), lifted back to the IR and compiled again. */
export interface PackageSource {
  readonly kind: 'mlpackage';
  readonly path: string;
  /** Base name of the new package files (default: the package's file name without `.mlpackage`). */
  readonly name?: string;
}

/**
 * What {@link compile} compiles: a Program (named `model`), a FastVLM preset name
 * (`fastvlm-0.5b`, `tiny`...) or zoo name (`resnet50`, `mci0`...), or one of the source descriptions.
 */
export type CompileSource = Program | string | FastVlmSource | ZooSource | ProgramSource | PackageSource;

/** File-name-safe names: letters, digits, `.`, `_` and `-`, not starting with `.` or `-`. */
export const SOURCE_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

function checkName(name: string, where: string): string {
  if (typeof name !== 'string' || !SOURCE_NAME_RE.test(name)) {
    throw sourceError(`${where}: the name ${JSON.stringify(name)} cannot name package files (letters, digits, '.', '_', '-'; not starting with '.' or '-')`, { where });
  }
  return name;
}

function programUnit(src: ProgramSource): CompileUnit {
  const name = checkName(src.name, 'source.name');
  const build = src.program;
  return {
    task: name,
    part: name,
    buildDetail: 'program',
    buildsAtPrecision: false,
    build: async () => {
      const p = typeof build === 'function' ? await build() : build;
      if (!(p instanceof Program)) throw sourceError(`source '${name}': expected a Program (from graph().build()), found ${describe(p)}`, { where: name });
      return p;
    },
    imageInputs: src.imageInputs ?? [],
    defaultImageInput: 'tensor',
    inputs: src.inputs ?? {},
    fp32Outputs: src.fp32Outputs ?? [],
    isParameter: () => true,
    metadata: (facts) => genericMetadata(facts, src.metadata),
  };
}

/** A short description of a value that is not what was expected. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `an object of ${(v as object).constructor?.name ?? 'no class'}`;
  return typeof v === 'function' ? 'a function' : `${typeof v} ${JSON.stringify(v)}`;
}

function packageUnit(src: PackageSource): CompileUnit {
  const base = src.path.replace(/\/+$/, '').split('/').pop() ?? '';
  const name = checkName(src.name ?? base.replace(/\.mlpackage$/, ''), 'source.name');
  let weights: WeightStore | undefined;
  return {
    task: name,
    part: name,
    buildDetail: `lifted from ${src.path}`,
    buildsAtPrecision: false,
    build: () => {
      const pkg = readMlPackage(src.path);
      const program = liftProgram(pkg.model, pkg.weightsPath);
      weights = program.weights;
      return program;
    },
    imageInputs: [],
    defaultImageInput: 'tensor',
    inputs: {},
    fp32Outputs: [],
    isParameter: (w) => weights === undefined || weights.has(w),
    metadata: (facts) => genericMetadata(facts),
  };
}

/**
 * Resolves a source into units for a build at `precision`. A string names a FastVLM preset or a
 * zoo model; an unknown one is `E_COMPILE_SOURCE` listing the known names.
 */
export function resolveSource(source: CompileSource, precision: FloatDType, onLoad: (label: string, detail: string) => void): ResolvedSource {
  if (source instanceof Program) return { name: 'model', units: [programUnit({ kind: 'program', program: source, name: 'model' })], reportOptions: {}, notes: [] };
  if (typeof source === 'string') {
    if (Object.prototype.hasOwnProperty.call(CONFIGS, source)) return resolveFastVlm({ kind: 'fastvlm', model: source }, precision, onLoad);
    if (isZooModel(source)) return resolveZoo({ kind: 'zoo', model: source }, precision);
    throw sourceError(`unknown model '${source}'; presets: ${CONFIG_NAMES.join(', ')}; zoo: ${ZOO_NAMES.join(', ')}`, { where: source, details: { found: source, allowed: [...CONFIG_NAMES, ...ZOO_NAMES] } });
  }
  if (source === null || typeof source !== 'object' || !('kind' in source)) {
    throw sourceError(`expected a Program, a preset or zoo name or a source object ({ kind: 'fastvlm' | 'zoo' | 'program' | 'mlpackage', ... }), found ${describe(source)}`, { where: 'source' });
  }
  switch (source.kind) {
    case 'fastvlm':
      return resolveFastVlm(source, precision, onLoad);
    case 'zoo':
      return resolveZoo(source, precision);
    case 'program':
      return { name: checkName(source.name, 'source.name'), units: [programUnit(source)], reportOptions: {}, notes: [] };
    case 'mlpackage': {
      const unit = packageUnit(source);
      return { name: unit.task, units: [unit], reportOptions: { package: source.path }, notes: [] };
    }
    default:
      throw sourceError(`unknown source kind ${JSON.stringify((source as { kind: unknown }).kind)}; expected 'fastvlm', 'zoo', 'program' or 'mlpackage'`, { where: 'source.kind' });
  }
}
