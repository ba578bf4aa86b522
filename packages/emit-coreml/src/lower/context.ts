/**
 * The state of a lowering: per program the target, the weight store and the weight.bin plan;
 * per function the MIL names, the emitted operations and the IR -> MIL value map; per op the
 * {@link LoweringContext} that op mappings use to emit MIL. Every emitted op is checked against
 * the MIL op table ({@link MIL_OPS}) for the target: existence, input names, const-ness and dtype
 * domains, so that mistakes surface as coded errors naming the IR op.
 * @module
 */
import {
  type Attrs,
  type AttrValue,
  type DType,
  type FastVlmError,
  type Func,
  type InferInputs,
  type Op,
  type StaticShape,
  type Tensor,
  type TensorType,
  type Value,
  type WeightStore,
  byteSize,
  checkOp,
  encodeTensor,
  fmtType,
  getOp,
  isStatic,
  numel,
  tensor,
} from '@fastvlm/graph';
import type { MilBlobFileValue, MilOperation, MilValue } from '../proto/mil-types.js';
import { type LowerErrorCode, lowerError } from './errors.js';
import { MIL_OPS, inputDomain, milOpVersion } from './mil-schema.js';
import { MilNameScope } from './names.js';
import { type Target, TARGETS, atLeast, targetIndex, targetInfo } from './target.js';
import { immediateValue, stringValue, tensorValueType, usesBlob } from './values.js';

/** Where the package's weights live, relative to model.mlmodel. */
export const WEIGHT_FILE_NAME = '@model_path/weights/weight.bin';

/** A value of the MIL function being built. */
export interface MilVal {
  readonly name: string;
  readonly type: TensorType;
  /** True when produced by a `const` op (MIL's compile-time constants). */
  readonly isConst: boolean;
  /** The elements of a small inline constant (lets mappings read shapes, axes...). */
  readonly value?: Tensor;
  /** Set for string constants (which have no IR dtype; `type` is then a placeholder). */
  readonly str?: string;
}

/** A named, typed output slot an op mapping fills by emitting an op. */
export interface OutSlot {
  readonly name: string;
  readonly type: TensorType;
}

/** One blob of weight.bin: what to stream and which MIL values point at it. */
export interface BlobPlanEntry {
  /** Deduplication key: a weight-store name, or a generated key for inline constants. */
  readonly key: string;
  readonly dtype: DType;
  /** Number of elements. */
  readonly count: number;
  /** Bytes of data (sub-byte types packed). */
  readonly byteLength: number;
  /** The data in chunks, streamed when the package is written. */
  readonly chunks: () => Iterable<Uint8Array>;
  /** The blob references to patch with the real record offset once written. */
  readonly refs: MilBlobFileValue[];
  /** Human-readable origin for diagnostics. */
  readonly origin: string;
}

/** Record offsets of weight.bin for blobs of these sizes, written in order without deduplication. */
export function layoutBlobOffsets(byteLengths: readonly number[]): number[] {
  const out: number[] = [];
  let pos = 64;
  for (const n of byteLengths) {
    out.push(pos);
    pos = align64(pos + 64 + n);
  }
  return out;
}

function align64(n: number): number {
  return Math.ceil(n / 64) * 64;
}

/** Program-level state shared by every function of one lowering. */
export class ProgramLowering {
  readonly blobs: BlobPlanEntry[] = [];
  private readonly blobByKey = new Map<string, BlobPlanEntry>();
  private inlineBlobCounter = 0;

  constructor(
    readonly target: Target,
    readonly weights: WeightStore,
  ) {}

  /** A blob reference for weight-store tensor `name` (one blob per name, shared by functions). */
  weightBlob(name: string, dtype: DType, shape: StaticShape): MilBlobFileValue {
    let entry = this.blobByKey.get(`w:${name}`);
    if (!entry) {
      const count = numel(shape);
      entry = {
        key: `w:${name}`,
        dtype,
        count,
        byteLength: byteSize(dtype, count),
        chunks: () => this.weights.stream(name),
        refs: [],
        origin: `weight '${name}' (${this.weights.info(name).source})`,
      };
      this.addBlob(entry);
    }
    return this.ref(entry);
  }

  /** A blob reference for an inline constant too large to stay inline. */
  tensorBlob(t: Tensor, origin: string): MilBlobFileValue {
    const bytes = encodeTensor(t);
    const entry: BlobPlanEntry = {
      key: `t:${this.inlineBlobCounter++}`,
      dtype: t.dtype,
      count: t.data.length,
      byteLength: bytes.length,
      chunks: () => [bytes],
      refs: [],
      origin,
    };
    this.addBlob(entry);
    return this.ref(entry);
  }

  private addBlob(entry: BlobPlanEntry): void {
    this.blobs.push(entry);
    this.blobByKey.set(entry.key, entry);
  }

  private ref(entry: BlobPlanEntry): MilBlobFileValue {
    const r: MilBlobFileValue = { fileName: WEIGHT_FILE_NAME, offset: 0 };
    entry.refs.push(r);
    return r;
  }

  /** Fills every blob reference with the offsets of a plain, non-deduplicating layout. */
  assignProvisionalOffsets(): void {
    const offsets = layoutBlobOffsets(this.blobs.map((b) => b.byteLength));
    this.blobs.forEach((b, i) => {
      for (const r of b.refs) r.offset = offsets[i]!;
    });
  }
}

/** A MIL value type description for messages: `fp32[1,3]`. */
function describe(v: { readonly type: TensorType }): string {
  return fmtType(v.type);
}

/** Lowers one IR function into MIL operations. */
export class FunctionLowering {
  readonly names = new MilNameScope();
  readonly ops: MilOperation[] = [];
  private readonly byValue = new Map<Value, MilVal>();
  private readonly byName = new Map<string, MilVal>();
  /** Pre-assigned MIL names of IR values. */
  private readonly irNames = new Map<Value, string>();
  /** IR constants not emitted yet: their (memoized) values, by MIL name. */
  private readonly deferred = new Map<string, () => { val: MilValue; tensor?: Tensor }>();
  private readonly emitted = new Set<string>();

  constructor(
    readonly program: ProgramLowering,
    readonly fn: Func,
    /** The MIL function name (for messages). */
    readonly milName: string,
  ) {
    // Valid, unique names survive unchanged; the rest are rewritten afterwards, in order.
    const all: Value[] = [...fn.inputs];
    for (const op of fn.body.ops) all.push(...op.outputs);
    const seen = new Set<string>();
    const later: Value[] = [];
    for (const v of all) {
      if (seen.has(v.name)) {
        throw lowerError('E_LOWER_NAME', `value name '${v.name}' is used twice in function '${fn.name}'`, { where: `${fn.name}.${v.name}` });
      }
      seen.add(v.name);
      if (this.names.tryClaim(v.name)) this.irNames.set(v, v.name);
      else later.push(v);
    }
    for (const v of later) this.irNames.set(v, this.names.fresh(v.name));
  }

  get target(): Target {
    return this.program.target;
  }

  /** The MIL name reserved for an IR value. */
  nameOf(v: Value): string {
    const n = this.irNames.get(v);
    if (n === undefined) throw lowerError('E_LOWER_PROGRAM', `value %${v.name} does not belong to function '${this.fn.name}'`, { where: this.fn.name });
    return n;
  }

  /** Declares a function input as a MIL value. */
  defineInput(v: Value): MilVal {
    const mv: MilVal = { name: this.nameOf(v), type: v.type, isConst: false };
    this.register(mv);
    this.byValue.set(v, mv);
    return mv;
  }

  /** The MIL value standing for an IR value (a deferred constant is emitted now). */
  valueOf(v: Value, where: string): MilVal {
    return this.materialize(this.peek(v, where));
  }

  /** The MIL value standing for an IR value, without emitting a deferred constant. */
  peek(v: Value, where: string): MilVal {
    const mv = this.byValue.get(v);
    if (!mv) throw lowerError('E_LOWER_PROGRAM', `value %${v.name} is used before it is defined`, { where });
    return mv;
  }

  /** Makes later uses of an IR value read `mv` instead (image preprocessing). */
  rebind(v: Value, mv: MilVal): void {
    this.byValue.set(v, mv);
  }

  /** A MIL value by name, if defined. */
  byMilName(name: string): MilVal | undefined {
    return this.byName.get(name);
  }

  private register(mv: MilVal): void {
    this.byName.set(mv.name, mv);
  }

  /** Lowers one IR op with `lower`, then binds its outputs. */
  lowerOp(op: Op, lower: (cx: LoweringContext) => void): void {
    const where = `${this.fn.name}: ${op.kind} -> %${op.outputs.map((o) => o.name).join(', %')}`;
    const cx = new OpContext(this, op, where);
    lower(cx);
    for (const o of op.outputs) {
      const mv = this.byName.get(this.nameOf(o));
      if (!mv) throw lowerError('E_LOWER_OP', `the lowering of ${op.kind} produced no value for output %${o.name}`, { where });
      this.byValue.set(o, mv);
    }
  }

  /** Emits one MIL op after checking it against the MIL op table; returns its outputs. */
  emit(type: string, inputs: Readonly<Record<string, MilVal | readonly MilVal[] | undefined>>, outs: readonly OutSlot[], where: string): MilVal[] {
    const present: [string, readonly MilVal[]][] = [];
    for (const [k, v] of Object.entries(inputs)) {
      if (v === undefined) continue;
      present.push([k, Array.isArray(v) ? (v as readonly MilVal[]) : [v as MilVal]]);
    }
    checkMilOp(type, present, this.target, where);
    const outVals: MilVal[] = outs.map((o) => ({ name: o.name, type: o.type, isConst: false }));
    this.ops.push({
      type,
      inputs: Object.fromEntries(present.map(([k, vs]) => [k, { arguments: vs.map((x) => ({ name: x.name })) }])),
      outputs: outVals.map((o) => ({ name: o.name, type: tensorValueType(o.type) })),
      attributes: { name: stringValue(outVals[0]?.name ?? type) },
    });
    for (const o of outVals) this.register(o);
    return outVals;
  }

  /** The value of a constant holding `t`: inline, or in weight.bin when coremltools would put it there. */
  tensorValue(t: Tensor, origin: string): MilValue {
    return usesBlob(t.dtype, t.data.length, this.target) ? { type: tensorValueType(t), blobFileValue: this.program.tensorBlob(t, origin) } : immediateValue(t);
  }

  /** The value of weight-store tensor `weight`: a weight.bin reference, or inline when small. */
  weightValue(weight: string, dtype: DType, shape: StaticShape): { val: MilValue; tensor?: Tensor } {
    if (usesBlob(dtype, numel(shape), this.target)) {
      return { val: { type: tensorValueType({ dtype, shape }), blobFileValue: this.program.weightBlob(weight, dtype, shape) } };
    }
    const t = this.program.weights.read(weight);
    return { val: immediateValue(t), tensor: t };
  }

  /** Emits a `const` op holding `t` now (parameters of the op being lowered). */
  emitConst(slot: OutSlot, t: Tensor): MilVal {
    const val = this.tensorValue(t, `constant %${slot.name} of function '${this.fn.name}'`);
    return this.pushConst(slot, val, val.immediateValue ? t : undefined);
  }

  /**
   * Declares a constant of the IR (a `const` op) without emitting it yet: its MIL `const` op is
   * written right before its first use as an ordinary input, while constexpr ops take its value
   * inline ({@link constBinding}), and an unused constant writes nothing (no dead weights).
   */
  deferConst(slot: OutSlot, make: () => { val: MilValue; tensor?: Tensor }): MilVal {
    let made: { val: MilValue; tensor?: Tensor } | undefined;
    const memo = (): { val: MilValue; tensor?: Tensor } => (made ??= make());
    this.deferred.set(slot.name, memo);
    const mv: MilVal = { name: slot.name, type: slot.type, isConst: true };
    this.register(mv);
    return mv;
  }

  /** True for a constant declared with {@link deferConst}. */
  isDeferred(mv: MilVal): boolean {
    return this.deferred.has(mv.name);
  }

  /** The value of a deferred constant, for an inline binding or attribute (no const op). */
  constBinding(mv: MilVal): { val: MilValue; tensor?: Tensor } | undefined {
    return this.deferred.get(mv.name)?.();
  }

  /** Writes the const op of a deferred constant on its first use; returns the value to bind. */
  materialize(mv: MilVal): MilVal {
    const memo = this.deferred.get(mv.name);
    if (!memo || this.emitted.has(mv.name)) return this.byName.get(mv.name) ?? mv;
    this.emitted.add(mv.name);
    const { val, tensor: t } = memo();
    return this.pushConst({ name: mv.name, type: mv.type }, val, t);
  }

  /** Emits a `const` string scalar. */
  emitStringConst(name: string, s: string): MilVal {
    const val = stringValue(s);
    this.ops.push({ type: 'const', outputs: [{ name, type: val.type! }], attributes: { name: stringValue(name), val } });
    const mv: MilVal = { name, type: { dtype: 'int8', shape: [] }, isConst: true, str: s };
    this.register(mv);
    return mv;
  }

  /** Appends a hand-built op whose outputs are `outs` (types written from the slots). */
  pushRaw(op: MilOperation, outs: readonly OutSlot[]): MilVal[] {
    const outVals: MilVal[] = outs.map((o) => ({ name: o.name, type: o.type, isConst: op.type?.startsWith('constexpr_') === true }));
    this.ops.push({ ...op, outputs: outVals.map((o) => ({ name: o.name, type: tensorValueType(o.type) })), attributes: { ...(op.attributes ?? {}), name: stringValue(outVals[0]?.name ?? op.type ?? '') } });
    for (const o of outVals) this.register(o);
    return outVals;
  }

  private pushConst(slot: OutSlot, val: MilValue, t: Tensor | undefined): MilVal {
    this.ops.push({
      type: 'const',
      outputs: [{ name: slot.name, type: tensorValueType(slot.type) }],
      attributes: { name: stringValue(slot.name), val },
    });
    const mv: MilVal = t ? { name: slot.name, type: slot.type, isConst: true, value: t } : { name: slot.name, type: slot.type, isConst: true };
    this.register(mv);
    return mv;
  }
}

function targetsFrom(t: Target): Target[] {
  return TARGETS.slice(targetIndex(t) + 1);
}

/** Checks a MIL op application against the op table for `target`. */
export function checkMilOp(type: string, inputs: readonly (readonly [string, readonly MilVal[]])[], target: Target, where: string): void {
  const versions = MIL_OPS[type];
  if (!versions) throw lowerError('E_LOWER_OP', `MIL op '${type}' is not in the lowering's op table`, { where });
  const ver = milOpVersion(type, target, targetIndex);
  if (!ver) {
    const first = versions[0]!.since;
    throw lowerError('E_LOWER_TARGET', `MIL op '${type}' needs target ${first} (${targetInfo(first).label}) or newer; the target is ${target}`, {
      where,
      details: { milOp: type, needs: first, target },
    });
  }
  const given = new Map(inputs);
  for (const [name, spec] of Object.entries(ver.inputs)) {
    if (!spec.optional && !given.has(name)) throw lowerError('E_LOWER_OP', `MIL op '${type}' needs input '${name}'`, { where });
  }
  const varDtype = new Map<string, [string, DType]>();
  for (const [name, vals] of inputs) {
    const spec = ver.inputs[name];
    if (!spec) throw lowerError('E_LOWER_OP', `MIL op '${type}' has no input '${name}' (inputs: ${Object.keys(ver.inputs).join(', ')})`, { where });
    if (!spec.tuple && vals.length !== 1) throw lowerError('E_LOWER_OP', `MIL op '${type}' input '${name}' takes one value, got ${vals.length}`, { where });
    if (spec.const) {
      const bad = vals.find((x) => !x.isConst);
      if (bad) {
        throw lowerError('E_LOWER_NOT_CONST', `MIL op '${type}' needs input '${name}' to be a compile-time constant, but %${bad.name} is computed`, {
          where,
          details: { milOp: type, input: name },
        });
      }
    }
    const dom = inputDomain(ver, name);
    for (const x of vals) {
      if (x.str !== undefined) continue; // string constants: checked by coremltools itself
      if (dom && !dom.includes(x.type.dtype)) {
        const later = targetsFrom(target).find((t) => {
          const lv = milOpVersion(type, t, targetIndex);
          const ld = lv && inputDomain(lv, name);
          return ld !== undefined && ld.includes(x.type.dtype);
        });
        if (later) {
          throw lowerError('E_LOWER_TARGET', `MIL op '${type}' accepts ${x.type.dtype} for input '${name}' only from target ${later} (${targetInfo(later).label}); the target is ${target} (accepted: ${dom.join(', ')})`, {
            where,
            details: { milOp: type, input: name, dtype: x.type.dtype, needs: later, target },
          });
        }
        throw lowerError('E_LOWER_DTYPE', `MIL op '${type}' does not accept ${x.type.dtype} for input '${name}' on any target (accepted on ${target}: ${dom.join(', ')})`, {
          where,
          details: { milOp: type, input: name, dtype: x.type.dtype },
        });
      }
      if (typeof spec.domain === 'string') {
        const prev = varDtype.get(spec.domain);
        if (prev && prev[1] !== x.type.dtype) {
          throw lowerError('E_LOWER_DTYPE', `MIL op '${type}' needs inputs '${prev[0]}' and '${name}' to share one dtype, got ${prev[1]} and ${x.type.dtype}`, { where });
        }
        varDtype.set(spec.domain, [name, x.type.dtype]);
      }
    }
  }
}

/** What an op mapping sees: the IR op, its inputs as MIL values, and ways to emit MIL. */
export interface LoweringContext {
  readonly target: Target;
  readonly op: Op;
  /** `function: kind -> %outputs`, for messages. */
  readonly where: string;
  /** A required single input. */
  input(name: string): MilVal;
  /** An optional single input. */
  optInput(name: string): MilVal | undefined;
  /** A variadic input. */
  inputList(name: string): MilVal[];
  /** An attribute (defaults applied by the IR). */
  attr<T extends AttrValue>(name: string): T;
  /** An optional attribute without default: undefined when absent. */
  optAttr<T extends AttrValue>(name: string): T | undefined;
  /** The slot of IR output `i` (its reserved MIL name and IR type). */
  out(i?: number): OutSlot;
  /** A slot for an intermediate value, named after the op's first output. */
  temp(suffix: string, type: TensorType): OutSlot;
  /** Emits a MIL op (checked against the op table); returns its outputs. */
  emit(type: string, inputs: Readonly<Record<string, MilVal | readonly MilVal[] | undefined>>, outs: readonly OutSlot[]): MilVal[];
  /** Emits a single-output MIL op. */
  emit1(type: string, inputs: Readonly<Record<string, MilVal | readonly MilVal[] | undefined>>, out: OutSlot): MilVal;
  /** A constant parameter (named `<op output>_<suffix>`). */
  constant(suffix: string, t: Tensor): MilVal;
  /** A `const` op writing `slot` with the elements of `t`. */
  constTo(slot: OutSlot, t: Tensor): MilVal;
  /** A `const` op writing `slot` with weight-store tensor `weight`. */
  weightConst(slot: OutSlot, weight: string, dtype: DType, shape: readonly number[]): MilVal;
  /**
   * The value of a constant input (an IR `const`), to bind inline in a constexpr op; `read`
   * materializes its elements. E_LOWER_NOT_CONST when the input is computed.
   */
  constValue(name: string): { readonly val: MilValue; read: () => Tensor };
  /** The weight-store name behind a constant input, if any. */
  weightName(name: string): string | undefined;
  /** Appends a hand-built MIL op (constexpr ops with attribute or inline-value inputs). */
  emitRaw(op: MilOperation, outs: readonly OutSlot[]): MilVal[];
  /** The MIL value of a tensor (inline, or a weight.bin reference when large). */
  tensorValue(t: Tensor): MilValue;
  /** An int32 constant: a 1-D list, or a scalar when `scalar` is set. */
  int32s(suffix: string, values: readonly number[]): MilVal;
  int32(suffix: string, v: number): MilVal;
  bool(suffix: string, v: boolean): MilVal;
  bools(suffix: string, v: readonly boolean[]): MilVal;
  /** A scalar of a float or integer dtype. */
  scalar(suffix: string, dtype: DType, v: number): MilVal;
  /** A string scalar. */
  str(suffix: string, s: string): MilVal;
  /** Output types of IR op `kind` applied to these types (for intermediate values). */
  infer(kind: string, inputs: Readonly<Record<string, TensorType | readonly TensorType[] | undefined>>, attrs?: Attrs): TensorType[];
  /** Throws E_LOWER_TARGET unless the target is `min` or newer. */
  require(min: Target, what: string): void;
  /** True when the target is `min` or newer. */
  atLeast(min: Target): boolean;
  /** A coded error about this op. */
  error(code: LowerErrorCode, message: string): FastVlmError;
  /** Throws E_LOWER_SHAPE unless the shape is static; returns it. */
  staticShape(t: TensorType, what: string): readonly number[];
}

class OpContext implements LoweringContext {
  constructor(
    private readonly fl: FunctionLowering,
    readonly op: Op,
    readonly where: string,
  ) {}

  get target(): Target {
    return this.fl.target;
  }

  input(name: string): MilVal {
    const v = this.op.inputs[name];
    if (v === undefined || Array.isArray(v)) throw this.error('E_LOWER_OP', `${this.op.kind} needs a single input '${name}'`);
    return this.fl.valueOf(v as Value, this.where);
  }

  optInput(name: string): MilVal | undefined {
    return this.op.inputs[name] === undefined ? undefined : this.input(name);
  }

  inputList(name: string): MilVal[] {
    const v = this.op.inputs[name];
    if (!Array.isArray(v)) throw this.error('E_LOWER_OP', `${this.op.kind} needs a list input '${name}'`);
    return (v as readonly Value[]).map((x) => this.fl.valueOf(x, this.where));
  }

  attr<T extends AttrValue>(name: string): T {
    const v = this.op.attrs[name];
    if (v === undefined) throw this.error('E_LOWER_OP', `${this.op.kind} has no attribute '${name}'`);
    return v as T;
  }

  optAttr<T extends AttrValue>(name: string): T | undefined {
    return this.op.attrs[name] as T | undefined;
  }

  out(i = 0): OutSlot {
    const v = this.op.outputs[i];
    if (!v) throw this.error('E_LOWER_OP', `${this.op.kind} has no output ${i}`);
    return { name: this.fl.nameOf(v), type: v.type };
  }

  temp(suffix: string, type: TensorType): OutSlot {
    return { name: this.fl.names.fresh(`${this.out(0).name}_${suffix}`), type };
  }

  emit(type: string, inputs: Readonly<Record<string, MilVal | readonly MilVal[] | undefined>>, outs: readonly OutSlot[]): MilVal[] {
    return this.fl.emit(type, inputs, outs, this.where);
  }

  emit1(type: string, inputs: Readonly<Record<string, MilVal | readonly MilVal[] | undefined>>, out: OutSlot): MilVal {
    return this.emit(type, inputs, [out])[0]!;
  }

  constant(suffix: string, t: Tensor): MilVal {
    return this.fl.emitConst(this.temp(suffix, { dtype: t.dtype, shape: t.shape }), t);
  }

  constTo(slot: OutSlot, t: Tensor): MilVal {
    const origin = `constant %${slot.name} of function '${this.fl.fn.name}'`;
    return this.fl.deferConst(slot, () => {
      const val = this.fl.tensorValue(t, origin);
      return val.immediateValue ? { val, tensor: t } : { val };
    });
  }

  weightConst(slot: OutSlot, weight: string, dtype: DType, shape: readonly number[]): MilVal {
    const info = this.fl.program.weights.info(weight);
    if (info.dtype !== dtype || info.shape.length !== shape.length || info.shape.some((d, i) => d !== shape[i])) {
      throw this.error('E_LOWER_OP', `const declares ${dtype}[${shape.join(',')}] but weight '${weight}' is ${info.dtype}[${info.shape.join(',')}]`);
    }
    return this.fl.deferConst(slot, () => this.fl.weightValue(weight, dtype, shape));
  }

  constValue(name: string): { readonly val: MilValue; read: () => Tensor } {
    const v = this.op.inputs[name];
    if (v === undefined || Array.isArray(v)) throw this.error('E_LOWER_OP', `${this.op.kind} needs a single input '${name}'`);
    const iv = v as Value;
    const mv = this.fl.peek(iv, this.where);
    const producer = iv.producer;
    if (!this.fl.isDeferred(mv) || !producer || producer.kind !== 'const') {
      throw this.error('E_LOWER_NOT_CONST', `${this.op.kind} input '${name}' (%${iv.name}) must be a constant: Core ML materializes ${this.op.kind} at load time`);
    }
    const weight = producer.attrs.weight as string | undefined;
    const fl = this.fl;
    // The value (and its blob, if any) is created only when bound, never just for reading.
    return {
      get val(): MilValue {
        return fl.constBinding(mv)!.val;
      },
      read: (): Tensor => (weight !== undefined ? fl.program.weights.read(weight) : tensor(producer.attrs.dtype as DType, producer.attrs.shape as number[], producer.attrs.value as number[])),
    };
  }

  weightName(name: string): string | undefined {
    const v = this.op.inputs[name] as Value | undefined;
    const w = v?.producer?.kind === 'const' ? v.producer.attrs.weight : undefined;
    return typeof w === 'string' ? w : undefined;
  }

  emitRaw(op: MilOperation, outs: readonly OutSlot[]): MilVal[] {
    return this.fl.pushRaw(op, outs);
  }

  tensorValue(t: Tensor): MilValue {
    return this.fl.tensorValue(t, `a parameter of ${this.where}`);
  }

  int32s(suffix: string, values: readonly number[]): MilVal {
    return this.constant(suffix, tensor('int32', [values.length], values));
  }

  int32(suffix: string, v: number): MilVal {
    return this.constant(suffix, tensor('int32', [], [v]));
  }

  bool(suffix: string, v: boolean): MilVal {
    return this.constant(suffix, tensor('bool', [], [v ? 1 : 0]));
  }

  bools(suffix: string, v: readonly boolean[]): MilVal {
    return this.constant(suffix, tensor('bool', [v.length], v.map((b) => (b ? 1 : 0))));
  }

  scalar(suffix: string, dtype: DType, v: number): MilVal {
    return this.constant(suffix, tensor(dtype, [], [v]));
  }

  str(suffix: string, s: string): MilVal {
    return this.fl.emitStringConst(this.fl.names.fresh(`${this.out(0).name}_${suffix}`), s);
  }

  infer(kind: string, inputs: Readonly<Record<string, TensorType | readonly TensorType[] | undefined>>, attrs: Attrs = {}): TensorType[] {
    return checkOp(getOp(kind), inputs as InferInputs, attrs, this.where).outputs;
  }

  require(min: Target, what: string): void {
    if (!atLeast(this.target, min)) {
      throw lowerError('E_LOWER_TARGET', `${what} needs target ${min} (${targetInfo(min).label}) or newer; the target is ${this.target}`, {
        where: this.where,
        details: { op: this.op.kind, needs: min, target: this.target },
      });
    }
  }

  atLeast(min: Target): boolean {
    return atLeast(this.target, min);
  }

  error(code: LowerErrorCode, message: string): FastVlmError {
    return lowerError(code, message, { where: this.where, details: { op: this.op.kind } });
  }

  staticShape(t: TensorType, what: string): readonly number[] {
    if (!isStatic(t.shape)) throw this.error('E_LOWER_SHAPE', `${this.op.kind}: ${what} ${describe({ type: t })} must have a static shape to be expressed in MIL`);
    return t.shape;
  }
}
