/**
 * Loading a Hugging Face-style FastVLM checkpoint directory: `config.json` plus
 * `model.safetensors` (or shards with `model.safetensors.index.json`), mapped by name into a
 * WeightStore of lazy tensors converted to the build dtype on the fly.
 * @module
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { type FloatDType, WeightStore, formatShape, graphError, openSafetensorsDir, safetensorsSource, shapeEq } from '@fastvlm/graph';
import { CONFIGS, CONFIG_NAMES, type FastVlmConfig, type LlmConfig, VISION_TOWERS, parseVisionTower, resolveConfig, sameArchitecture, validateConfig, visionTowerName, withLlm } from './config.js';
import { type ManifestEntry, checkDtype, checkParts, parameterManifest } from './build.js';
import { modelError } from './errors.js';
import { CLIP_HEAD_NAME, LM_HEAD_NAME, type ModelPart, partOfTensor } from './names.js';

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /** Dtype every float tensor (F32, F16, BF16) is converted to while reading (default fp32). */
  readonly dtype?: FloatDType;
  /** Parts to load (default both); tensors of other parts are skipped. */
  readonly parts?: readonly ModelPart[];
}

/** A loaded checkpoint. */
export interface LoadedCheckpoint {
  /** The chosen configuration with `tieWordEmbeddings` taken from config.json. */
  readonly config: FastVlmConfig;
  /** The model's tensors by checkpoint name, lazily read and converted. */
  readonly weights: WeightStore;
  /**
   * Tensors present but deliberately not used, by name: the CLIP head `head.proj`, BatchNorm
   * `num_batches_tracked`, RoPE `inv_freq` buffers, and `lm_head.weight` of a tied model.
   */
  readonly ignored: readonly string[];
}

/** The config.json fields compared with the chosen configuration. */
const LLM_FIELDS: readonly (readonly [string, keyof LlmConfig])[] = [
  ['hidden_size', 'hiddenSize'],
  ['num_hidden_layers', 'numHiddenLayers'],
  ['num_attention_heads', 'numAttentionHeads'],
  ['num_key_value_heads', 'numKeyValueHeads'],
  ['intermediate_size', 'intermediateSize'],
  ['vocab_size', 'vocabSize'],
  ['rope_theta', 'ropeTheta'],
  ['rms_norm_eps', 'rmsNormEps'],
];

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A checkpoint's config.json: the file, the whole object and the language model's fields. */
interface HfConfigFile {
  readonly path: string;
  readonly json: Record<string, unknown>;
  /** The LLM's fields: `text_config` in newer Hugging Face layouts, else the top level. */
  readonly text: Record<string, unknown>;
}

function readConfigFile(dir: string): HfConfigFile {
  const path = nodePath.join(dir, 'config.json');
  let raw: string;
  try {
    raw = fs.readFileSync(path, 'utf8');
  } catch (e) {
    throw graphError('E_IO', `${path}: could not read the checkpoint's config.json: ${e instanceof Error ? e.message : String(e)}`, { where: path, cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw modelError('E_CHECKPOINT_CONFIG', `${path}: not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { where: path, cause: e });
  }
  if (!isObject(json)) throw modelError('E_CHECKPOINT_CONFIG', `${path}: expected a JSON object, found ${Array.isArray(json) ? 'an array' : typeof json}`, { where: path });
  return { path, json, text: isObject(json['text_config']) ? json['text_config'] : json };
}

/** The head dimension config.json states (`head_dim`, else hidden_size / num_attention_heads). */
function headDimOf(text: Record<string, unknown>): unknown {
  const heads = text['num_attention_heads'];
  const hidden = text['hidden_size'];
  return text['head_dim'] ?? (typeof hidden === 'number' && typeof heads === 'number' && heads > 0 ? hidden / heads : undefined);
}

/** Problems of the fields that say the network is a FastVLM (LLaVA with Qwen2 and mlp2x_gelu). */
function architectureProblems(file: HfConfigFile): string[] {
  const problems: string[] = [];
  const type = file.json['model_type'];
  const archs = file.json['architectures'];
  const knownType = type === undefined || type === 'llava_qwen2';
  const knownArch = archs === undefined || (Array.isArray(archs) && archs.includes('LlavaQwen2ForCausalLM'));
  if (!knownType) problems.push(`model_type: expected "llava_qwen2" (FastVLM), found ${JSON.stringify(type)}`);
  if (!knownArch) problems.push(`architectures: expected ["LlavaQwen2ForCausalLM"] (FastVLM), found ${JSON.stringify(archs)}`);
  const proj = file.json['mm_projector_type'];
  if (proj !== undefined && proj !== 'mlp2x_gelu') problems.push(`mm_projector_type: expected "mlp2x_gelu", found ${JSON.stringify(proj)}`);
  return problems;
}

/** Cross-checks config.json with `config` and returns the config with its tie flag. */
function readHfConfig(dir: string, config: FastVlmConfig): FastVlmConfig {
  const file = readConfigFile(dir);
  const { path, json } = file;
  const text_ = file.text;
  const l = config.llm;
  const problems: string[] = architectureProblems(file);
  for (const [key, field] of LLM_FIELDS) {
    const found = text_[key];
    if (found === undefined) {
      if (key === 'rope_theta' || key === 'rms_norm_eps') continue; // Qwen2 defaults apply.
      problems.push(`${key}: expected ${String(l[field])}, missing`);
    } else if (found !== l[field]) problems.push(`${key}: expected ${String(l[field])}, found ${JSON.stringify(found)}`);
  }
  const headDim = headDimOf(text_);
  if (headDim !== undefined && headDim !== l.headDim) problems.push(`head_dim: expected ${l.headDim}, found ${JSON.stringify(headDim)}`);
  const mm = json['mm_hidden_size'];
  if (mm !== undefined && mm !== config.vision.outChannels) problems.push(`mm_hidden_size: expected ${config.vision.outChannels}, found ${JSON.stringify(mm)}`);
  const towerName = json['mm_vision_tower'];
  if (towerName !== undefined) {
    const tower = typeof towerName === 'string' ? parseVisionTower(towerName) : undefined;
    if (tower === undefined || !sameArchitecture({ ...config, vision: tower.tower.vision }, config)) {
      const want = visionTowerName(config.vision, config.defaults.resolution);
      problems.push(`mm_vision_tower: expected ${want !== undefined ? `"${want}"` : 'the tower of the configuration'}, found ${JSON.stringify(towerName)}`);
    }
  }
  const tie = text_['tie_word_embeddings'] ?? json['tie_word_embeddings'];
  if (tie !== undefined && typeof tie !== 'boolean') problems.push(`tie_word_embeddings: expected a boolean, found ${JSON.stringify(tie)}`);
  if (problems.length) {
    throw modelError('E_CHECKPOINT_CONFIG', `${path} does not match configuration '${config.name}':\n  ${problems.join('\n  ')}`, { where: path, details: { problems } });
  }
  // Absent, the flag takes Qwen2's default (false).
  return withLlm(config, { tieWordEmbeddings: tie === true });
}

/** What {@link configFromCheckpoint} found. */
export interface CheckpointConfig {
  /** The configuration to build: a preset's (with the checkpoint's tie flag) or one made from config.json. */
  readonly config: FastVlmConfig;
  /** The preset whose network the checkpoint holds, or undefined when none matches. */
  readonly preset: string | undefined;
  /** `mm_vision_tower` as written, e.g. `mobileclip_l_1024`. */
  readonly visionTower: string;
  /** The config.json fields read, in order. */
  readonly fields: readonly string[];
}

/**
 * The config.json fields {@link configFromCheckpoint} reads: the architecture (`model_type`,
 * `architectures`, `mm_projector_type`), the vision tower (`mm_vision_tower`, which also gives the
 * resolution, and `mm_hidden_size`, its output width) and the language model's sizes (from
 * `text_config` when present): these, `head_dim` and `tie_word_embeddings`.
 */
export const CHECKPOINT_CONFIG_FIELDS: readonly string[] = [
  'model_type',
  'architectures',
  'mm_projector_type',
  'mm_vision_tower',
  'mm_hidden_size',
  ...LLM_FIELDS.map(([k]) => k),
  'head_dim',
  'tie_word_embeddings',
];

/**
 * Works out the configuration of checkpoint directory `dir` from its config.json alone: the vision
 * tower from `mm_vision_tower` ({@link VISION_TOWERS}; `mobileclip_l_1024` is FastViTHD at
 * 1024), the language model from its sizes ({@link CHECKPOINT_CONFIG_FIELDS}). When a preset has
 * the same network the preset is used (at the tower's resolution); otherwise, the architecture
 * being FastVLM's, a configuration is built from the file's own numbers and named after the
 * directory. Anything else is an `E_CHECKPOINT_CONFIG` error listing each problem.
 */
export function configFromCheckpoint(dir: string): CheckpointConfig {
  const file = readConfigFile(dir);
  const { path, json, text } = file;
  const problems = architectureProblems(file);
  const towerName = json['mm_vision_tower'];
  const tower = typeof towerName === 'string' ? parseVisionTower(towerName) : undefined;
  if (tower === undefined) {
    const known = VISION_TOWERS.map((t) => `${t.prefix}<resolution> (${t.doc})`).join(', ');
    problems.push(`mm_vision_tower: expected one of ${known}, found ${JSON.stringify(towerName)}`);
  }
  const num = (key: string, fallback?: number): number => {
    const v = text[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${key}: expected a number, found ${v === undefined ? 'nothing' : JSON.stringify(v)}`);
    return typeof v === 'number' ? v : NaN;
  };
  const llm: LlmConfig = {
    hiddenSize: num('hidden_size'),
    numHiddenLayers: num('num_hidden_layers'),
    numAttentionHeads: num('num_attention_heads'),
    numKeyValueHeads: num('num_key_value_heads'),
    headDim: (() => {
      const h = headDimOf(text);
      if (typeof h !== 'number') problems.push(`head_dim: expected a number (or hidden_size / num_attention_heads), found ${JSON.stringify(h)}`);
      return typeof h === 'number' ? h : NaN;
    })(),
    intermediateSize: num('intermediate_size'),
    vocabSize: num('vocab_size'),
    // Qwen2's defaults, as transformers applies them.
    ropeTheta: num('rope_theta', 10000),
    rmsNormEps: num('rms_norm_eps', 1e-6),
    tieWordEmbeddings: false,
  };
  const tie = text['tie_word_embeddings'] ?? json['tie_word_embeddings'];
  if (tie !== undefined && typeof tie !== 'boolean') problems.push(`tie_word_embeddings: expected a boolean, found ${JSON.stringify(tie)}`);
  const mm = json['mm_hidden_size'];
  if (tower && mm !== undefined && mm !== tower.tower.vision.outChannels) problems.push(`mm_hidden_size: ${tower.tower.doc} gives ${tower.tower.vision.outChannels} features, found ${JSON.stringify(mm)}`);
  if (problems.length || tower === undefined) {
    throw modelError('E_CHECKPOINT_CONFIG', `${path}: not a FastVLM checkpoint this toolkit can build:\n  ${problems.join('\n  ')}`, { where: path, details: { problems } });
  }
  const wanted = { ...llm, tieWordEmbeddings: tie === true };
  const base = CONFIG_NAMES.map((n) => CONFIGS[n]).find((c) => sameArchitecture(c, { ...c, vision: tower.tower.vision, llm: { ...wanted, tieWordEmbeddings: c.llm.tieWordEmbeddings } }));
  const resolution = tower.resolution;
  // Sizes from the preset of the same network, else from the first preset with this tower.
  const like = base ?? CONFIG_NAMES.map((n) => CONFIGS[n]).find((c) => sameArchitecture(c, { ...c, vision: tower.tower.vision }))!;
  const defaults = { ...like.defaults, resolution };
  const name = base?.name ?? checkpointName(dir);
  const config = validateConfig({ name, vision: tower.tower.vision, llm: wanted, defaults });
  return { config, preset: base?.name, visionTower: String(towerName), fields: CHECKPOINT_CONFIG_FIELDS };
}

/** A model name from a checkpoint directory: its base name, lower case, safe in file names. */
function checkpointName(dir: string): string {
  const base = nodePath.basename(nodePath.resolve(dir)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '');
  return base === '' ? 'checkpoint' : base;
}

/** True for tensors a checkpoint may carry that the model deliberately does not use. */
function isIgnorable(name: string, config: FastVlmConfig): boolean {
  return (
    name === CLIP_HEAD_NAME ||
    name.endsWith('.num_batches_tracked') ||
    name.endsWith('rotary_emb.inv_freq') ||
    (config.llm.tieWordEmbeddings && name === LM_HEAD_NAME)
  );
}

/**
 * Loads checkpoint directory `dir` for `config`. config.json's LLM dims must equal the config's
 * (else `E_CHECKPOINT_CONFIG` listing each difference) and its `tie_word_embeddings` is adopted.
 * Every missing, unexpected and wrongly shaped or typed tensor is listed by name in one
 * `E_CHECKPOINT_TENSORS` error. Malformed files raise the safetensors reader's `E_SAFETENSORS`
 * / `E_IO` errors.
 */
export function loadCheckpoint(dir: string, config: string | FastVlmConfig, opts: LoadCheckpointOptions = {}): LoadedCheckpoint {
  const cfg = readHfConfig(dir, resolveConfig(config));
  const dtype = checkDtype(opts.dtype);
  const parts = checkParts(opts.parts);
  const manifest = new Map<string, ManifestEntry>(parameterManifest(cfg, { parts, dtype }).map((e) => [e.name, e]));
  const ckpt = openSafetensorsDir(dir);
  const weights = new WeightStore();
  const ignored: string[] = [];
  const unexpected: string[] = [];
  const wrong: string[] = [];
  for (const [file, info] of ckpt.entries()) {
    const name = info.name;
    const want = manifest.get(name);
    if (want === undefined) {
      if (isIgnorable(name, cfg)) ignored.push(name);
      else if (parts.includes(partOfTensor(name))) unexpected.push(`${name} (${info.dtype}${formatShape(info.shape)})`);
      continue;
    }
    if (!shapeEq(info.shape, want.shape)) wrong.push(`${name}: expected shape ${formatShape(want.shape)}, found ${formatShape(info.shape)}`);
    else if (info.dtype !== 'F32' && info.dtype !== 'F16' && info.dtype !== 'BF16') wrong.push(`${name}: expected a float tensor (F32, F16 or BF16), found ${info.dtype}`);
    else weights.add(name, safetensorsSource(file, name, { floatDtype: dtype }));
  }
  const missing = [...manifest.values()].filter((e) => !ckpt.has(e.name)).map((e) => `${e.name} (${formatShape(e.shape)})`);
  if (missing.length || unexpected.length || wrong.length) {
    const lines = [...missing.map((m) => `missing: ${m}`), ...unexpected.map((u) => `unexpected: ${u}`), ...wrong.map((w) => `wrong: ${w}`)];
    throw modelError('E_CHECKPOINT_TENSORS', `checkpoint ${dir} does not match configuration '${cfg.name}': ${missing.length} missing, ${unexpected.length} unexpected, ${wrong.length} wrongly shaped or typed\n  ${lines.join('\n  ')}`, {
      where: dir,
      details: {
        missing: missing.map((m) => m.split(' ')[0]!),
        unexpected: unexpected.map((u) => u.split(' ')[0]!),
        mismatched: wrong.map((w) => w.split(':')[0]!),
      },
    });
  }
  return { config: cfg, weights, ignored };
}
