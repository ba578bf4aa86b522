/**
 * Loading a Hugging Face-style FastVLM checkpoint directory: `config.json` plus
 * `model.safetensors` (or shards with `model.safetensors.index.json`), mapped by name into a
 * WeightStore of lazy tensors converted to the build dtype on the fly.
 * @module
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { type FloatDType, WeightStore, formatShape, graphError, openSafetensorsDir, safetensorsSource, shapeEq } from '@fastvlm/graph';
import { type FastVlmConfig, type LlmConfig, resolveConfig, withLlm } from './config.js';
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

/** Reads config.json, cross-checks it with `config` and returns the config with its tie flag. */
function readHfConfig(dir: string, config: FastVlmConfig): FastVlmConfig {
  const path = nodePath.join(dir, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    throw graphError('E_IO', `${path}: could not read the checkpoint's config.json: ${e instanceof Error ? e.message : String(e)}`, { where: path, cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw modelError('E_CHECKPOINT_CONFIG', `${path}: not valid JSON: ${e instanceof Error ? e.message : String(e)}`, { where: path, cause: e });
  }
  if (!isObject(json)) throw modelError('E_CHECKPOINT_CONFIG', `${path}: expected a JSON object, found ${Array.isArray(json) ? 'an array' : typeof json}`, { where: path });
  // Newer Hugging Face layouts nest the language model's fields in text_config.
  const text_ = isObject(json['text_config']) ? json['text_config'] : json;
  const l = config.llm;
  const problems: string[] = [];
  for (const [key, field] of LLM_FIELDS) {
    const found = text_[key];
    if (found === undefined) {
      if (key === 'rope_theta' || key === 'rms_norm_eps') continue; // Qwen2 defaults apply.
      problems.push(`${key}: expected ${String(l[field])}, missing`);
    } else if (found !== l[field]) problems.push(`${key}: expected ${String(l[field])}, found ${JSON.stringify(found)}`);
  }
  const heads = text_['num_attention_heads'];
  const hidden = text_['hidden_size'];
  const headDim = text_['head_dim'] ?? (typeof hidden === 'number' && typeof heads === 'number' && heads > 0 ? hidden / heads : undefined);
  if (headDim !== undefined && headDim !== l.headDim) problems.push(`head_dim: expected ${l.headDim}, found ${JSON.stringify(headDim)}`);
  const mm = json['mm_hidden_size'];
  if (mm !== undefined && mm !== config.vision.outChannels) problems.push(`mm_hidden_size: expected ${config.vision.outChannels}, found ${JSON.stringify(mm)}`);
  const proj = json['mm_projector_type'];
  if (proj !== undefined && proj !== 'mlp2x_gelu') problems.push(`mm_projector_type: expected "mlp2x_gelu", found ${JSON.stringify(proj)}`);
  const tie = text_['tie_word_embeddings'] ?? json['tie_word_embeddings'];
  if (tie !== undefined && typeof tie !== 'boolean') problems.push(`tie_word_embeddings: expected a boolean, found ${JSON.stringify(tie)}`);
  if (problems.length) {
    throw modelError('E_CHECKPOINT_CONFIG', `${path} does not match configuration '${config.name}':\n  ${problems.join('\n  ')}`, { where: path, details: { problems } });
  }
  // Absent, the flag takes Qwen2's default (false).
  return withLlm(config, { tieWordEmbeddings: tie === true });
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
