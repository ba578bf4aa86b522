/**
 * Lowering of a whole Program to a Core ML model message: one MIL function per IR function
 * (a multifunction model from ios18), feature descriptions, metadata, and the plan of the
 * weight.bin blobs that the package writer streams from the WeightStore.
 * @module
 */
import { type Func, type Program, type Tensor, type Value, tensor, verifyProgram } from '@fastvlm/graph';
import type { MilFunction, MilNamedValueType } from '../proto/mil-types.js';
import type { CoreMLModel, FeatureDescription, ModelDescription, ModelMetadata } from '../proto/model-types.js';
import { type BlobPlanEntry, FunctionLowering, type MilVal, ProgramLowering } from './context.js';
import { lowerError } from './errors.js';
import { type ImagePlan, imageFeature, inputArrayFeature, outputFeature, planImage } from './features.js';
import { isMilName } from './names.js';
import { LOWERINGS } from './ops/index.js';
import type { LowerOptions, MetadataOptions } from './options.js';
import { DEFAULT_TARGET, type Target, parseTarget, targetInfo } from './target.js';
import { tensorValueType } from './values.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version.js';

/** A lowered program: the model message and the blobs its constants refer to. */
export interface LoweredModel {
  /** The model; blob offsets are provisional until the weights are written. */
  readonly model: CoreMLModel;
  /** weight.bin contents, in file order before deduplication. */
  readonly blobs: readonly BlobPlanEntry[];
  readonly target: Target;
  /** IR function name -> MIL function name (a single function is always `main`). */
  readonly functionNames: ReadonlyMap<string, string>;
  /** Number of MIL operations, consts included. */
  readonly opCount: number;
}

/** userDefined metadata keys this package sets. */
export const METADATA_KEYS = {
  package: 'com.github.fastvlm.package',
  version: 'com.github.fastvlm.version',
} as const;

/**
 * Lowers `program` to a Core ML ML-program model message for `opts.target` (default ios18).
 * Constants of >= 10 elements (fp16/fp32/int8/uint8; from ios18 also int16/int32) refer to
 * weight.bin; their offsets here assume a blob layout without deduplication, and
 * {@link compileToMlPackage} rewrites them with the offsets actually written.
 */
export function lowerProgram(program: Program, opts: LowerOptions = {}): CoreMLModel {
  return lowerProgramPlan(program, opts).model;
}

/** {@link lowerProgram} returning the weight plan as well (used by the package writer). */
export function lowerProgramPlan(program: Program, opts: LowerOptions = {}): LoweredModel {
  const target = opts.target === undefined ? DEFAULT_TARGET : parseTarget(opts.target);
  const info = targetInfo(target);
  if (opts.verify !== false) verifyProgram(program);
  const fns = selectFunctions(program, opts);
  if (fns.length > 1 && info.specVersion < 9) {
    throw lowerError('E_LOWER_TARGET', `a model with ${fns.length} functions (${fns.map((f) => f.name).join(', ')}) is a multifunction model, which needs target ios18 (iOS18) or newer; the target is ${target}`, {
      where: 'program',
      details: { needs: 'ios18', target },
    });
  }
  const multi = fns.length > 1;
  const milNames = new Map<string, string>(fns.map((f) => [f.name, multi ? f.name : 'main']));
  checkInputOptions(fns, opts);

  const pl = new ProgramLowering(target, program.weights);
  const functions: Record<string, MilFunction> = {};
  const descs: { name: string; input: FeatureDescription[]; output: FeatureDescription[] }[] = [];
  let opCount = 0;
  for (const fn of fns) {
    const milName = milNames.get(fn.name)!;
    const lowered = lowerFunction(pl, fn, milName, opts);
    functions[milName] = lowered.fn;
    descs.push({ name: milName, input: lowered.inputs, output: lowered.outputs });
    opCount += lowered.opCount;
  }
  pl.assignProvisionalOffsets();

  const metadata = buildMetadata(opts.metadata);
  let description: ModelDescription;
  if (multi) {
    const def = opts.defaultFunction ?? fns[0]!.name;
    if (!milNames.has(def)) {
      throw lowerError('E_LOWER_NAME', `default function '${def}' is not one of the emitted functions (${fns.map((f) => f.name).join(', ')})`, { where: 'options.defaultFunction' });
    }
    description = { functions: descs.map((d) => ({ name: d.name, input: d.input, output: d.output })), defaultFunctionName: milNames.get(def)!, metadata };
  } else {
    if (opts.defaultFunction !== undefined && opts.defaultFunction !== fns[0]!.name) {
      throw lowerError('E_LOWER_NAME', `default function '${opts.defaultFunction}' is not the emitted function '${fns[0]!.name}'`, { where: 'options.defaultFunction' });
    }
    description = { input: descs[0]!.input, output: descs[0]!.output, metadata };
  }
  const model: CoreMLModel = {
    specificationVersion: info.specVersion,
    description,
    mlProgram: { version: 1, functions },
  };
  return { model, blobs: pl.blobs, target, functionNames: milNames, opCount };
}

function selectFunctions(program: Program, opts: LowerOptions): Func[] {
  const names = opts.functions ?? [...program.functions.keys()];
  if (names.length === 0) throw lowerError('E_LOWER_PROGRAM', program.functions.size === 0 ? 'the program has no functions' : 'options.functions is empty', { where: 'program' });
  const seen = new Set<string>();
  return names.map((n) => {
    if (typeof n !== 'string' || !isMilName(n)) throw lowerError('E_LOWER_NAME', `function name ${JSON.stringify(n)} is not a valid MIL identifier ([A-Za-z_][A-Za-z0-9_@]*)`, { where: 'options.functions' });
    if (seen.has(n)) throw lowerError('E_LOWER_NAME', `function '${n}' is listed twice in options.functions`, { where: 'options.functions' });
    seen.add(n);
    const f = program.functions.get(n);
    if (!f) throw lowerError('E_LOWER_NAME', `the program has no function '${n}' (functions: ${[...program.functions.keys()].join(', ') || 'none'})`, { where: 'options.functions' });
    return f;
  });
}

function checkInputOptions(fns: readonly Func[], opts: LowerOptions): void {
  for (const [name, io] of Object.entries(opts.inputs ?? {})) {
    if (!fns.some((f) => f.inputs.some((v) => v.name === name))) {
      throw lowerError('E_LOWER_NAME', `options.inputs names '${name}', which is not an input of any emitted function`, { where: `options.inputs.${name}` });
    }
    if (io.image && io.enumeratedShapes) {
      throw lowerError('E_LOWER_OPTION', `input '${name}' cannot be both an image and have enumerated shapes`, { where: `options.inputs.${name}` });
    }
  }
}

function buildMetadata(m: MetadataOptions | undefined): ModelMetadata {
  const user: Record<string, string> = {};
  for (const [k, v] of Object.entries(m?.userDefined ?? {})) {
    if (typeof v !== 'string') throw lowerError('E_LOWER_OPTION', `metadata.userDefined['${k}'] must be a string`, { where: 'options.metadata' });
    if (k.startsWith('com.github.fastvlm.')) throw lowerError('E_LOWER_OPTION', `metadata.userDefined key '${k}' is reserved`, { where: 'options.metadata' });
    user[k] = v;
  }
  user[METADATA_KEYS.package] = PACKAGE_NAME;
  user[METADATA_KEYS.version] = PACKAGE_VERSION;
  const md: ModelMetadata = { userDefined: user };
  if (m?.shortDescription !== undefined) md.shortDescription = m.shortDescription;
  if (m?.version !== undefined) md.versionString = m.version;
  if (m?.author !== undefined) md.author = m.author;
  if (m?.license !== undefined) md.license = m.license;
  return md;
}

interface LoweredFunction {
  readonly fn: MilFunction;
  readonly inputs: FeatureDescription[];
  readonly outputs: FeatureDescription[];
  readonly opCount: number;
}

function lowerFunction(pl: ProgramLowering, fn: Func, milName: string, opts: LowerOptions): LoweredFunction {
  const fl = new FunctionLowering(pl, fn, milName);
  const target = pl.target;
  const inputs: MilNamedValueType[] = [];
  const inFeatures: FeatureDescription[] = [];
  const images: [Value, MilVal, ImagePlan][] = [];
  for (const v of fn.inputs) {
    const mv = fl.defineInput(v);
    const where = `${fn.name}.${v.name}`;
    inputs.push({ name: mv.name, type: tensorValueType(v.type) });
    const io = opts.inputs?.[v.name];
    if (io?.image) {
      const plan = planImage(io.image, v.type, target, where);
      inFeatures.push(imageFeature(mv.name, plan, io.shortDescription));
      images.push([v, mv, plan]);
    } else {
      inFeatures.push(inputArrayFeature(mv.name, v.type, io, target, where));
    }
  }
  for (const [v, mv, plan] of images) preprocessImage(fl, v, mv, plan);
  for (const op of fn.body.ops) {
    const lower = LOWERINGS[op.kind];
    if (!lower) {
      throw lowerError('E_LOWER_OP', `op '${op.kind}' has no lowering to MIL`, { where: `${fn.name}: ${op.kind} -> %${op.outputs.map((o) => o.name).join(', %')}`, details: { op: op.kind } });
    }
    fl.lowerOp(op, lower);
  }
  if (fn.outputs.length === 0) throw lowerError('E_LOWER_IO', `function '${fn.name}' has no outputs`, { where: fn.name });
  const outNames: string[] = [];
  const outFeatures: FeatureDescription[] = [];
  const inputNames = new Set(inputs.map((i) => i.name!));
  for (const o of fn.outputs) {
    let mv = fl.valueOf(o, `${fn.name} outputs`);
    // Core ML features need a computed value of their own: inputs, constants and repeated
    // outputs go through an identity.
    if (inputNames.has(mv.name) || mv.isConst || outNames.includes(mv.name)) {
      const slot = { name: fl.names.fresh(`${mv.name}_out`), type: mv.type };
      mv = fl.emit('identity', { x: mv }, [slot], `${fn.name} outputs`)[0]!;
    }
    outNames.push(mv.name);
    outFeatures.push(outputFeature(mv.name, mv.type, target, `${fn.name} output %${o.name}`));
  }
  const opset = targetInfo(target).opset;
  const milFn: MilFunction = {
    inputs,
    opset,
    blockSpecializations: { [opset]: { outputs: outNames, operations: fl.ops } },
  };
  return { fn: milFn, inputs: inFeatures, outputs: outFeatures, opCount: fl.ops.length };
}

/** `x * scale + bias` right after an image input, as coremltools inserts it. */
function preprocessImage(fl: FunctionLowering, v: Value, input: MilVal, plan: ImagePlan): void {
  const where = `${fl.fn.name}: image input ${v.name}`;
  const dtype = input.type.dtype;
  let last = input;
  if (plan.scale !== 1) {
    const y = fl.emitConst({ name: fl.names.fresh(`${input.name}__scale`), type: { dtype, shape: [] } }, tensor(dtype, [], [plan.scale]));
    last = fl.emit('mul', { x: last, y }, [{ name: fl.names.fresh(`${input.name}__scaled__`), type: input.type }], where)[0]!;
  }
  if (plan.bias.some((b) => b !== 0)) {
    const c = plan.bias.length;
    const bias: Tensor = c === 1 ? tensor(dtype, [], [plan.bias[0]!]) : tensor(dtype, [1, c, 1, 1], plan.bias);
    const y = fl.emitConst({ name: fl.names.fresh(`${input.name}__bias`), type: { dtype, shape: bias.shape } }, bias);
    last = fl.emit('add', { x: last, y }, [{ name: fl.names.fresh(`${input.name}__biased__`), type: input.type }], where)[0]!;
  }
  fl.rebind(v, last);
}
