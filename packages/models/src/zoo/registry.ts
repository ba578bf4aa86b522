/**
 * The model zoo: networks other than FastVLM, written in the same DSL with deterministic
 * synthetic weights, each with its default input as published and its published parameter
 * count. `buildZooModel('resnet50')` returns a Program with one function, `main`.
 * @module
 */
import { type FloatDType, type Program, WeightStore, graph, numel } from '@fastvlm/graph';
import { modelError } from '../errors.js';
import type { BuildCtx } from '../layers.js';
import { isBufferName } from '../names.js';
import { buildMobileNetV2, buildMobileNetV3Small, buildResNet50 } from './cnn.js';
import { FASTVIT_ARCHS, MCI_ARCHS, buildFastVitClassifier, buildMci } from './fastvit.js';
import { MOBILEONE_ARCHS, buildMobileOne } from './mobileone.js';
import { OPT_1_3B, buildOptDecode } from './opt.js';
import { DISTILBERT, TEXT_ARCHS, buildDistilBert, buildTextEncoder } from './transformers.js';

/** What a zoo model takes: an image of side R, or a sequence of S tokens, or a decode step over C cached positions. */
export type ZooInput = { readonly kind: 'image'; readonly resolution: number; readonly stride: number } | { readonly kind: 'tokens'; readonly length: number; readonly max: number } | { readonly kind: 'decode'; readonly context: number; readonly max: number };

/** A published parameter count and how closely the built graph must match it. */
export interface PublishedCount {
  readonly parameters: number;
  readonly source: string;
  /** Allowed relative difference |built - published| / published. */
  readonly tolerance: number;
  /** Why the tolerance is what it is. */
  readonly reason: string;
}

/** One model of the zoo. */
export interface ZooEntry {
  readonly name: string;
  readonly family: string;
  readonly summary: string;
  readonly input: ZooInput;
  readonly published: PublishedCount;
  /** Builds the function body for the resolved size (resolution, token count or context). */
  readonly build: (c: BuildCtx, size: number) => void;
}

/** Options of {@link buildZooModel}. */
export interface ZooBuildOptions {
  /** Dtype of weights and activations (default fp32); image inputs stay fp32 and are cast. */
  readonly dtype?: FloatDType;
  /** Seed of the synthetic weights (default 0). */
  readonly seed?: number;
  /** Image side (image models; a multiple of the network's stride). */
  readonly resolution?: number;
  /** Tokens (text models), at most the model's positions. */
  readonly sequenceLength?: number;
  /** Cached positions (decode models). */
  readonly contextLength?: number;
}

/** A built zoo model. */
export interface ZooModel {
  readonly entry: ZooEntry;
  /** The resolved size: resolution, tokens or cached positions. */
  readonly size: number;
  readonly dtype: FloatDType;
  readonly program: Program;
}

// A count published as m millions to one decimal: half a unit of that decimal, relative.
const rounded = (m: number): number => 0.05 / m;
const FASTVIT_SRC = 'keras_cv_attention_models FastViT table (the released ml-fastvit weights, ported; Params, M; timm\'s fastvit_t8 card says 4.0 M)';
const FASTVIT_WHY =
  'the ported models keep some train-time parameters that fold into our reparameterized convs (we are 0.2-0.8 % lower); the paper and README figures (3.6 ... 42.7 M) are below every released checkpoint, so they are not the reference';
const MOBILEONE_SRC = 'apple/ml-mobileone README, model table (Params, M)';
const MCI_SRC = "the team's reference notes (ane-latency-calibration.md), from apple/ml-mobileclip";
const TORCHVISION = 'torchvision model documentation (num_params)';

const image = (resolution: number, stride: number): ZooInput => ({ kind: 'image', resolution, stride });

function fastvit(key: keyof typeof FASTVIT_ARCHS, label: string, millions: number): ZooEntry {
  // The table gives two decimals.
  const a = FASTVIT_ARCHS[key];
  return {
    name: `fastvit-${key}`,
    family: 'FastViT',
    summary: `FastViT-${label} image classifier (ml-fastvit, inference form): depths ${a.depths.join(',')}, widths ${a.widths.join(',')}, MLP ratio ${a.mlpRatio}${a.stageTypes.includes('attention') ? ', attention in stage 4 with a RepCPE' : ', RepMixer only'}; 1000 classes`,
    input: image(256, 32),
    published: { parameters: millions * 1e6, source: FASTVIT_SRC, tolerance: 0.005 / millions + 0.01, reason: FASTVIT_WHY },
    build: (c, r) => buildFastVitClassifier(c, a, r),
  };
}

function mobileone(key: keyof typeof MOBILEONE_ARCHS, millions: number): ZooEntry {
  const a = MOBILEONE_ARCHS[key];
  return {
    name: `mobileone-${key}`,
    family: 'MobileOne',
    summary: `MobileOne-${key.toUpperCase()} image classifier (ml-mobileone, reparameterized): stem ${a.stem}, stage widths ${a.widths.join(',')}${a.seBlocks ? ', squeeze-excite in the last stages' : ''}; 1000 classes`,
    input: image(224, 32),
    published: { parameters: millions * 1e6, source: MOBILEONE_SRC, tolerance: rounded(millions), reason: 'the README gives the reparameterized count rounded to 0.1 M: ours must round to it' },
    build: (c, r) => buildMobileOne(c, a, r),
  };
}

function mci(key: keyof typeof MCI_ARCHS, millions: number): ZooEntry {
  const { arch: a, embedDim } = MCI_ARCHS[key];
  return {
    name: key,
    family: 'MobileCLIP',
    summary: `MobileCLIP image encoder ${key.toUpperCase()}${key === 'mci3' ? ' (= FastViTHD, the same code as FastVLM\'s vision tower)' : ''}: depths ${a.depths.join(',')}, widths ${a.widths.join(',')}, ${a.attentionNorm === 'layer_norm' ? 'channel LayerNorm' : 'BatchNorm'} attention, projection to ${embedDim}`,
    input: image(256, 4 * 2 ** (a.widths.length - 1)),
    published: {
      parameters: millions * 1e6,
      source: MCI_SRC,
      tolerance: rounded(millions),
      reason: 'published rounded to 0.1 M: ours must round to it',
    },
    build: (c, r) => buildMci(c, a, embedDim, r),
  };
}

/** The zoo, by name, in listing order. */
export const ZOO: Readonly<Record<string, ZooEntry>> = Object.fromEntries(
  ([
    fastvit('t8', 'T8', 4.03),
    fastvit('t12', 'T12', 7.55),
    fastvit('s12', 'S12', 9.47),
    fastvit('sa12', 'SA12', 11.58),
    fastvit('sa24', 'SA24', 21.55),
    fastvit('sa36', 'SA36', 31.53),
    fastvit('ma36', 'MA36', 44.07),
    mobileone('s0', 2.1),
    mobileone('s1', 4.8),
    mobileone('s2', 7.8),
    mobileone('s3', 10.1),
    mobileone('s4', 14.8),
    mci('mci0', 11.4),
    mci('mci1', 21.5),
    mci('mci2', 35.7),
    mci('mci3', 125.1),
    mci('mci4', 321.6),
    {
      name: 'mobileclip-text-512',
      family: 'MobileCLIP',
      summary: 'MobileCLIP text encoder (CLIP text transformer): 12 pre-norm layers, width 512, 8 heads, causal -inf mask, projection to 512; OpenCLIP parameter names',
      input: { kind: 'tokens', length: 77, max: 77 },
      published: { parameters: 63.4e6, source: 'MobileCLIP paper (Vasu et al., CVPR 2024), text encoder of MobileCLIP-S1/S2', tolerance: rounded(63.4), reason: 'published rounded to 0.1 M: ours must round to it' },
      build: (c, s) => buildTextEncoder(c, TEXT_ARCHS.text512, s),
    },
    {
      name: 'mobileclip-text-768',
      family: 'MobileCLIP',
      summary: 'MobileCLIP text encoder, width 768: 12 pre-norm layers, 12 heads, causal -inf mask, projection to 768; OpenCLIP parameter names',
      input: { kind: 'tokens', length: 77, max: 77 },
      published: {
        parameters: 123.65e6,
        source: "OpenCLIP's model profile of the ViT-L-14 text tower (the same architecture: 12 layers, width 768, 12 heads, 49408 tokens, 77 positions, projection 768)",
        tolerance: 0.005 / 123.65,
        reason: 'published rounded to 0.01 M',
      },
      build: (c, s) => buildTextEncoder(c, TEXT_ARCHS.text768, s),
    },
    {
      name: 'resnet50',
      family: 'ResNet',
      summary: 'ResNet50 v1.5 (torchvision layout): bottlenecks [3,4,6,3], stride in the 3x3; max pool as strided slices; 1000 classes',
      input: image(224, 32),
      published: { parameters: 25_557_032, source: TORCHVISION, tolerance: 0, reason: 'exact: same layout as torchvision (BatchNorm running statistics are buffers)' },
      build: (c, r) => buildResNet50(c, r),
    },
    {
      name: 'mobilenetv2',
      family: 'MobileNet',
      summary: 'MobileNetV2 1.0 (torchvision layout): inverted residuals, ReLU6; 1000 classes',
      input: image(224, 32),
      published: { parameters: 3_504_872, source: TORCHVISION, tolerance: 0, reason: 'exact: same layout as torchvision' },
      build: (c, r) => buildMobileNetV2(c, r),
    },
    {
      name: 'mobilenetv3-small',
      family: 'MobileNet',
      summary: 'MobileNetV3-small (torchvision layout): hard-swish, squeeze-excite with hard sigmoid; 1000 classes',
      input: image(224, 32),
      published: { parameters: 2_542_856, source: TORCHVISION, tolerance: 0, reason: 'exact: same layout as torchvision' },
      build: (c, r) => buildMobileNetV3Small(c, r),
    },
    {
      name: 'distilbert',
      family: 'BERT',
      summary: `DistilBERT base (Hugging Face DistilBertModel layout, (B, S, C) with Linear layers): ${DISTILBERT.layers} post-norm layers, hidden ${DISTILBERT.hidden}, ${DISTILBERT.heads} heads, FFN ${DISTILBERT.ffn}`,
      input: { kind: 'tokens', length: 128, max: DISTILBERT.positions },
      published: { parameters: 66_362_880, source: 'Hugging Face distilbert-base-uncased (DistilBertModel, no task head)', tolerance: 0, reason: 'exact: same layout' },
      build: (c, s) => buildDistilBert(c, s),
    },
    {
      name: 'opt-1.3b',
      family: 'OPT',
      summary: `OPT-1.3B one decode step with a KV cache (Hugging Face layout): ${OPT_1_3B.layers} pre-norm layers, hidden ${OPT_1_3B.hidden}, ${OPT_1_3B.heads} heads, ReLU FFN ${OPT_1_3B.ffn}, head tied to the embedding`,
      input: { kind: 'decode', context: 64, max: OPT_1_3B.positions - 1 },
      published: { parameters: 1_315_758_080, source: 'Hugging Face facebook/opt-1.3b (OPTForCausalLM, tied head counted once)', tolerance: 0, reason: 'exact: same layout' },
      build: (c, n) => buildOptDecode(c, n),
    },
  ] satisfies ZooEntry[]).map((e) => [e.name, e]),
);

/** The zoo's names in listing order. */
export const ZOO_NAMES: readonly string[] = Object.keys(ZOO);

/** True when `name` is a zoo model. */
export function isZooModel(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(ZOO, name);
}

/** The zoo entry `name`; `E_MODEL_CONFIG` listing the zoo otherwise. */
export function zooEntry(name: string): ZooEntry {
  if (!isZooModel(name)) throw modelError('E_MODEL_CONFIG', `unknown zoo model '${name}'; expected one of ${ZOO_NAMES.join(', ')}`, { where: String(name) });
  return ZOO[name]!;
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

function resolveSize(e: ZooEntry, opts: ZooBuildOptions): number {
  const given = (key: 'resolution' | 'sequenceLength' | 'contextLength', dflt: number): number => {
    for (const k of ['resolution', 'sequenceLength', 'contextLength'] as const) {
      if (k !== key && opts[k] !== undefined) throw modelError('E_MODEL_OPTION', `${k} does not apply to ${e.name} (it takes ${key})`, { where: k });
    }
    const v = opts[key] ?? dflt;
    if (!isPosInt(v)) throw modelError('E_MODEL_OPTION', `${key} must be a positive integer, found ${String(v)}`, { where: key });
    return v;
  };
  const i = e.input;
  if (i.kind === 'image') {
    const r = given('resolution', i.resolution);
    if (r % i.stride !== 0) throw modelError('E_MODEL_OPTION', `resolution must be a multiple of ${i.stride} (the stride of ${e.name}), found ${r}`, { where: 'resolution' });
    return r;
  }
  const n = i.kind === 'tokens' ? given('sequenceLength', i.length) : given('contextLength', i.context);
  if (n > i.max) throw modelError('E_MODEL_OPTION', `${i.kind === 'tokens' ? 'sequenceLength' : 'contextLength'} ${n} exceeds the ${i.max} positions of ${e.name}`, { where: i.kind === 'tokens' ? 'sequenceLength' : 'contextLength' });
  return n;
}

/** Builds zoo model `name` (function `main`, synthetic weights) at its default input unless told otherwise. */
export function buildZooModel(name: string, opts: ZooBuildOptions = {}): ZooModel {
  const entry = zooEntry(name);
  const dtype = opts.dtype ?? 'fp32';
  if (dtype !== 'fp32' && dtype !== 'fp16') throw modelError('E_MODEL_OPTION', `dtype must be 'fp32' or 'fp16', found ${JSON.stringify(dtype)}`, { where: 'dtype' });
  const seed = opts.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw modelError('E_MODEL_OPTION', `seed must be a non-negative safe integer, found ${String(seed)}`, { where: 'seed' });
  const size = resolveSize(entry, opts);
  const g = graph({ weights: new WeightStore(), missingWeights: 'synthesize', seed, locations: false });
  entry.build({ f: g.function('main'), dtype }, size);
  return { entry, size, dtype, program: g.build() };
}

/** Parameters of a built program: every distinct stored weight, BatchNorm running statistics excluded. */
export function zooParameterCount(program: Program): { parameters: number; buffers: number } {
  const seen = new Set<string>();
  let parameters = 0;
  let buffers = 0;
  for (const fn of program.functions.values()) {
    for (const op of fn.body.ops) {
      const w = op.kind === 'const' ? op.attrs['weight'] : undefined;
      if (typeof w !== 'string' || seen.has(w)) continue;
      seen.add(w);
      const n = numel(program.weights.info(w).shape);
      if (isBufferName(w)) buffers += n;
      else parameters += n;
    }
  }
  return { parameters, buffers };
}
