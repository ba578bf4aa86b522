/**
 * `fastvlm inspect <path | model>`: what an .mlpackage holds (specification version,
 * functions and their features, op counts, weights, metadata), or for a model name its
 * parameter counts per component and the signatures of the functions `compile` would write.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type FloatDType, type Value, fmtType } from '@fastvlm/graph';
import { CONFIGS, MODEL_PARTS, ZOO_NAMES, buildFastVlm, buildZooModel, countParameters, isZooModel, resolveConfig, zooParameterCount } from '@fastvlm/models';
import {
  ArrayDataType,
  ColorSpace,
  DEFAULT_TARGET,
  type FeatureDescription,
  TARGETS,
  type Target,
  milFunctionOpCounts,
  readMlPackage,
  readWeightBin,
  targetInfo,
} from '@fastvlm/emit-coreml';
import type { CommandSpec, Flags } from '../args.js';
import { usageError } from '../errors.js';
import { formatBytes, formatMillions, formatTable, groupDigits } from '../format.js';
import { IMAGE_INPUT_MODES, type ImageInputMode, applyIoPrecision, imageInputOptions } from '@fastvlm/compiler';
import { MODEL_NAMES, shapeFlags } from './compile-spec.js';

/** The flags and help of `fastvlm inspect`. */
export const INSPECT_SPEC: CommandSpec = {
  name: 'inspect',
  summary: 'Describe an .mlpackage, or a model preset by name.',
  usage: 'inspect <path.mlpackage | model> [--json] [options]',
  description: [
    'For an .mlpackage: specification version and target, functions with their inputs and outputs (shapes and dtypes), op counts by type, weight bytes and metadata.',
    `For a model name (${MODEL_NAMES.join(', ')}): parameter counts per component (the vision tower with and without its unused CLIP head, the projector, the LLM) and the signatures of the functions compile writes with the same options.`,
    `For a zoo model (${ZOO_NAMES.join(', ')}): what it is, its default input, its parameter count against the published one, and the signature and op count of its function at the default input (or --resolution, --context-length).`,
  ].join('\n\n'),
  positionals: [{ name: 'PATH|MODEL', doc: 'An .mlpackage directory, a model preset or a zoo model name.' }],
  flags: [
    { name: 'json', kind: 'bool', doc: 'Print machine-readable JSON instead of text.' },
    { name: 'resolution', kind: 'int', metavar: 'N', doc: 'Model names only: image side for the signatures (default: the preset\'s).' },
    { name: 'context-length', kind: 'int', metavar: 'N', doc: 'Model names only: KV-cache length for the signatures.' },
    { name: 'prefill-length', kind: 'int', metavar: 'N', doc: 'Model names only: prefill length for the signatures.' },
    { name: 'precision', kind: 'enum', values: ['fp16', 'fp32'], doc: 'Model names only: precision for the signatures. Default: fp16.' },
    { name: 'target', kind: 'enum', values: TARGETS, doc: `Model names only: target for the signatures (I/O precision depends on it). Default: ${DEFAULT_TARGET}.` },
    { name: 'image-input', kind: 'enum', values: IMAGE_INPUT_MODES, doc: 'Model names only: the form of the vision input, as for compile. Default: rgb.' },
  ],
  examples: ['fastvlm inspect build/fastvlm-0.5b-llm.mlpackage', 'fastvlm inspect fastvlm-0.5b --json'],
};

/** A feature (input or output) as inspect shows it. */
export interface FeatureInfo {
  readonly name: string;
  /** `multiArray`, `image`, `state` or another feature kind. */
  readonly kind: string;
  readonly dtype?: string;
  readonly shape?: readonly number[];
  /** Image color space and size. */
  readonly image?: { readonly colorSpace: string; readonly width: number; readonly height: number };
  /** Other shapes a multiarray accepts. */
  readonly enumeratedShapes?: readonly (readonly number[])[];
}

/** One function of a package. */
export interface PackageFunctionInfo {
  readonly name: string;
  readonly default: boolean;
  readonly opset: string;
  readonly inputs: readonly FeatureInfo[];
  readonly outputs: readonly FeatureInfo[];
  /** Operations other than const. */
  readonly ops: number;
  readonly consts: number;
  /** Every op type (const included), sorted by type. */
  readonly opCounts: Readonly<Record<string, number>>;
}

/** What `inspect` reports for a package. */
export interface PackageInfo {
  readonly kind: 'package';
  readonly path: string;
  readonly specificationVersion: number;
  /** The target of that specification version, if it is one we emit. */
  readonly target: string | null;
  readonly functions: readonly PackageFunctionInfo[];
  readonly weights: { readonly fileBytes: number; readonly blobs: number; readonly dataBytes: number } | null;
  readonly modelBytes: number;
  readonly metadata: {
    readonly shortDescription?: string;
    readonly author?: string;
    readonly license?: string;
    readonly version?: string;
    readonly userDefined: Readonly<Record<string, string>>;
  };
}

const ARRAY_DTYPES: Readonly<Record<number, string>> = {
  [ArrayDataType.FLOAT32]: 'fp32',
  [ArrayDataType.FLOAT16]: 'fp16',
  [ArrayDataType.DOUBLE]: 'fp64',
  [ArrayDataType.INT32]: 'int32',
  [ArrayDataType.INT8]: 'int8',
};
const COLOR_SPACES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(ColorSpace).map(([k, v]) => [v, k]));

function featureInfo(f: FeatureDescription): FeatureInfo {
  const t = f.type ?? {};
  const name = f.name ?? '';
  const arr = (a: NonNullable<typeof t.multiArrayType>, kind: string): FeatureInfo => {
    const enumerated = a.enumeratedShapes?.shapes?.map((s) => [...(s.shape ?? [])]);
    return {
      name,
      kind,
      dtype: ARRAY_DTYPES[a.dataType ?? 0] ?? `code ${a.dataType ?? 0}`,
      shape: [...(a.shape ?? [])],
      ...(enumerated && enumerated.length ? { enumeratedShapes: enumerated } : {}),
    };
  };
  if (t.multiArrayType) return arr(t.multiArrayType, 'multiArray');
  if (t.stateType?.arrayType) return arr(t.stateType.arrayType, 'state');
  if (t.imageType) {
    const i = t.imageType;
    return { name, kind: 'image', image: { colorSpace: COLOR_SPACES[i.colorSpace ?? 0] ?? `code ${i.colorSpace ?? 0}`, width: i.width ?? 0, height: i.height ?? 0 } };
  }
  const kind = Object.keys(t).find((k) => k !== 'isOptional') ?? 'unknown';
  return { name, kind: kind.replace(/Type$/, '') };
}

/** Reads and summarizes the package at `p`. */
export function inspectPackage(p: string): PackageInfo {
  const pkg = readMlPackage(p);
  const model = pkg.model;
  const desc = model.description ?? {};
  const spec = model.specificationVersion ?? 0;
  const target = TARGETS.find((t) => targetInfo(t).specVersion === spec) ?? null;
  const milFns = model.mlProgram?.functions ?? {};
  const described = desc.functions?.length
    ? desc.functions.map((f) => ({ name: f.name ?? '', input: f.input ?? [], output: f.output ?? [] }))
    : [{ name: 'main', input: desc.input ?? [], output: desc.output ?? [] }];
  const defaultName = desc.functions?.length ? desc.defaultFunctionName ?? described[0]!.name : 'main';
  const functions = described.map((d): PackageFunctionInfo => {
    const mf = milFns[d.name];
    const opset = mf?.opset ?? '';
    const counts = mf ? milFunctionOpCounts(mf) : new Map<string, number>();
    const opCounts: Record<string, number> = Object.fromEntries(counts);
    const consts = counts.get('const') ?? 0;
    let ops = 0;
    for (const c of counts.values()) ops += c;
    return { name: d.name, default: d.name === defaultName, opset, inputs: d.input.map(featureInfo), outputs: d.output.map(featureInfo), ops: ops - consts, consts, opCounts };
  });
  let weights: PackageInfo['weights'] = null;
  if (pkg.weightsPath) {
    const wb = readWeightBin(pkg.weightsPath);
    weights = { fileBytes: wb.size, blobs: wb.count, dataBytes: wb.blobs.reduce((s, b) => s + b.sizeInBytes, 0) };
  }
  const md = desc.metadata ?? {};
  const userDefined: Record<string, string> = {};
  for (const k of Object.keys(md.userDefined ?? {}).sort()) userDefined[k] = md.userDefined![k]!;
  return {
    kind: 'package',
    path: pkg.path,
    specificationVersion: spec,
    target,
    functions,
    weights,
    modelBytes: fs.statSync(pkg.modelPath).size,
    metadata: {
      ...(md.shortDescription ? { shortDescription: md.shortDescription } : {}),
      ...(md.author ? { author: md.author } : {}),
      ...(md.license ? { license: md.license } : {}),
      ...(md.versionString ? { version: md.versionString } : {}),
      userDefined,
    },
  };
}

function featureText(f: FeatureInfo): string {
  if (f.image) return `image ${f.image.colorSpace} ${f.image.width}x${f.image.height}`;
  const shape = f.shape ? `[${f.shape.join(',')}]` : '';
  const en = f.enumeratedShapes ? ` (shapes ${f.enumeratedShapes.map((s) => `[${s.join(',')}]`).join(' ')})` : '';
  return `${f.kind === 'multiArray' ? '' : `${f.kind} `}${f.dtype ?? '?'}${shape}${en}`;
}

/** The text form of {@link PackageInfo}. */
export function formatPackageInfo(info: PackageInfo): string {
  const t = info.target ? ` (${targetInfo(info.target as Target).label}, target ${info.target})` : '';
  const rows: [string, string][] = [
    ['specification version', `${info.specificationVersion}${t}`],
    ['functions', info.functions.map((f) => `${f.name}${f.default && info.functions.length > 1 ? ' (default)' : ''}`).join(', ')],
    ['model.mlmodel', `${groupDigits(info.modelBytes)} bytes`],
    [
      'weights',
      info.weights ? `${groupDigits(info.weights.dataBytes)} bytes in ${info.weights.blobs} blobs; weight.bin ${groupDigits(info.weights.fileBytes)} bytes (${formatBytes(info.weights.fileBytes)})` : 'none',
    ],
  ];
  const md = info.metadata;
  if (md.shortDescription) rows.push(['description', md.shortDescription]);
  if (md.author) rows.push(['author', md.author]);
  if (md.license) rows.push(['license', md.license]);
  if (md.version) rows.push(['version', md.version]);
  const meta = Object.entries(md.userDefined);
  const width = Math.max(...rows.map(([k]) => k.length), ...meta.map(([k]) => k.length + 2));
  const lines: string[] = [info.path, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
  if (meta.length) lines.push('  metadata', ...meta.map(([k, v]) => `    ${k.padEnd(width - 2)}  ${v}`));
  for (const f of info.functions) {
    lines.push('', `function ${f.name}${f.default && info.functions.length > 1 ? ' (default)' : ''}, opset ${f.opset}: ${f.ops} ops, ${f.consts} consts`);
    for (const i of f.inputs) lines.push(`  input   ${i.name.padEnd(18)} ${featureText(i)}`);
    for (const o of f.outputs) lines.push(`  output  ${o.name.padEnd(18)} ${featureText(o)}`);
    const counts = Object.entries(f.opCounts);
    const rows = counts.map(([k, v]) => [k, String(v)]);
    lines.push(
      ...formatTable(['op', 'count'], rows)
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A function signature for a model name. */
export interface SignatureInfo {
  readonly part: string;
  readonly function: string;
  readonly inputs: readonly { readonly name: string; readonly type: string }[];
  readonly outputs: readonly { readonly name: string; readonly type: string }[];
}

/** What `inspect` reports for a model name. */
export interface ModelInfo {
  readonly kind: 'model';
  readonly model: string;
  readonly parameters: {
    readonly vision: number;
    readonly visionWithClipHead: number;
    readonly projector: number;
    readonly llm: number;
    /** Vision (without the CLIP head) + projector + LLM: what the compiled parts hold. */
    readonly total: number;
    /** BatchNorm running statistics (buffers, not parameters). */
    readonly buffers: number;
  };
  readonly config: {
    readonly vision: { readonly widths: readonly number[]; readonly depths: readonly number[]; readonly headDim: number; readonly outChannels: number };
    readonly llm: Readonly<Record<string, number | boolean>>;
  };
  readonly shapes: { readonly resolution: number; readonly contextLength: number; readonly prefillLength: number; readonly imageTokens: number };
  readonly precision: FloatDType;
  readonly target: Target;
  readonly functions: readonly SignatureInfo[];
}

/** Options of {@link inspectModel}. */
export interface InspectModelOptions {
  readonly resolution?: number;
  readonly contextLength?: number;
  readonly prefillLength?: number;
  readonly precision?: FloatDType;
  readonly target?: Target;
  /** The form of the vision input (default rgb, as compile writes it). */
  readonly imageInput?: ImageInputMode;
}

/** Parameter counts and function signatures of a model preset. */
export function inspectModel(name: string, opts: InspectModelOptions = {}): ModelInfo {
  const config = resolveConfig(name);
  const without = countParameters(config);
  const withHead = countParameters(config, { withClipHead: true });
  const precision = opts.precision ?? 'fp16';
  const target = opts.target ?? DEFAULT_TARGET;
  // The graphs are cheap to build: weights stay lazy and are never materialized here.
  const built = buildFastVlm(config, {
    dtype: precision,
    ...(opts.resolution !== undefined ? { resolution: opts.resolution } : {}),
    ...(opts.contextLength !== undefined ? { contextLength: opts.contextLength } : {}),
    ...(opts.prefillLength !== undefined ? { prefillLength: opts.prefillLength } : {}),
  });
  const functions: SignatureInfo[] = [];
  for (const part of MODEL_PARTS) {
    const program = built[part]!;
    applyIoPrecision(program, target);
    // What compile declares: the vision input as an image unless --image-input tensor.
    const images = part === 'vision' ? imageInputOptions(['images'], opts.imageInput, 'rgb') : {};
    const typeOf = (v: Value): string => {
      const img = images[v.name]?.image;
      return img ? `image ${img.colorLayout} ${v.type.shape[3]}x${v.type.shape[2]}` : fmtType(v.type);
    };
    for (const fn of program.functions.values()) {
      functions.push({
        part,
        function: fn.name,
        inputs: fn.inputs.map((v) => ({ name: v.name, type: typeOf(v) })),
        outputs: fn.outputs.map((v) => ({ name: v.name, type: fmtType(v.type) })),
      });
    }
  }
  const l = config.llm;
  return {
    kind: 'model',
    model: name,
    parameters: {
      vision: without.vision,
      visionWithClipHead: withHead.vision,
      projector: without.projector,
      llm: without.llm,
      total: without.total,
      buffers: without.buffers,
    },
    config: {
      vision: { widths: [...config.vision.widths], depths: [...config.vision.depths], headDim: config.vision.headDim, outChannels: config.vision.outChannels },
      llm: {
        hiddenSize: l.hiddenSize,
        layers: l.numHiddenLayers,
        heads: l.numAttentionHeads,
        kvHeads: l.numKeyValueHeads,
        headDim: l.headDim,
        intermediateSize: l.intermediateSize,
        vocabSize: l.vocabSize,
        tieWordEmbeddings: l.tieWordEmbeddings,
      },
    },
    shapes: { resolution: built.resolution, contextLength: built.contextLength, prefillLength: built.prefillLength, imageTokens: built.imageTokens },
    precision,
    target,
    functions,
  };
}

/** The text form of {@link ModelInfo}. */
export function formatModelInfo(info: ModelInfo): string {
  const p = info.parameters;
  const row = (what: string, n: number, note = ''): string[] => [what, groupDigits(n), formatMillions(n), note];
  const params = formatTable(
    ['component', 'parameters', 'millions', ''],
    [
      row('vision (FastViTHD)', p.visionWithClipHead, 'with the unused CLIP head'),
      row('vision (FastViTHD)', p.vision, 'without it (as compiled)'),
      row('projector (mlp2x_gelu)', p.projector),
      row('llm (Qwen2)', p.llm, info.config.llm.tieWordEmbeddings ? 'lm_head tied to the embedding' : 'embedding and lm_head separate'),
      row('total', p.total, 'as compiled'),
      row('BatchNorm statistics', p.buffers, 'buffers, not parameters'),
    ],
    ['left', 'right', 'right', 'left'],
  );
  const v = info.config.vision;
  const l = info.config.llm;
  const s = info.shapes;
  const lines = [
    `${info.model}`,
    `  vision  widths ${v.widths.join(',')}, depths ${v.depths.join(',')}, head dim ${v.headDim}, ${v.outChannels} output channels`,
    `  llm     hidden ${l.hiddenSize}, ${l.layers} layers, ${l.heads} heads / ${l.kvHeads} KV heads of ${l.headDim}, MLP ${l.intermediateSize}, vocab ${l.vocabSize}`,
    '',
    params.trimEnd(),
    '',
    `Functions at resolution ${s.resolution} (${s.imageTokens} image tokens), context ${s.contextLength}, prefill ${s.prefillLength}, ${info.precision}, ${info.target}:`,
  ];
  for (const f of info.functions) {
    lines.push(`  ${f.part}/${f.function}(${f.inputs.map((i) => `${i.name}: ${i.type}`).join(', ')})`);
    lines.push(`      -> ${f.outputs.map((o) => `${o.name}: ${o.type}`).join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What `inspect` reports for a zoo model. */
export interface ZooInfo {
  readonly kind: 'zoo';
  readonly model: string;
  readonly family: string;
  readonly summary: string;
  /** `image 256x256`, `77 tokens`, `decode step over 64 cached positions`. */
  readonly input: string;
  readonly parameters: number;
  /** BatchNorm running statistics (buffers, not parameters). */
  readonly buffers: number;
  readonly published: { readonly parameters: number; readonly source: string; readonly tolerance: number; readonly reason: string };
  readonly precision: FloatDType;
  /** The function `main` at the input size. */
  readonly function: SignatureInfo & { readonly ops: number; readonly consts: number };
}

/** Description, parameter counts and signature of zoo model `name`. */
export function inspectZoo(name: string, opts: { resolution?: number; contextLength?: number; precision?: FloatDType } = {}): ZooInfo {
  const precision = opts.precision ?? 'fp16';
  const m = buildZooModel(name, {
    dtype: precision,
    ...(opts.resolution !== undefined ? { resolution: opts.resolution } : {}),
    ...(opts.contextLength !== undefined ? { contextLength: opts.contextLength } : {}),
  });
  const e = m.entry;
  const fn = m.program.fn('main');
  const consts = fn.body.ops.filter((op) => op.kind === 'const').length;
  const counts = zooParameterCount(m.program);
  const input = e.input.kind === 'image' ? `image ${m.size}x${m.size}` : e.input.kind === 'tokens' ? `${m.size} tokens` : `decode step over ${m.size} cached positions`;
  return {
    kind: 'zoo',
    model: e.name,
    family: e.family,
    summary: e.summary,
    input,
    parameters: counts.parameters,
    buffers: counts.buffers,
    published: { ...e.published },
    precision,
    function: {
      part: e.name,
      function: 'main',
      inputs: fn.inputs.map((v) => ({ name: v.name, type: fmtType(v.type) })),
      outputs: fn.outputs.map((v) => ({ name: v.name, type: fmtType(v.type) })),
      ops: fn.body.ops.length - consts,
      consts,
    },
  };
}

/** The text form of {@link ZooInfo}. */
export function formatZooInfo(info: ZooInfo): string {
  const p = info.published;
  const diff = (100 * (info.parameters - p.parameters)) / p.parameters;
  const f = info.function;
  const lines = [
    `${info.model} (${info.family})`,
    `  ${info.summary}`,
    `  input       ${info.input}`,
    `  parameters  ${groupDigits(info.parameters)} (${formatMillions(info.parameters)}); published ${formatMillions(p.parameters)} (${diff >= 0 ? '+' : ''}${diff.toFixed(2)}%), ${p.source}`,
    ...(info.buffers ? [`  buffers     ${groupDigits(info.buffers)} BatchNorm statistics (not parameters)`] : []),
    '',
    `Function main (${info.precision}): ${groupDigits(f.ops)} ops, ${groupDigits(f.consts)} consts`,
    `  main(${f.inputs.map((i) => `${i.name}: ${i.type}`).join(', ')})`,
    `      -> ${f.outputs.map((o) => `${o.name}: ${o.type}`).join(', ')}`,
  ];
  return `${lines.join('\n')}\n`;
}

const MODEL_ONLY_FLAGS = ['resolution', 'context-length', 'prefill-length', 'precision', 'target'];
const ZOO_FLAGS = new Set(['resolution', 'context-length', 'precision']);

/** Runs `inspect` for parsed flags; returns the text to print. */
export function runInspect(what: string, f: Flags): string {
  const json = f.bool('json');
  const isModel = Object.prototype.hasOwnProperty.call(CONFIGS, what) && !fs.existsSync(what);
  if (!isModel && isZooModel(what) && !fs.existsSync(what)) {
    const given = MODEL_ONLY_FLAGS.find((n) => f.has(n) && !ZOO_FLAGS.has(n)) ?? (f.has('image-input') ? 'image-input' : undefined);
    if (given) throw usageError(`--${given}`, `applies to FastVLM presets, not to the zoo model '${what}'`);
    const info = inspectZoo(what, {
      ...(f.int('resolution') !== undefined ? { resolution: f.int('resolution')! } : {}),
      ...(f.int('context-length') !== undefined ? { contextLength: f.int('context-length')! } : {}),
      ...(f.str('precision') !== undefined ? { precision: f.str('precision') as FloatDType } : {}),
    });
    return json ? `${JSON.stringify(info, null, 2)}\n` : formatZooInfo(info);
  }
  if (!isModel) {
    const given = MODEL_ONLY_FLAGS.find((n) => f.has(n));
    if (given) throw usageError(`--${given}`, `applies to model names only, not to a package ('${what}')`);
    const looksLikePath = what.includes('/') || what.includes(path.sep) || what.endsWith('.mlpackage') || fs.existsSync(what);
    if (!looksLikePath) {
      throw usageError(`'${what}'`, `is neither an existing .mlpackage nor a model name; models: ${MODEL_NAMES.join(', ')}; zoo: ${ZOO_NAMES.join(', ')}`, { found: what, allowed: [...MODEL_NAMES, ...ZOO_NAMES] });
    }
    const info = inspectPackage(what);
    return json ? `${JSON.stringify(info, null, 2)}\n` : formatPackageInfo(info);
  }
  const { resolution, contextLength: ctx, prefillLength: pre } = shapeFlags(what, f);
  const info = inspectModel(what, {
    ...(resolution !== undefined ? { resolution } : {}),
    ...(ctx !== undefined ? { contextLength: ctx } : {}),
    ...(pre !== undefined ? { prefillLength: pre } : {}),
    ...(f.str('precision') !== undefined ? { precision: f.str('precision') as FloatDType } : {}),
    ...(f.str('target') !== undefined ? { target: f.str('target') as Target } : {}),
    ...(f.str('image-input') !== undefined ? { imageInput: f.str('image-input') as ImageInputMode } : {}),
  });
  return json ? `${JSON.stringify(info, null, 2)}\n` : formatModelInfo(info);
}
