/**
 * `fastvlm compile`: its flags (which also drive `--help`) and their validation into
 * {@link CompileOptions}.
 * @module
 */
import { type FloatDType } from '@fastvlm/graph';
import { CONFIGS, MODEL_PARTS, type ModelPart, resolveConfig, visionStride } from '@fastvlm/models';
import { DEFAULT_TARGET, TARGETS, type Target } from '@fastvlm/emit-coreml';
import { PRESETS } from '@fastvlm/ane-passes';
import { type CommandSpec, Flags } from '../args.js';
import { COMPRESS_GROUPS, COMPRESS_MODES, type CompressSpec, parseCompressSpec } from '../compress.js';
import { checkCompressTarget } from '../compress-apply.js';
import { usageError } from '../errors.js';

/** The model presets the CLI compiles. */
export const MODEL_NAMES: readonly string[] = Object.keys(CONFIGS);

/** `--passes` values: `none` or a preset pipeline of @fastvlm/ane-passes. */
export const PASS_CHOICES: readonly string[] = ['none', ...Object.keys(PRESETS)];

/** Validated options of a compile. */
export interface CompileOptions {
  /** A preset name (`fastvlm-0.5b`, `tiny`...). */
  readonly model: string;
  /** A Hugging Face checkpoint directory; undefined = deterministic synthetic weights. */
  readonly checkpoint: string | undefined;
  /** Seed of the synthetic weights. */
  readonly seed: number;
  /** Image side; undefined = the preset's default. */
  readonly resolution: number | undefined;
  readonly contextLength: number | undefined;
  readonly prefillLength: number | undefined;
  readonly target: Target;
  readonly parts: readonly ModelPart[];
  readonly precision: FloatDType;
  /** `none` or a preset name. */
  readonly passes: string;
  readonly compress: CompressSpec | undefined;
  readonly report: boolean;
  readonly dumpIr: string | undefined;
  readonly out: string;
}

/** The flags and help of `fastvlm compile`. */
export const COMPILE_SPEC: CommandSpec = {
  name: 'compile',
  summary: 'Compile FastVLM to Core ML .mlpackage files (one per part).',
  usage: 'compile --model NAME --out DIR [options]',
  description: [
    'Builds the model, runs the optimization passes and writes one .mlpackage per part: <out>/<model>-vision.mlpackage (FastViTHD + projector: images -> image_features) and <out>/<model>-llm.mlpackage (Qwen2 with the functions embed (S token ids -> embeddings for prefill), embed_token (one token id -> the embedding for decode), prefill and decode in one iOS18 multifunction model that stores shared weights once). Multifunction models need ios18: for older targets the LLM is written as one package per function, <out>/<model>-llm-<function>.mlpackage.',
    'Without --checkpoint the weights are deterministic synthetic values (same seed, byte-identical packages). Precision fp16 (the Neural Engine computes in fp16) keeps fp32 at the boundary where it helps: the images input and the logits outputs are fp32; image features, embeddings and KV caches stay fp16. On ios15, which has no fp16 inputs or outputs, all of them are fp32.',
    'Progress goes to stderr (a bar on a terminal, plain lines otherwise); the summary to stdout.',
  ].join('\n\n'),
  positionals: [],
  flags: [
    { name: 'model', kind: 'enum', metavar: 'NAME', values: MODEL_NAMES, required: true, doc: `Model preset: ${MODEL_NAMES.join(', ')}.` },
    { name: 'out', kind: 'string', metavar: 'DIR', required: true, doc: 'Output directory (created if missing). An existing package is replaced atomically, and stays intact if the compile fails.' },
    { name: 'checkpoint', kind: 'string', metavar: 'DIR', doc: 'Hugging Face checkpoint directory (config.json + model.safetensors or shards). Default: synthetic weights.' },
    { name: 'seed', kind: 'int', metavar: 'N', min: 0, default: '0', doc: 'Seed of the synthetic weights (not used with --checkpoint).' },
    { name: 'resolution', kind: 'int', metavar: 'N', default: '1024 (tiny: 128)', doc: 'Image side in pixels, a multiple of 64 (the encoder stride).' },
    { name: 'target', kind: 'enum', values: TARGETS, default: DEFAULT_TARGET, doc: 'Deployment target (Core ML specification 6..9).' },
    { name: 'parts', kind: 'list', values: MODEL_PARTS, default: MODEL_PARTS.join(','), doc: 'Parts to compile.' },
    { name: 'context-length', kind: 'int', metavar: 'N', default: '1024 (tiny: 16)', doc: 'KV-cache length of the LLM.' },
    { name: 'prefill-length', kind: 'int', metavar: 'N', default: '512 (tiny: 6)', doc: 'Tokens per prefill call; at most the context length.' },
    { name: 'precision', kind: 'enum', values: ['fp16', 'fp32'], default: 'fp16', doc: 'Weights and activations. fp32 does not run on the Neural Engine.' },
    { name: 'passes', kind: 'enum', values: PASS_CHOICES, default: 'none', doc: `Optimization pipeline: none, or a preset of @fastvlm/ane-passes (ane: fusions, per-head attention, 1x1 convs, (B, C, 1, S) layout, fp16).` },
    {
      name: 'compress',
      kind: 'string',
      metavar: 'SPEC',
      doc: `Weight compression: a scheme (${COMPRESS_MODES.filter((m) => m !== 'none').join(', ')}) for all large weights, and/or SELECTOR=SCHEME overrides, e.g. lut4,lm_head=lut6 or ffn=lut4,lm_head=lut6. Selectors: ${Object.keys(COMPRESS_GROUPS).join(', ')}, or a weight-name pattern with *; scheme none keeps a group dense.`,
    },
    { name: 'report', kind: 'bool', doc: 'Print per-function statistics before and after the passes (op counts by type, transposes and reshapes left, highest rank, largest intermediate tensor, fp16 share) and write them to <out>/<model>-report.json.' },
    { name: 'dump-ir', kind: 'string', metavar: 'DIR', doc: 'Write the IR text of each part before and after every pass, the final IR and its MIL text into DIR/<model>-<part>/.' },
  ],
  examples: [
    'fastvlm compile --model fastvlm-0.5b --out build/',
    'fastvlm compile --model fastvlm-0.5b --checkpoint ~/models/FastVLM-0.5B --passes ane --report --out build/',
    'fastvlm compile --model tiny --target ios17 --parts llm --out /tmp/tiny',
  ],
};

/** The size flags, validated against a model preset. */
export interface ShapeFlags {
  readonly resolution: number | undefined;
  readonly contextLength: number | undefined;
  readonly prefillLength: number | undefined;
}

/**
 * Reads `--resolution`, `--context-length` and `--prefill-length` for `model`: the resolution
 * must be a multiple of the encoder stride and the prefill length (given or default) at most
 * the context length (given or default); usage errors name the flag.
 */
export function shapeFlags(model: string, f: Flags): ShapeFlags {
  const config = resolveConfig(model);
  const resolution = f.int('resolution');
  const stride = visionStride(config.vision);
  if (resolution !== undefined && resolution % stride !== 0) {
    const lo = Math.max(stride, resolution - (resolution % stride));
    throw usageError('--resolution', `${resolution} is not a multiple of ${stride} (the encoder stride); try ${lo} or ${lo + stride}`, { found: resolution, expected: `multiple of ${stride}` });
  }
  const contextLength = f.int('context-length');
  const prefillLength = f.int('prefill-length');
  const C = contextLength ?? config.defaults.contextLength;
  const S = prefillLength ?? (contextLength !== undefined ? Math.min(config.defaults.prefillLength, C) : config.defaults.prefillLength);
  if (S > C) {
    const which = prefillLength !== undefined ? '--prefill-length' : '--context-length';
    throw usageError(which, `prefill length ${S}${prefillLength === undefined ? ' (the default)' : ''} exceeds context length ${C}${contextLength === undefined ? ' (the default)' : ''}; the prefill length must be at most the context length`, {
      prefillLength: S,
      contextLength: C,
    });
  }
  return { resolution, contextLength, prefillLength };
}

/**
 * Validates parsed flags into {@link CompileOptions}: besides the kinds checked by the parser,
 * the resolution must be a multiple of the encoder stride and the prefill length at most the
 * context length (usage errors naming the flags).
 */
export function compileOptionsFromFlags(f: Flags): CompileOptions {
  const model = f.str('model')!;
  const { resolution, contextLength, prefillLength } = shapeFlags(model, f);
  const compressText = f.str('compress');
  const compress = compressText !== undefined ? parseCompressSpec(compressText) : undefined;
  const target = (f.str('target') ?? DEFAULT_TARGET) as Target;
  if (compress) checkCompressTarget(compress, target);
  return {
    model,
    checkpoint: f.str('checkpoint'),
    seed: f.int('seed') ?? 0,
    resolution,
    contextLength,
    prefillLength,
    target,
    // Parts are compiled in build order whatever order they were listed in.
    parts: MODEL_PARTS.filter((p) => (f.list('parts') ?? MODEL_PARTS).includes(p)),
    precision: (f.str('precision') ?? 'fp16') as FloatDType,
    passes: f.str('passes') ?? 'none',
    compress,
    report: f.bool('report'),
    dumpIr: f.str('dump-ir'),
    out: f.str('out')!,
  };
}
