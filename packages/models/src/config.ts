/**
 * Model configurations: FastViTHD (vision), the Qwen2 language model, and build defaults, with
 * the presets `fastvlm-0.5b`, `fastvlm-1.5b`, `fastvlm-7b` and `tiny`.
 * @module
 */
import { modelError } from './errors.js';

/** The block kind of a FastViTHD stage. */
export type StageType = 'repmixer' | 'attention';

/** FastViTHD, the vision encoder (inference form). */
export interface VisionConfig {
  /** Channels of each stage, e.g. `[96, 192, 384, 768, 1536]`. Each divides the next. */
  readonly widths: readonly number[];
  /** Blocks of each stage, e.g. `[2, 12, 24, 4, 2]`. */
  readonly depths: readonly number[];
  /** ConvFFN hidden width = `mlpRatio * width`. */
  readonly mlpRatio: number;
  /** Block kind of each stage. Attention stages get a RepCPE in front. */
  readonly stageTypes: readonly StageType[];
  /** Head dimension of the attention stages (32 in FastViTHD). */
  readonly headDim: number;
  /** Channels of `conv_exp`, the width of the image features (3072). A multiple of the last width. */
  readonly outChannels: number;
  /** Output width of the unused CLIP head `head.proj` `[outChannels, clipHeadDim]` (768); counted only on request, never built. */
  readonly clipHeadDim: number;
}

/** The Qwen2 decoder. */
export interface LlmConfig {
  /** Hidden size H (also the projector's output width). */
  readonly hiddenSize: number;
  readonly numHiddenLayers: number;
  /** Query heads. */
  readonly numAttentionHeads: number;
  /** Key/value heads (grouped-query attention); divides `numAttentionHeads`. */
  readonly numKeyValueHeads: number;
  /** Head dimension (even, for RoPE). */
  readonly headDim: number;
  /** SwiGLU width. */
  readonly intermediateSize: number;
  readonly vocabSize: number;
  /** RoPE base (1e6 for Qwen2). */
  readonly ropeTheta: number;
  /** RMSNorm epsilon (1e-6 for Qwen2). */
  readonly rmsNormEps: number;
  /** When true `lm_head` reuses `model.embed_tokens.weight` and has no tensor of its own. */
  readonly tieWordEmbeddings: boolean;
}

/** Build defaults of a configuration. */
export interface BuildDefaults {
  /** Image side R (a multiple of the encoder's stride, 64). */
  readonly resolution: number;
  /** KV-cache length C. */
  readonly contextLength: number;
  /** Prefill length S (<= C). */
  readonly prefillLength: number;
}

/** A whole FastVLM: vision encoder, `mlp2x_gelu` projector (`outChannels -> H -> H`) and LLM. */
export interface FastVlmConfig {
  readonly name: string;
  readonly vision: VisionConfig;
  readonly llm: LlmConfig;
  readonly defaults: BuildDefaults;
}

/** Ratio of the squeeze-excite block of `conv_exp`: reduced channels = floor(C * 0.0625). */
export const SE_RATIO = 0.0625;

/** LayerNorm epsilon of the attention blocks and BatchNorm epsilon of ConvFFN. */
export const VISION_NORM_EPS = 1e-5;

/** FastViTHD (MobileCLIP's MCi3 image encoder), the vision tower of the FastVLM presets. */
export const FASTVITHD: VisionConfig = {
  widths: [96, 192, 384, 768, 1536],
  depths: [2, 12, 24, 4, 2],
  mlpRatio: 4,
  stageTypes: ['repmixer', 'repmixer', 'repmixer', 'attention', 'attention'],
  headDim: 32,
  outChannels: 3072,
  clipHeadDim: 768,
};

// Context 1024 holds the 256 image tokens of a 1024^2 image plus a long answer; prefill 512
// holds the image tokens plus a 256-token prompt.
const FULL_DEFAULTS: BuildDefaults = { resolution: 1024, contextLength: 1024, prefillLength: 512 };

const QWEN2_COMMON = { ropeTheta: 1e6, rmsNormEps: 1e-6 } as const;

/**
 * The presets. The LLM dims are Qwen2-0.5B / 1.5B / 7B. `tieWordEmbeddings` is false for all
 * three as in the FastVLM-0.5B checkpoint; {@link loadCheckpoint} takes the flag from the
 * checkpoint's config.json.
 */
export const CONFIGS: Readonly<Record<'fastvlm-0.5b' | 'fastvlm-1.5b' | 'fastvlm-7b' | 'tiny', FastVlmConfig>> = {
  'fastvlm-0.5b': {
    name: 'fastvlm-0.5b',
    vision: FASTVITHD,
    llm: { hiddenSize: 896, numHiddenLayers: 24, numAttentionHeads: 14, numKeyValueHeads: 2, headDim: 64, intermediateSize: 4864, vocabSize: 151936, ...QWEN2_COMMON, tieWordEmbeddings: false },
    defaults: FULL_DEFAULTS,
  },
  'fastvlm-1.5b': {
    name: 'fastvlm-1.5b',
    vision: FASTVITHD,
    llm: { hiddenSize: 1536, numHiddenLayers: 28, numAttentionHeads: 12, numKeyValueHeads: 2, headDim: 128, intermediateSize: 8960, vocabSize: 151936, ...QWEN2_COMMON, tieWordEmbeddings: false },
    defaults: FULL_DEFAULTS,
  },
  'fastvlm-7b': {
    name: 'fastvlm-7b',
    vision: FASTVITHD,
    llm: { hiddenSize: 3584, numHiddenLayers: 28, numAttentionHeads: 28, numKeyValueHeads: 4, headDim: 128, intermediateSize: 18944, vocabSize: 152064, ...QWEN2_COMMON, tieWordEmbeddings: false },
    defaults: FULL_DEFAULTS,
  },
  // Small enough for the interpreter to run every function in well under a second, yet with the
  // full structure: 5 stages, several blocks per stage, GQA with 2 query heads per KV head, an
  // MLP ratio other than 4 and an untied head.
  tiny: {
    name: 'tiny',
    vision: { widths: [8, 16, 32, 64, 128], depths: [2, 1, 2, 2, 1], mlpRatio: 3, stageTypes: ['repmixer', 'repmixer', 'repmixer', 'attention', 'attention'], headDim: 16, outChannels: 256, clipHeadDim: 32 },
    llm: { hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 16, intermediateSize: 96, vocabSize: 128, ...QWEN2_COMMON, tieWordEmbeddings: false },
    defaults: { resolution: 128, contextLength: 16, prefillLength: 6 },
  },
};

/** The preset names. */
export type ConfigName = keyof typeof CONFIGS;

/** The preset names, in a stable order. */
export const CONFIG_NAMES: readonly ConfigName[] = ['fastvlm-0.5b', 'fastvlm-1.5b', 'fastvlm-7b', 'tiny'];

/** A preset by name; `E_MODEL_CONFIG` listing the known names otherwise. */
export function getConfig(name: string): FastVlmConfig {
  if (!Object.prototype.hasOwnProperty.call(CONFIGS, name)) {
    throw modelError('E_MODEL_CONFIG', `unknown model configuration '${name}'; expected one of ${CONFIG_NAMES.join(', ')}`, { where: String(name) });
  }
  return CONFIGS[name as ConfigName];
}

/** A config given by preset name or as an object; objects are validated. */
export function resolveConfig(config: string | FastVlmConfig): FastVlmConfig {
  return typeof config === 'string' ? getConfig(config) : validateConfig(config);
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

/**
 * Checks a configuration's internal consistency and returns it. Every problem is listed in one
 * `E_MODEL_CONFIG` error (field, expected, found).
 */
export function validateConfig(config: FastVlmConfig): FastVlmConfig {
  const problems: string[] = [];
  const where = typeof config?.name === 'string' ? config.name : 'config';
  if (config === null || typeof config !== 'object') {
    throw modelError('E_MODEL_CONFIG', `a model configuration must be an object, got ${String(config)}`, { where });
  }
  const v = config.vision;
  const l = config.llm;
  const d = config.defaults;
  if (v === null || typeof v !== 'object') problems.push('vision: expected an object');
  if (l === null || typeof l !== 'object') problems.push('llm: expected an object');
  if (d === null || typeof d !== 'object') problems.push('defaults: expected an object');
  if (problems.length) throw modelError('E_MODEL_CONFIG', `invalid configuration '${where}': ${problems.join('; ')}`, { where });

  const intField = (obj: object, path: string, key: string): number | undefined => {
    const val = (obj as Record<string, unknown>)[key];
    if (!isPosInt(val)) {
      problems.push(`${path}.${key}: expected a positive integer, found ${JSON.stringify(val)}`);
      return undefined;
    }
    return val;
  };
  // Vision.
  const n = Array.isArray(v.widths) ? v.widths.length : -1;
  if (n < 1) problems.push(`vision.widths: expected a non-empty list, found ${JSON.stringify(v.widths)}`);
  for (const key of ['depths', 'stageTypes'] as const) {
    if (!Array.isArray(v[key]) || v[key].length !== n) problems.push(`vision.${key}: expected a list of ${n} entries (one per stage), found ${JSON.stringify(v[key])}`);
  }
  const headDim = intField(v, 'vision', 'headDim');
  intField(v, 'vision', 'mlpRatio');
  const outC = intField(v, 'vision', 'outChannels');
  intField(v, 'vision', 'clipHeadDim');
  if (n >= 1) {
    v.widths.forEach((w, i) => {
      if (!isPosInt(w)) problems.push(`vision.widths[${i}]: expected a positive integer, found ${JSON.stringify(w)}`);
      else if (i > 0 && isPosInt(v.widths[i - 1]) && w % v.widths[i - 1]! !== 0) problems.push(`vision.widths[${i}]: ${w} must be a multiple of the previous width ${v.widths[i - 1]} (the downsampling conv has groups = its input channels)`);
    });
    if (Array.isArray(v.depths)) v.depths.forEach((x, i) => isPosInt(x) || problems.push(`vision.depths[${i}]: expected a positive integer, found ${JSON.stringify(x)}`));
    if (Array.isArray(v.stageTypes)) {
      v.stageTypes.forEach((t, i) => {
        if (t !== 'repmixer' && t !== 'attention') problems.push(`vision.stageTypes[${i}]: expected 'repmixer' or 'attention', found ${JSON.stringify(t)}`);
        else if (t === 'attention' && headDim !== undefined && isPosInt(v.widths[i]) && v.widths[i]! % headDim !== 0) problems.push(`vision.widths[${i}]: ${v.widths[i]} must be a multiple of headDim ${headDim} (attention stage)`);
      });
    }
    const last = v.widths[n - 1];
    if (outC !== undefined && isPosInt(last)) {
      if (outC % last !== 0) problems.push(`vision.outChannels: ${outC} must be a multiple of the last width ${last} (conv_exp has groups = ${last})`);
      if (Math.floor(outC * SE_RATIO) < 1) problems.push(`vision.outChannels: ${outC} is too small for the squeeze-excite reduction (needs >= ${1 / SE_RATIO})`);
    }
  }
  // LLM.
  intField(l, 'llm', 'hiddenSize');
  intField(l, 'llm', 'numHiddenLayers');
  const nh = intField(l, 'llm', 'numAttentionHeads');
  const kv = intField(l, 'llm', 'numKeyValueHeads');
  const hd = intField(l, 'llm', 'headDim');
  intField(l, 'llm', 'intermediateSize');
  intField(l, 'llm', 'vocabSize');
  if (nh !== undefined && kv !== undefined && nh % kv !== 0) problems.push(`llm.numKeyValueHeads: ${kv} must divide numAttentionHeads ${nh}`);
  if (hd !== undefined && hd % 2 !== 0) problems.push(`llm.headDim: ${hd} must be even (RoPE rotates halves)`);
  if (typeof l.ropeTheta !== 'number' || !Number.isFinite(l.ropeTheta) || l.ropeTheta <= 1) problems.push(`llm.ropeTheta: expected a finite number > 1, found ${JSON.stringify(l.ropeTheta)}`);
  if (typeof l.rmsNormEps !== 'number' || !(l.rmsNormEps >= 0) || !Number.isFinite(l.rmsNormEps)) problems.push(`llm.rmsNormEps: expected a finite number >= 0, found ${JSON.stringify(l.rmsNormEps)}`);
  if (typeof l.tieWordEmbeddings !== 'boolean') problems.push(`llm.tieWordEmbeddings: expected a boolean, found ${JSON.stringify(l.tieWordEmbeddings)}`);
  // Defaults.
  const R = intField(d, 'defaults', 'resolution');
  const C = intField(d, 'defaults', 'contextLength');
  const S = intField(d, 'defaults', 'prefillLength');
  if (C !== undefined && S !== undefined && S > C) problems.push(`defaults.prefillLength: ${S} must be <= contextLength ${C}`);
  if (R !== undefined && n >= 1 && R % visionStride(v) !== 0) problems.push(`defaults.resolution: ${R} must be a multiple of the encoder stride ${visionStride(v)}`);
  if (problems.length) {
    throw modelError('E_MODEL_CONFIG', `invalid configuration '${where}':\n  ${problems.join('\n  ')}`, { where, details: { problems } });
  }
  return config;
}

/** Total stride of the encoder: 4 (stem) times 2 per downsampling, 64 for FastViTHD. */
export function visionStride(v: VisionConfig): number {
  return 4 * 2 ** (v.widths.length - 1);
}

/** Image tokens at resolution R: (R / stride)^2 (256 at 1024 for FastViTHD). */
export function imageTokens(v: VisionConfig, resolution: number): number {
  const g = resolution / visionStride(v);
  return g * g;
}

/** Channels of the squeeze-excite bottleneck of `conv_exp`. */
export function seChannels(v: VisionConfig): number {
  return Math.floor(v.outChannels * SE_RATIO);
}

/**
 * The configuration in the JSON form of the PyTorch reference (tests/conformance/py):
 * `{vision: {widths, depths, mlp_ratio, stage_types, head_dim, out_channels}, llm: {...}, resolution}`.
 */
export function referenceConfigJson(config: FastVlmConfig, resolution: number = config.defaults.resolution): Record<string, unknown> {
  const v = config.vision;
  const l = config.llm;
  return {
    vision: { widths: [...v.widths], depths: [...v.depths], mlp_ratio: v.mlpRatio, stage_types: [...v.stageTypes], head_dim: v.headDim, out_channels: v.outChannels },
    llm: {
      hidden_size: l.hiddenSize,
      num_hidden_layers: l.numHiddenLayers,
      num_attention_heads: l.numAttentionHeads,
      num_key_value_heads: l.numKeyValueHeads,
      head_dim: l.headDim,
      intermediate_size: l.intermediateSize,
      vocab_size: l.vocabSize,
      rope_theta: l.ropeTheta,
      rms_norm_eps: l.rmsNormEps,
      tie_word_embeddings: l.tieWordEmbeddings,
    },
    resolution,
  };
}

/** A copy of `config` with some LLM fields replaced (e.g. the tie flag read from a checkpoint). */
export function withLlm(config: FastVlmConfig, llm: Partial<LlmConfig>): FastVlmConfig {
  return { ...config, llm: { ...config.llm, ...llm } };
}

/**
 * A Hugging Face-style `config.json` object for `config` (the fields {@link loadCheckpoint}
 * reads), in the flat `llava_qwen2` layout of the released FastVLM checkpoints, with the vision
 * tower's name (`mobileclip_l_1024`) when the tower is a known one ({@link VISION_TOWERS}).
 */
export function hfConfigJson(config: FastVlmConfig): Record<string, unknown> {
  const l = config.llm;
  const tower = visionTowerName(config.vision, config.defaults.resolution);
  return {
    architectures: ['LlavaQwen2ForCausalLM'],
    model_type: 'llava_qwen2',
    hidden_size: l.hiddenSize,
    num_hidden_layers: l.numHiddenLayers,
    num_attention_heads: l.numAttentionHeads,
    num_key_value_heads: l.numKeyValueHeads,
    intermediate_size: l.intermediateSize,
    vocab_size: l.vocabSize,
    rope_theta: l.ropeTheta,
    rms_norm_eps: l.rmsNormEps,
    tie_word_embeddings: l.tieWordEmbeddings,
    mm_hidden_size: config.vision.outChannels,
    mm_projector_type: 'mlp2x_gelu',
    ...(tower !== undefined ? { mm_vision_tower: tower } : {}),
  };
}

/** A vision tower a checkpoint's `mm_vision_tower` can name: `<prefix><resolution>`. */
export interface VisionTower {
  /** Name up to the resolution, e.g. `mobileclip_l_`. */
  readonly prefix: string;
  readonly vision: VisionConfig;
  /** What it is, for messages and docs. */
  readonly doc: string;
}

/**
 * The towers `mm_vision_tower` may name. The released FastVLM checkpoints say `mobileclip_l_1024`
 * (FastViTHD at 1024 x 1024); `fastvlm_test_tiny_<R>` is the tiny test tower of this toolkit, so
 * tests can write checkpoints of the `tiny` preset.
 */
export const VISION_TOWERS: readonly VisionTower[] = [
  { prefix: 'mobileclip_l_', vision: FASTVITHD, doc: 'FastViTHD (the MobileCLIP-L image encoder)' },
  { prefix: 'fastvlm_test_tiny_', vision: CONFIGS.tiny.vision, doc: "the toolkit's tiny test tower" },
];

/** Field-by-field equality of two flat records (arrays compared by their elements). */
function sameFields(a: object, b: object): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  const rec = (o: object, k: string): string => JSON.stringify((o as Record<string, unknown>)[k]);
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && rec(a, k) === rec(b, k));
}

function sameVision(a: VisionConfig, b: VisionConfig): boolean {
  return sameFields(a, b);
}

/** The `mm_vision_tower` name of a tower at `resolution`, or undefined for a tower no name describes. */
export function visionTowerName(vision: VisionConfig, resolution: number): string | undefined {
  const t = VISION_TOWERS.find((x) => sameVision(x.vision, vision));
  return t ? `${t.prefix}${resolution}` : undefined;
}

/** Reads a tower name: the tower and the resolution it was trained at, or undefined when unknown. */
export function parseVisionTower(name: string): { readonly tower: VisionTower; readonly resolution: number } | undefined {
  for (const tower of VISION_TOWERS) {
    if (!name.startsWith(tower.prefix)) continue;
    const rest = name.slice(tower.prefix.length);
    if (!/^[1-9][0-9]*$/.test(rest)) return undefined;
    return { tower, resolution: Number(rest) };
  }
  return undefined;
}

/** True when two configurations describe the same network (names and build defaults aside). */
export function sameArchitecture(a: FastVlmConfig, b: FastVlmConfig): boolean {
  return sameVision(a.vision, b.vision) && sameFields(a.llm, b.llm);
}
