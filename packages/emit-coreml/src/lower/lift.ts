/**
 * Lifting: a Core ML ML program (as read from a package) back to an IR Program whose
 * WeightStore reads weight.bin lazily. Each MIL op maps back to IR ops through
 * {@link LIFTINGS}; const inputs that MIL takes as parameters (axes, strides, pad types...)
 * become IR attributes again, and consts used as tensors become IR `const` ops (inline values,
 * or store weights named after the const, one per blob). An `identity` lifts to the value itself.
 *
 * The lift is the inverse of the lowering up to decompositions (`neg` comes back as `mul` by -1,
 * `rms_norm` as its reductions), so emit -> read -> lift -> emit -> read -> lift is stable. The
 * compositions listed in `lift-patterns.ts` (int32 `div`) fold back into their one IR op.
 * @module
 */
import { closeSync, openSync, readSync } from 'node:fs';
import {
  type AttrValue,
  type DType,
  type Func,
  FunctionBuilder,
  Program,
  type Tensor,
  type TensorType,
  type Value,
  WeightStore,
  type WeightSource,
  formatShape,
  isStatic,
  numel,
} from '@fastvlm/graph';
import { FastVlmError } from '@fastvlm/graph';
import { graphDTypeOfMil, milDTypeOfCode } from '../mil/dtypes.js';
import { unpackElements } from '../mil/elements.js';
import { decodeMilValue, toGraphTensor } from '../mil/values.js';
import { MilDataType, type MilBlock, type MilFunction, type MilOperation, type MilValue, type MilValueType } from '../proto/mil-types.js';
import type { CoreMLModel } from '../proto/model-types.js';
import { readBlob, readBlobRecord } from '../weights/blob-reader.js';
import { lowerError } from './errors.js';
import { LIFTINGS, LIFT_FUSED } from './lift-ops.js';
import { findFusedGroups } from './lift-patterns.js';
import { irTypeOf } from './values.js';

/** Options of {@link liftProgram}. */
export interface LiftOptions {
  /** Chunk size of blob-backed weight streams (default 4 MiB). */
  readonly chunkBytes?: number;
}

/** A MIL value during lifting: an IR value, or a MIL constant not (yet) materialized in the IR. */
export interface LiftVal {
  readonly name: string;
  readonly type: TensorType;
  /** The IR value, once it exists. */
  ir?: Value;
  /** The const's MIL value (for parameters and lazy materialization). */
  readonly konst?: MilValue;
}

/** What a lifting rule sees of one MIL op. */
export interface LiftContext {
  readonly op: MilOperation;
  readonly where: string;
  /** The op's output names and declared types. */
  readonly outputs: readonly { readonly name: string; readonly type: TensorType }[];
  /** True when input `name` is bound. */
  has(name: string): boolean;
  /** A tensor input as an IR value (consts materialized as IR `const` ops). */
  tensor(name: string): Value;
  optTensor(name: string): Value | undefined;
  /** A tuple input as IR values. */
  tensors(name: string): Value[];
  /** A const input's elements (coded error when the input is computed). */
  param(name: string): Tensor | string;
  /** Typed parameter readers; `undefined` when the input is absent. */
  ints(name: string): number[] | undefined;
  int(name: string): number | undefined;
  num(name: string): number | undefined;
  bool(name: string): boolean | undefined;
  str(name: string): string | undefined;
  /** Adds an IR op whose outputs take the MIL output names (or `names`). */
  add(kind: string, inputs: Readonly<Record<string, Value | readonly Value[]>>, attrs: Readonly<Record<string, AttrValue>>, names?: readonly string[]): Value[];
  /** Binds MIL output `i` to an existing IR value (identity). */
  alias(i: number, v: Value): void;
  /** A fresh IR value name derived from `hint`. */
  fresh(hint: string): string;
  /** A new IR `const`: inline elements, or a lazy weight-store source. */
  constant(hint: string, src: Tensor | WeightSource): Value;
  /** The store of the lifted program (blob-backed sources). */
  readonly weights: WeightStore;
  error(message: string): FastVlmError;
}

/** Lifts one MIL op into IR ops. */
export type OpLifting = (lc: LiftContext) => void;

interface BlobSourceInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** Weight sources backed by a package's weight.bin, shared by every function. */
class BlobWeights {
  private readonly byOffset = new Map<number, BlobSourceInfo>();
  constructor(
    readonly store: WeightStore,
    private readonly path: string | undefined,
    private readonly chunkBytes: number,
  ) {}

  /** The store name of the blob at `offset` (added on first use). */
  nameFor(hint: string, offset: number, dtype: DType, shape: readonly number[], where: string): string {
    const prev = this.byOffset.get(offset);
    if (prev) {
      if (prev.dtype !== dtype || numel(prev.shape) !== numel(shape)) {
        throw lowerError('E_LIFT', `blob at offset ${offset} is used as ${dtype}${formatShape(shape)} and as ${prev.dtype}${formatShape(prev.shape)}`, { where });
      }
      if (prev.shape.every((d, i) => d === shape[i]) && prev.shape.length === shape.length) return prev.name;
    }
    const path = this.path;
    if (path === undefined) throw lowerError('E_LIFT', `const refers to weight.bin offset ${offset} but no weight file was given`, { where });
    const rec = readBlobRecord(path, offset);
    const n = numel(shape);
    if (rec.dtype !== dtype || rec.elements !== n) {
      throw lowerError('E_LIFT', `const declares ${dtype}${formatShape(shape)} (${n} elements) but the blob at ${offset} holds ${rec.elements} ${rec.dtype} elements`, { where });
    }
    let name = hint;
    for (let k = 1; this.store.has(name); k++) name = `${hint}_${k}`;
    const chunkBytes = this.chunkBytes;
    const src: WeightSource = {
      dtype,
      shape: [...shape],
      read: (): Tensor => {
        const data = readBlob(path, offset, dtype).data;
        return { dtype, shape: [...shape], data: unpackElements(dtype, data, n, name) as Tensor['data'] };
      },
      stream: (chunk: number = chunkBytes): Iterable<Uint8Array> => streamRange(path, rec.dataOffset, rec.sizeInBytes, chunk),
      describe: () => `${path}@${offset}`,
    };
    this.store.add(name, src);
    if (!prev) this.byOffset.set(offset, { name, dtype, shape });
    return name;
  }
}

function* streamRange(path: string, start: number, length: number, chunk: number): Iterable<Uint8Array> {
  const fd = openSync(path, 'r');
  try {
    for (let pos = 0; pos < length; ) {
      const n = Math.min(chunk, length - pos);
      const buf = new Uint8Array(n);
      let got = 0;
      while (got < n) {
        const r = readSync(fd, buf, got, n - got, start + pos + got);
        if (r === 0) throw lowerError('E_LIFT', `${path}: file ended inside a blob at ${start + pos + got}`, { where: path });
        got += r;
      }
      pos += n;
      yield buf;
    }
  } finally {
    closeSync(fd);
  }
}

function opNameOf(op: MilOperation): string {
  return op.attributes?.name?.immediateValue?.tensor?.strings?.values?.[0] ?? '';
}

class FunctionLifter {
  readonly b: FunctionBuilder;
  private readonly vals = new Map<string, LiftVal>();
  private symbolCount = 0;

  constructor(
    readonly fnName: string,
    readonly weights: BlobWeights,
  ) {
    this.b = new FunctionBuilder(fnName);
  }

  symbol(): string {
    return `s${this.symbolCount++}`;
  }

  val(name: string, where: string): LiftVal {
    const v = this.vals.get(name);
    if (!v) throw lowerError('E_LIFT', `value %${name} is used before it is defined`, { where });
    return v;
  }

  define(v: LiftVal): void {
    if (this.vals.has(v.name)) throw lowerError('E_LIFT', `value %${v.name} is defined twice in function '${this.fnName}'`, { where: `${this.fnName}.${v.name}` });
    this.vals.set(v.name, v);
  }

  /** The IR value of a lifted value, materializing a MIL const as an IR `const` op on first use. */
  irOf(v: LiftVal, where: string): Value {
    if (v.ir) return v.ir;
    const k = v.konst;
    if (!k) throw lowerError('E_LIFT', `value %${v.name} has no IR value`, { where });
    if (k.type?.tensorType?.dataType === MilDataType.STRING) throw lowerError('E_LIFT', `string constant %${v.name} is used as a tensor`, { where });
    const t = v.type;
    if (!isStatic(t.shape)) throw lowerError('E_LIFT', `const %${v.name} has a symbolic shape`, { where });
    let attrs: Record<string, AttrValue>;
    if (k.blobFileValue) {
      const name = this.weights.nameFor(v.name, k.blobFileValue.offset ?? 0, t.dtype, t.shape, where);
      attrs = { dtype: t.dtype, shape: [...t.shape], weight: name };
    } else {
      const tensor = toGraphTensor(decodeMilValue(k, undefined, where), where);
      attrs = { dtype: t.dtype, shape: [...t.shape], value: Array.from(tensor.data) };
    }
    const [out] = this.b.add('const', {}, attrs, { names: [this.freshName(v.name)] });
    v.ir = out!;
    return out!;
  }

  /** An unused IR value name (not yet claimed): `hint`, else `hint_1`, `hint_2`, ... */
  freshName(hint: string): string {
    if (!this.b.names.has(hint)) return hint;
    for (let k = 1; ; k++) if (!this.b.names.has(`${hint}_${k}`)) return `${hint}_${k}`;
  }

  /** Lifts one MIL op with its rule (or `rule`, for a fused group standing in as `op`). */
  liftOp(op: MilOperation, index: number, rule: OpLifting | undefined = LIFTINGS[op.type ?? '']): void {
    const type = op.type ?? '';
    const name = opNameOf(op);
    const where = `${this.fnName}: ops[${index}] ${type} '${name}'`;
    if (type === 'const') {
      const val = op.attributes?.val;
      const out = op.outputs?.[0];
      if (!val || !out || op.outputs!.length !== 1) throw lowerError('E_LIFT', 'const needs attribute val and one output', { where });
      this.define({ name: out.name ?? '', type: this.constType(out.type, where), konst: val });
      return;
    }
    const outputs = (op.outputs ?? []).map((o, i) => ({ name: o.name ?? '', type: irTypeOf(o.type, () => this.symbol(), `${where} output ${i}`) }));
    if (!rule) throw lowerError('E_LIFT', `MIL op '${type}' has no lifting to the IR`, { where, details: { milOp: type } });
    const bound = new Set<number>();
    const lc: LiftContext = {
      op,
      where,
      weights: this.weights.store,
      outputs,
      has: (n) => (op.inputs?.[n]?.arguments?.length ?? 0) > 0 || (n !== 'name' && op.attributes?.[n] !== undefined),
      tensor: (n) => this.irOf(this.binding(op, n, where, false)[0]!, where),
      optTensor: (n) => (lc.has(n) ? lc.tensor(n) : undefined),
      tensors: (n) => this.binding(op, n, where, true).map((v) => this.irOf(v, where)),
      param: (n) => this.param(op, n, where),
      ints: (n) => (lc.has(n) ? numbers(lc.param(n), n, where) : undefined),
      int: (n) => (lc.has(n) ? scalarNum(lc.param(n), n, where) : undefined),
      num: (n) => (lc.has(n) ? scalarNum(lc.param(n), n, where) : undefined),
      bool: (n) => (lc.has(n) ? scalarNum(lc.param(n), n, where) !== 0 : undefined),
      str: (n) => {
        if (!lc.has(n)) return undefined;
        const p = lc.param(n);
        if (typeof p !== 'string') throw lowerError('E_LIFT', `input '${n}' must be a string constant`, { where });
        return p;
      },
      add: (kind, inputs, attrs, names) => {
        const outNames = names ?? outputs.map((o) => this.freshName(o.name));
        let vs: Value[];
        try {
          vs = this.b.add(kind, inputs, attrs, { names: outNames });
        } catch (e) {
          if (e instanceof FastVlmError) throw lowerError('E_LIFT', `IR ${kind} rejects the lifted op: ${e.message}`, { where, cause: e });
          throw e;
        }
        if (!names) {
          vs.forEach((v, i) => {
            const o = outputs[i];
            if (!o) throw lowerError('E_LIFT', `IR ${kind} yields ${vs.length} values, the MIL op ${outputs.length}`, { where });
            checkDeclared(o.type, v.type, `${where} output %${o.name}`);
            this.define({ name: o.name, type: v.type, ir: v });
            bound.add(i);
          });
        }
        return vs;
      },
      alias: (i, v) => {
        const o = outputs[i];
        if (!o) throw lowerError('E_LIFT', `the MIL op has no output ${i}`, { where });
        checkDeclared(o.type, v.type, `${where} output %${o.name}`);
        this.define({ name: o.name, type: v.type, ir: v });
        bound.add(i);
      },
      fresh: (hint) => this.freshName(hint),
      constant: (hint, src) => {
        const name = this.freshName(hint);
        let attrs: Record<string, AttrValue>;
        if ('read' in src) {
          let wname = name;
          for (let k = 1; this.weights.store.has(wname); k++) wname = `${name}_${k}`;
          this.weights.store.add(wname, src);
          attrs = { dtype: src.dtype, shape: [...src.shape], weight: wname };
        } else {
          attrs = { dtype: src.dtype, shape: [...src.shape], value: Array.from(src.data) };
        }
        return this.b.add('const', {}, attrs, { names: [name] })[0]!;
      },
      error: (message) => lowerError('E_LIFT', message, { where, details: { milOp: type } }),
    };
    rule(lc);
    outputs.forEach((o, i) => {
      if (!bound.has(i)) {
        // A multi-step lifting binds its last IR op to the MIL name through `names`.
        const v = this.b.fn.body.ops.flatMap((x) => x.outputs).find((x) => x.name === o.name);
        if (!v) throw lowerError('E_LIFT', `the lifting of ${type} produced no value for output %${o.name}`, { where });
        checkDeclared(o.type, v.type, `${where} output %${o.name}`);
        this.define({ name: o.name, type: v.type, ir: v });
      }
    });
  }

  /** The IR type of a const; string constants (parameters only) get a placeholder type. */
  private constType(t: MilValueType | undefined, where: string): TensorType {
    if (t?.tensorType?.dataType === MilDataType.STRING) return { dtype: 'int8', shape: [] };
    return irTypeOf(t, () => this.symbol(), where);
  }

  private binding(op: MilOperation, n: string, where: string, tuple: boolean): LiftVal[] {
    // constexpr ops up to iOS17 carry their parameters as attributes.
    const attr = n !== 'name' ? op.attributes?.[n] : undefined;
    const args = op.inputs?.[n]?.arguments ?? (attr ? [{ value: attr }] : []);
    if (args.length === 0) throw lowerError('E_LIFT', `input '${n}' is not bound`, { where });
    if (!tuple && args.length !== 1) throw lowerError('E_LIFT', `input '${n}' takes one value, found ${args.length}`, { where });
    return args.map((a, i) => {
      if (a.name !== undefined && a.name !== '') return this.val(a.name, where);
      if (a.value) return { name: this.freshName(`${opNameOf(op) || 'v'}_${n}${args.length > 1 ? `_${i}` : ''}`), type: this.constType(a.value.type, where), konst: a.value };
      throw lowerError('E_LIFT', `input '${n}' has an empty binding`, { where });
    });
  }

  private param(op: MilOperation, n: string, where: string): Tensor | string {
    const [v] = this.binding(op, n, where, false);
    const k = v!.konst;
    if (!k) throw lowerError('E_LIFT', `input '${n}' must be a compile-time constant to become an IR attribute, but %${v!.name} is computed`, { where });
    if (k.type?.tensorType && milDTypeOfCode(k.type.tensorType.dataType ?? 0, where) === 'string') {
      const d = decodeMilValue(k, undefined, where);
      return (d.data as readonly string[])[0] ?? '';
    }
    if (k.blobFileValue) {
      const t = v!.type;
      if (!isStatic(t.shape)) throw lowerError('E_LIFT', `parameter '${n}' has a symbolic shape`, { where });
      return this.weights.store.read(this.weights.nameFor(v!.name, k.blobFileValue.offset ?? 0, t.dtype, t.shape, where));
    }
    const d = decodeMilValue(k, undefined, where);
    if (graphDTypeOfMil(d.dtype) !== undefined) return toGraphTensor(d, where);
    // MIL-only numeric types (uint32 shapes of iOS16 constexprs, int64...) as plain numbers.
    const nums = Array.from(d.data as ArrayLike<number>);
    return { dtype: 'fp32', shape: [...d.shape], data: Float32Array.from(nums) };
  }
}

function numbers(p: Tensor | string, n: string, where: string): number[] {
  if (typeof p === 'string') throw lowerError('E_LIFT', `parameter '${n}' must be numeric, found the string "${p}"`, { where });
  return Array.from(p.data);
}

function scalarNum(p: Tensor | string, n: string, where: string): number {
  const xs = numbers(p, n, where);
  if (xs.length !== 1) throw lowerError('E_LIFT', `parameter '${n}' must be a single value, found ${xs.length}`, { where });
  return xs[0]!;
}

/** The IR's inferred type must fit the MIL declared type (unknown dims match anything). */
function checkDeclared(decl: TensorType, got: TensorType, where: string): void {
  const ok = decl.dtype === got.dtype && decl.shape.length === got.shape.length && decl.shape.every((d, i) => typeof d === 'string' || d === got.shape[i]);
  if (!ok) throw lowerError('E_LIFT', `MIL declares ${decl.dtype}${formatShape(decl.shape)} but the IR infers ${got.dtype}${formatShape(got.shape)}`, { where });
}

function liftFunction(name: string, f: MilFunction, weights: BlobWeights): Func {
  const fl = new FunctionLifter(name, weights);
  const where = `function '${name}'`;
  for (const inp of f.inputs ?? []) {
    const iname = inp.name ?? '';
    const t = irTypeOf(inp.type, (i) => `${iname}_d${i}`, `${where} input ${iname}`);
    const v = fl.b.input(iname, t);
    fl.define({ name: iname, type: t, ir: v });
  }
  const opset = f.opset ?? '';
  const block: MilBlock | undefined = f.blockSpecializations?.[opset];
  if (!block) throw lowerError('E_LIFT', `${where} has no block for its opset '${opset}'`, { where });
  const groups = findFusedGroups(block);
  const absorbed = new Set([...groups.values()].flatMap((g) => g.absorbed));
  (block.operations ?? []).forEach((op, i) => {
    const g = groups.get(i);
    if (g) fl.liftOp(g.op, i, LIFT_FUSED[g.kind]);
    else if (!absorbed.has(i)) fl.liftOp(op, i);
  });
  const outs = (block.outputs ?? []).map((o) => fl.irOf(fl.val(o, `${where} outputs`), `${where} outputs`));
  if (outs.length === 0) throw lowerError('E_LIFT', `${where} has no outputs`, { where });
  fl.b.output(...outs);
  return fl.b.fn;
}

/**
 * Lifts an ML program to an IR Program. `weightsPath` is the package's weight.bin (from
 * `readMlPackage(path).weightsPath`); its blobs become lazy WeightStore sources. Functions come
 * in the model's order (the description's function list for multifunction models).
 */
export function liftProgram(model: CoreMLModel, weightsPath?: string, opts: LiftOptions = {}): Program {
  const prog = model.mlProgram;
  if (!prog) throw lowerError('E_LIFT', 'the model is not an ML program (no mlProgram)', { where: 'Model' });
  const fns = prog.functions ?? {};
  const order = model.description?.functions?.length ? model.description.functions.map((d) => d.name ?? '') : Object.keys(fns);
  const names = [...order.filter((n) => n in fns), ...Object.keys(fns).filter((n) => !order.includes(n))];
  if (names.length === 0) throw lowerError('E_LIFT', 'the ML program has no functions', { where: 'Program' });
  const store = new WeightStore();
  const weights = new BlobWeights(store, weightsPath, opts.chunkBytes ?? 1 << 22);
  const program = new Program(store);
  for (const n of names) program.addFunction(liftFunction(n, fns[n]!, weights));
  return program;
}
