/**
 * `fastvlm compile`: its flags (which also drive `--help`) and their validation into
 * {@link CompileOptions}.
 * @module
 */
import { type FloatDType, isFastVlmError } from '@fastvlm/graph';
import { CONFIGS, type FastVlmConfig, MODEL_PARTS, type ModelPart, ZOO_NAMES, configFromCheckpoint, isZooModel, resolveConfig, visionStride } from '@fastvlm/models';
import { DEFAULT_TARGET, TARGETS, type Target } from '@fastvlm/emit-coreml';
import { COMPRESS_GROUPS, COMPRESS_MODES, type CompressSpec, IMAGE_INPUT_MODES, type ImageInputMode, PRESET_NAMES, checkCompressTarget, checkDevice, parseCompressSpec } from '@fastvlm/compiler';
import { type CommandSpec, Flags } from '../args.js';
import { usageError } from '../errors.js';

/** The model presets the CLI compiles. */
export const MODEL_NAMES: readonly string[] = Object.keys(CONFIGS);

/** `--passes` values: `none` or a preset pipeline of @fastvlm/ane-passes. */
export const PASS_CHOICES: readonly string[] = ['none', ...PRESET_NAMES];

/** Validated flags of a compile. */
export interface CompileArgs {
  /** A preset name (`fastvlm-0.5b`, `tiny`...); undefined with `--module`, or with a checkpoint whose config.json says. */
  readonly model: string | undefined;
  /** A Hugging Face checkpoint directory; undefined = deterministic synthetic weights. */
  readonly checkpoint: string | undefined;
  /** A user's module building a Program (`--module`), with the export to use. */
  readonly module: string | undefined;
  readonly exportName: string | undefined;
  /** `--image-input`; undefined = the source's default (rgb for FastVLM's vision part). */
  readonly imageInput: ImageInputMode | undefined;
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
  /** `--device`: the profile of the ANE analysis that `--report` adds (undefined: a17pro). */
  readonly device: string | undefined;
  /** `--model` naming a zoo model (then `model` is undefined). */
  readonly zoo: string | undefined;
  /** `--html FILE`: the report page (with --report). */
  readonly html: string | undefined;
  /** `--cost-model FILE`: a parameter file `fastvlm calibrate` wrote (with --report). */
  readonly costModel: string | undefined;
  readonly dumpIr: string | undefined;
  readonly out: string;
}

/** The flags and help of `fastvlm compile`. */
export const COMPILE_SPEC: CommandSpec = {
  name: 'compile',
  summary: 'Compile FastVLM, or a model of your own, to Core ML .mlpackage files.',
  usage: 'compile (--model NAME | --checkpoint DIR | --module FILE) --out DIR [options]',
  description: [
    'Builds the model, runs the optimization passes and writes one .mlpackage per part: <out>/<model>-vision.mlpackage (FastViTHD + projector: images -> image_features) and <out>/<model>-llm.mlpackage (Qwen2 with the functions embed (S token ids -> embeddings for prefill), embed_token (one token id -> the embedding for decode), prefill and decode in one iOS18 multifunction model that stores shared weights once). Multifunction models need ios18: for older targets the LLM is written as one package per function, <out>/<model>-llm-<function>.mlpackage.',
    'With --checkpoint and no --model, the checkpoint\'s config.json says which model it is: the language model\'s sizes and the vision tower (mm_vision_tower, e.g. mobileclip_l_1024, which also gives the resolution). A config that matches no preset is built from its own numbers when the architecture is FastVLM\'s. --module FILE compiles the Program that a module of yours builds with the @fastvlm/graph DSL (its default export, or --export NAME: a Program or a function returning one) into <out>/<file name>.mlpackage; TypeScript modules load without a build step.',
    'The vision part takes its image as a Core ML image (--image-input rgb, the default): an app passes a CVPixelBuffer of R x R and Core ML converts it on the device, with scale 1/255 and bias 0 (FastVLM\'s normalization). --image-input tensor keeps an fp32 [1, 3, R, R] multiarray.',
    'Without --checkpoint the weights are deterministic synthetic values (same seed, byte-identical packages). Precision fp16 (the Neural Engine computes in fp16) keeps fp32 at the boundary where it helps: the images input and the logits outputs are fp32; image features, embeddings and KV caches stay fp16. On ios15, which has no fp16 inputs or outputs, all of them are fp32.',
    'Progress goes to stderr (a bar on a terminal, plain lines otherwise); the summary to stdout.',
  ].join('\n\n'),
  positionals: [],
  flags: [
    {
      name: 'model',
      kind: 'enum',
      metavar: 'NAME',
      values: [...MODEL_NAMES, ...ZOO_NAMES],
      doc: `Model preset: ${MODEL_NAMES.join(', ')}. Optional with --checkpoint (its config.json says). Or a zoo model at its published input size, with synthetic weights (${ZOO_NAMES.join(', ')}): what tools/ane-bench measures for fastvlm calibrate --measured.`,
    },
    { name: 'out', kind: 'string', metavar: 'DIR', required: true, doc: 'Output directory (created if missing). An existing package is replaced atomically, and stays intact if the compile fails.' },
    { name: 'checkpoint', kind: 'string', metavar: 'DIR', doc: 'Hugging Face checkpoint directory (config.json + model.safetensors or shards). Default: synthetic weights.' },
    { name: 'module', kind: 'string', metavar: 'FILE', doc: 'A module (.ts, .mts, .js, .mjs) whose export builds a Program with the DSL; compiled through the same pipeline and options.' },
    { name: 'export', kind: 'string', metavar: 'NAME', doc: "The module's export to compile (default: its default export, or its only Program or function)." },
    { name: 'image-input', kind: 'enum', values: IMAGE_INPUT_MODES, default: 'rgb (tensor with --module)', doc: 'The vision part\'s images input (with --module: every fp32 [1, 3, H, W] input): a Core ML RGB or BGR image of the input\'s size, scaled by 1/255 with bias 0 (the FastVLM network still reads R, G, B: bgr reverses the channels first), or tensor, an fp32 multiarray.' },
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
    { name: 'report', kind: 'bool', doc: 'Print per-function statistics before and after the passes (op counts by type, transposes and reshapes left, highest rank, largest intermediate tensor, fp16 share) and the ANE analysis of the programs as written (on --device), and write them to <out>/<model>-report.json.' },
    { name: 'device', kind: 'string', metavar: 'D', default: 'a17pro', doc: 'With --report: the device profile of the ANE analysis added to the report (modeled latency, Neural Engine share, segments and rule findings per function); see fastvlm analyze --help for the profiles.' },
    { name: 'html', kind: 'string', metavar: 'FILE', doc: 'With --report: also write the report as one self-contained HTML page (time by name scope, placement, findings and their fixes, before/after the passes, weights, the device and the model\'s calibration error); open it in any browser, offline.' },
    { name: 'cost-model', kind: 'string', metavar: 'FILE', doc: 'With --report: the cost-model parameter file of the analysis (one fastvlm calibrate --measured wrote; default the committed fit).' },
    { name: 'dump-ir', kind: 'string', metavar: 'DIR', doc: 'Write the IR text of each part before and after every pass, the final IR and its MIL text into DIR/<model>-<part>/.' },
  ],
  examples: [
    'fastvlm compile --model fastvlm-0.5b --out build/',
    'fastvlm compile --model fastvlm-0.5b --checkpoint ~/models/FastVLM-0.5B --passes ane --report --out build/',
    'fastvlm compile --model fastvlm-0.5b --passes ane --report --html build/report.html --device m4 --out build/',
    'fastvlm compile --model tiny --target ios17 --parts llm --out /tmp/tiny',
    'fastvlm compile --checkpoint ~/models/FastVLM-0.5B --passes ane --out build/',
    'fastvlm compile --module ./my-model.ts --passes ane --out build/',
  ],
};

/** The size flags, validated against a model preset. */
export interface ShapeFlags {
  readonly resolution: number | undefined;
  readonly contextLength: number | undefined;
  readonly prefillLength: number | undefined;
}

/**
 * Reads `--resolution`, `--context-length` and `--prefill-length` for `model` (a preset or a configuration): the resolution
 * must be a multiple of the encoder stride and the prefill length (given or default) at most
 * the context length (given or default); usage errors name the flag.
 */
export function shapeFlags(model: string | FastVlmConfig, f: Flags): ShapeFlags {
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

/** Flags that describe a FastVLM build, meaningless for a --module program. */
const FASTVLM_FLAGS = ['checkpoint', 'parts', 'seed', 'resolution', 'context-length', 'prefill-length'] as const;

/**
 * Validates parsed flags into {@link CompileArgs}: one source (`--model`, `--checkpoint` or
 * `--module`), and besides the kinds checked by the parser, the resolution must be a multiple of
 * the encoder stride and the prefill length at most the context length (usage errors naming the
 * flags). A checkpoint without `--model` has its config.json read here, to check the sizes.
 */
export function compileArgsFromFlags(f: Flags): CompileArgs {
  const model = f.str('model');
  const checkpoint = f.str('checkpoint');
  const module = f.str('module');
  const exportName = f.str('export');
  if (module !== undefined) {
    if (model !== undefined) throw usageError('--module', 'compiles a program of your own; it cannot be combined with --model', { found: module });
    for (const flag of FASTVLM_FLAGS) {
      if (f.has(flag)) throw usageError(`--${flag}`, `applies to FastVLM models (--model, --checkpoint); a --module program has its own shapes and weights`, { found: flag });
    }
  } else {
    if (exportName !== undefined) throw usageError('--export', 'names an export of a --module file; give --module FILE too', { found: exportName });
    if (model === undefined && checkpoint === undefined) {
      throw usageError('--model', `required by 'fastvlm compile' unless --checkpoint or --module is given (NAME); allowed: ${MODEL_NAMES.join(', ')}`);
    }
  }
  const zoo = model !== undefined && isZooModel(model) ? model : undefined;
  if (zoo !== undefined) {
    for (const flag of FASTVLM_FLAGS) {
      if (flag !== 'seed' && f.has(flag)) throw usageError(`--${flag}`, `applies to FastVLM models; the zoo model '${zoo}' compiles at its published input size`, { found: flag });
    }
  }
  const config: FastVlmConfig | undefined = zoo !== undefined ? undefined : model !== undefined ? resolveConfig(model) : checkpoint !== undefined ? configFromCheckpoint(checkpoint).config : undefined;
  const { resolution, contextLength, prefillLength } = config ? shapeFlags(config, f) : { resolution: undefined, contextLength: undefined, prefillLength: undefined };
  const compressText = f.str('compress');
  const compress = compressText !== undefined ? asUsage(() => parseCompressSpec(compressText)) : undefined;
  const target = (f.str('target') ?? DEFAULT_TARGET) as Target;
  if (compress) asUsage(() => checkCompressTarget(compress, target));
  if (f.has('device') && !f.bool('report')) throw usageError('--device', 'chooses the device of the analysis that --report adds; give --report too (or use fastvlm analyze)', { found: f.str('device')! });
  if (f.has('device')) asUsage(() => checkDevice(f.str('device')!));
  for (const name of ['html', 'cost-model'] as const) {
    if (f.has(name) && !f.bool('report')) throw usageError(`--${name}`, `belongs to the analysis that --report adds; give --report too (or use fastvlm analyze ... --${name})`, { found: f.str(name)! });
  }
  return {
    model: zoo !== undefined ? undefined : model,
    zoo,
    checkpoint,
    module,
    exportName,
    imageInput: f.str('image-input') as ImageInputMode | undefined,
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
    device: f.str('device'),
    html: f.str('html'),
    costModel: f.str('cost-model'),
    dumpIr: f.str('dump-ir'),
    out: f.str('out')!,
  };
}

/** The flag of an option of @fastvlm/compiler (`imageInput` -> `--image-input`). */
export function flagOfOption(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** A compiler option error as a usage error under the flag's name; other errors as they are. */
export function usageOf(e: unknown): unknown {
  if (!isFastVlmError(e, 'E_COMPILE_OPTION')) return e;
  const { option, reason, ...rest } = e.details;
  return usageError(flagOfOption(String(option)), String(reason), rest);
}

/** Runs `f`, turning the compiler's option errors into usage errors under the flag's name. */
export function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw usageOf(e);
  }
}
