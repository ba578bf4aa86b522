/**
 * `buildFastVlm`: the compiled parts of FastVLM as Programs of static-shaped functions. The
 * vision part holds `vision` (image -> projected image features); the LLM part holds `embed`,
 * `embed_token`, `prefill` and `decode`, which share one weight store.
 * @module
 */
import { type FloatDType, type Program, type StaticShape, WeightStore, formatShape, graph, shapeEq } from '@fastvlm/graph';
import { type FastVlmConfig, imageTokens, resolveConfig, visionStride } from './config.js';
import { modelError } from './errors.js';
import type { BuildCtx } from './layers.js';
import { type ModelPart, isBufferName, isCheckpointName, partOfTensor } from './names.js';
import { buildDecode, buildEmbed, buildEmbedToken, buildPrefill } from './qwen2.js';
import { fastVitHd, projector } from './vision.js';

/** The parts, in build order. */
export const MODEL_PARTS: readonly ModelPart[] = ['vision', 'llm'];

/** Options of {@link buildFastVlm}. */
export interface BuildOptions {
  /** Image side R, a multiple of 64 (default: the config's, 1024 for the FastVLM presets). */
  readonly resolution?: number;
  /** KV-cache length C (default: the config's, 1024 for the presets). */
  readonly contextLength?: number;
  /** Prefill length S <= C (default: the config's, 512 for the presets, capped at a given `contextLength`). */
  readonly prefillLength?: number;
  /** Parts to build (default both). */
  readonly parts?: readonly ModelPart[];
  /**
   * Weights by checkpoint name (e.g. from {@link loadCheckpoint}); each part takes the tensors of
   * its own names, and every missing or wrongly typed tensor is reported in one
   * `E_CHECKPOINT_TENSORS` error. Absent: deterministic synthetic weights.
   */
  readonly weights?: WeightStore;
  /** Dtype of weights and activations (default fp32). Inputs `images` stay fp32 and are cast. */
  readonly dtype?: FloatDType;
  /** Seed of the synthetic weights (default 0). */
  readonly seed?: number;
  /**
   * Channel order of the `images` input (default `rgb`, the order FastVLM was trained on). With
   * `bgr` the vision function reverses the channels first (one strided slice), for an app or a
   * Core ML image input that hands over B, G, R.
   */
  readonly imageChannels?: 'rgb' | 'bgr';
}

/** Resolved sizes of a build. */
export interface BuildShapes {
  readonly resolution: number;
  readonly contextLength: number;
  readonly prefillLength: number;
  /** Image tokens (R/64)^2. */
  readonly imageTokens: number;
}

/** What {@link buildFastVlm} returns. */
export interface FastVlmPrograms extends BuildShapes {
  readonly config: FastVlmConfig;
  readonly dtype: FloatDType;
  /** Function `vision`, when the vision part was asked for. */
  readonly vision?: Program;
  /** Functions `embed`, `embed_token`, `prefill`, `decode`, when the LLM part was asked for. */
  readonly llm?: Program;
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/** Validates and fills in the sizes; every bad option is an `E_MODEL_OPTION` error naming it. */
export function resolveShapes(config: FastVlmConfig, opts: Pick<BuildOptions, 'resolution' | 'contextLength' | 'prefillLength'> = {}): BuildShapes {
  const R = opts.resolution ?? config.defaults.resolution;
  const C = opts.contextLength ?? config.defaults.contextLength;
  const S = opts.prefillLength ?? (opts.contextLength !== undefined ? Math.min(config.defaults.prefillLength, C) : config.defaults.prefillLength);
  const stride = visionStride(config.vision);
  if (!isPosInt(R) || R % stride !== 0) {
    throw modelError('E_MODEL_OPTION', `resolution must be a positive multiple of ${stride} (the encoder's total stride), found ${String(R)}`, { where: 'resolution', details: { expected: `multiple of ${stride}`, found: String(R) } });
  }
  if (!isPosInt(C)) throw modelError('E_MODEL_OPTION', `contextLength must be a positive integer, found ${String(C)}`, { where: 'contextLength' });
  if (!isPosInt(S)) throw modelError('E_MODEL_OPTION', `prefillLength must be a positive integer, found ${String(S)}`, { where: 'prefillLength' });
  if (S > C) throw modelError('E_MODEL_OPTION', `prefillLength ${S} must be <= contextLength ${C}`, { where: 'prefillLength', details: { prefillLength: S, contextLength: C } });
  return { resolution: R, contextLength: C, prefillLength: S, imageTokens: imageTokens(config.vision, R) };
}

/** @internal Validates the `parts` option (default both). */
export function checkParts(parts: readonly ModelPart[] | undefined): readonly ModelPart[] {
  if (parts === undefined) return MODEL_PARTS;
  if (!Array.isArray(parts) || parts.length === 0 || parts.some((p) => !MODEL_PARTS.includes(p))) {
    throw modelError('E_MODEL_OPTION', `parts must be a non-empty list of ${MODEL_PARTS.map((p) => `'${p}'`).join(', ')}, found ${JSON.stringify(parts)}`, { where: 'parts' });
  }
  return MODEL_PARTS.filter((p) => parts.includes(p));
}

/** @internal Validates the `dtype` option (default fp32). */
export function checkDtype(dtype: FloatDType | undefined): FloatDType {
  const d = dtype ?? 'fp32';
  if (d !== 'fp32' && d !== 'fp16') throw modelError('E_MODEL_OPTION', `dtype must be 'fp32' or 'fp16', found ${JSON.stringify(d)}`, { where: 'dtype' });
  return d;
}

/** Builds one part into `store`. */
function buildPart(
  part: ModelPart,
  config: FastVlmConfig,
  shapes: BuildShapes,
  store: WeightStore,
  dtype: FloatDType,
  mode: 'synthesize' | 'error',
  seed: number,
  imageChannels: 'rgb' | 'bgr' = 'rgb',
): Program {
  const g = graph({ weights: store, missingWeights: mode, seed, locations: false });
  if (part === 'vision') {
    const f = g.function('vision');
    const c: BuildCtx = { f, dtype };
    const R = shapes.resolution;
    const input = f.input('images', 'fp32', [1, 3, R, R]);
    // B, G, R -> R, G, B: begin at channel 2 and walk back past channel 0 (end -(3 + 1)).
    const images = imageChannels === 'bgr' ? f.slice(input, { begin: [0, 2, 0, 0], end: [1, -4, R, R], strides: [1, -1, 1, 1] }) : input;
    const x = dtype === 'fp32' ? images : f.cast(images, { dtype }).asRank(4);
    f.output({ image_features: projector(c, fastVitHd(c, x, config.vision), config.llm.hiddenSize) });
  } else {
    buildEmbed({ f: g.function('embed'), dtype }, config.llm, shapes.prefillLength);
    buildEmbedToken({ f: g.function('embed_token'), dtype }, config.llm);
    buildPrefill({ f: g.function('prefill'), dtype, weights: store }, config.llm, shapes.prefillLength, shapes.contextLength);
    buildDecode({ f: g.function('decode'), dtype, weights: store }, config.llm, shapes.contextLength);
  }
  return g.build();
}

/** One tensor the model reads from a checkpoint. */
export interface ManifestEntry {
  readonly name: string;
  readonly dtype: FloatDType;
  readonly shape: StaticShape;
  /** `parameter`, or `buffer` for BatchNorm running statistics (not counted as parameters). */
  readonly kind: 'parameter' | 'buffer';
  readonly part: ModelPart;
}

/**
 * The checkpoint tensors referenced by a built program's functions (deduplicated, in order of first
 * use; derived tables such as RoPE excluded).
 */
export function programTensors(program: Program): ManifestEntry[] {
  const seen = new Map<string, ManifestEntry>();
  for (const fn of program.functions.values()) {
    for (const op of fn.body.ops) {
      const name = op.kind === 'const' ? op.attrs['weight'] : undefined;
      if (typeof name !== 'string' || seen.has(name) || !isCheckpointName(name)) continue;
      const t = op.outputs[0]!.type;
      seen.set(name, { name, dtype: t.dtype as FloatDType, shape: t.shape as StaticShape, kind: isBufferName(name) ? 'buffer' : 'parameter', part: partOfTensor(name) });
    }
  }
  return [...seen.values()];
}

/**
 * Every checkpoint tensor the given parts read, from a build at the smallest sizes (parameter
 * shapes do not depend on R, C or S).
 */
export function parameterManifest(config: string | FastVlmConfig, opts: { parts?: readonly ModelPart[]; dtype?: FloatDType } = {}): ManifestEntry[] {
  const cfg = resolveConfig(config);
  const shapes = resolveShapes(cfg, { resolution: visionStride(cfg.vision), contextLength: 2, prefillLength: 1 });
  const dtype = checkDtype(opts.dtype);
  return checkParts(opts.parts).flatMap((part) => programTensors(buildPart(part, cfg, shapes, new WeightStore(), dtype, 'synthesize', 0)));
}

/** Lists every manifest tensor that `store` lacks or holds with another dtype or shape, in one error. */
export function checkWeights(store: WeightStore, manifest: readonly ManifestEntry[], what = 'the weight store'): void {
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const e of manifest) {
    if (!store.has(e.name)) missing.push(`${e.name} (${e.dtype}${formatShape(e.shape)})`);
    else {
      const info = store.info(e.name);
      if (info.dtype !== e.dtype || !shapeEq(info.shape, e.shape)) wrong.push(`${e.name}: expected ${e.dtype}${formatShape(e.shape)}, found ${info.dtype}${formatShape(info.shape)}`);
    }
  }
  if (missing.length || wrong.length) {
    const lines = [...missing.map((m) => `missing: ${m}`), ...wrong.map((w) => `wrong type or shape: ${w}`)];
    throw modelError('E_CHECKPOINT_TENSORS', `${what} does not match the model: ${missing.length} missing, ${wrong.length} wrongly typed or shaped\n  ${lines.join('\n  ')}`, {
      where: what,
      details: { missing: missing.map((m) => m.split(' ')[0]!), mismatched: wrong.map((w) => w.split(':')[0]!) },
    });
  }
}

/**
 * Builds FastVLM for `config` (a preset name or a config object): the `vision` Program (function
 * `vision`: `images` fp32 `[1, 3, R, R]` -> `image_features` `[1, (R/64)^2, H]`) and the `llm`
 * Program (functions `embed` (S token ids), `embed_token` (one token id, for `decode`), `prefill`,
 * `decode`, sharing weights: the embedding table is one tensor for both embeds). Each part gets its own
 * WeightStore holding only its tensors (plus derived RoPE tables).
 */
export function buildFastVlm(config: string | FastVlmConfig, opts: BuildOptions = {}): FastVlmPrograms {
  const cfg = resolveConfig(config);
  const shapes = resolveShapes(cfg, opts);
  const parts = checkParts(opts.parts);
  const dtype = checkDtype(opts.dtype);
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw modelError('E_MODEL_OPTION', `seed must be a non-negative safe integer, found ${String(seed)}`, { where: 'seed' });
  if (opts.weights !== undefined && !(opts.weights instanceof WeightStore)) throw modelError('E_MODEL_OPTION', 'weights must be a WeightStore', { where: 'weights' });
  const channels = opts.imageChannels ?? 'rgb';
  if (channels !== 'rgb' && channels !== 'bgr') throw modelError('E_MODEL_OPTION', `imageChannels must be 'rgb' or 'bgr', found ${JSON.stringify(channels)}`, { where: 'imageChannels' });
  if (opts.weights) checkWeights(opts.weights, parameterManifest(cfg, { parts, dtype }));
  const programs: { vision?: Program; llm?: Program } = {};
  for (const part of parts) {
    const store = new WeightStore();
    if (opts.weights) {
      for (const name of opts.weights.names()) if (isCheckpointName(name) && partOfTensor(name) === part) store.add(name, opts.weights.source(name));
    }
    programs[part] = buildPart(part, cfg, shapes, store, dtype, opts.weights ? 'error' : 'synthesize', seed, channels);
  }
  return { config: cfg, dtype, ...shapes, ...programs };
}

/**
 * Deterministic synthetic weights of every checkpoint tensor of the given parts (only checkpoint
 * names, so the store can be written as a checkpoint), with the scales of {@link ParamRole}.
 */
export function syntheticWeights(config: string | FastVlmConfig, opts: { parts?: readonly ModelPart[]; dtype?: FloatDType; seed?: number } = {}): WeightStore {
  const cfg = resolveConfig(config);
  const shapes = resolveShapes(cfg, { resolution: visionStride(cfg.vision), contextLength: 2, prefillLength: 1 });
  const dtype = checkDtype(opts.dtype);
  const out = new WeightStore();
  for (const part of checkParts(opts.parts)) {
    const store = new WeightStore();
    const program = buildPart(part, cfg, shapes, store, dtype, 'synthesize', opts.seed ?? 0);
    for (const e of programTensors(program)) out.add(e.name, store.source(e.name));
  }
  return out;
}
