/**
 * What the cost model needs to know about each op, independent of the device: its cost class,
 * its MACs (or element operations), the activation bytes it reads and writes (last axis padded
 * to 64 bytes) and the weight bytes it streams (at their stored, possibly compressed, size).
 * Constant subgraphs (weights, their dequantization, anything computed from constants only)
 * are evaluated when the model loads and cost nothing per prediction.
 * @module
 */
import { type Attrs, type AttrValue, type DType, type Func, type Op, type Shape, type Value, byteSize, getOp, hasOp } from '@fastvlm/graph';

/** The family that decides which efficiency an op's compute runs at. */
export type CostFamily = 'dense' | 'depthwise' | 'vector' | 'memory' | 'free' | 'constant';

/** How an op kind is costed. */
interface KindSpec {
  readonly family: CostFamily;
  /** Cost-class label (convs refine it by kernel and groups). */
  readonly cls: string;
  /** Element operations per element of the output (or of the input for reductions). */
  readonly perElement?: number;
  readonly basis?: 'output' | 'input';
}

const v = (cls: string, perElement = 1, basis: 'output' | 'input' = 'output'): KindSpec => ({ family: 'vector', cls, perElement, basis });
const copy: KindSpec = { family: 'memory', cls: 'layout' };
const view: KindSpec = { family: 'memory', cls: 'layout' };

/**
 * Op kinds and their classes. Element-operation counts are priors (how many passes of the
 * vector unit one element needs); they are not fitted.
 */
const KINDS: Readonly<Record<string, KindSpec>> = {
  const: { family: 'constant', cls: 'const' },
  lut_dequantize: { family: 'constant', cls: 'dequantize' },
  affine_dequantize: { family: 'constant', cls: 'dequantize' },
  blockwise_dequantize: { family: 'constant', cls: 'dequantize' },
  conv2d: { family: 'dense', cls: 'conv' },
  linear: { family: 'dense', cls: 'linear' },
  matmul: { family: 'dense', cls: 'matmul' },
  einsum: { family: 'dense', cls: 'matmul' },
  avg_pool: v('pool'),
  max_pool: v('pool'),
  add: v('elementwise'), sub: v('elementwise'), mul: v('elementwise'), div: v('elementwise'),
  maximum: v('elementwise'), minimum: v('elementwise'), neg: v('elementwise'), abs: v('elementwise'),
  pow: v('elementwise', 2),
  equal: v('elementwise'), not_equal: v('elementwise'), greater: v('elementwise'), greater_equal: v('elementwise'),
  less: v('elementwise'), less_equal: v('elementwise'), select: v('elementwise'), cast: v('elementwise'),
  band_part: v('elementwise'), fill: v('elementwise'), range: v('elementwise'),
  relu: v('activation'), gelu: v('activation'), silu: v('activation'), sigmoid: v('activation'), tanh: v('activation'),
  erf: v('activation'), exp: v('activation'), log: v('activation'), sqrt: v('activation'), rsqrt: v('activation'),
  softmax: v('softmax', 3),
  layer_norm: v('norm', 3),
  batch_norm: v('norm', 1),
  // Not a Core ML op: lowered to square, mean, rsqrt and two multiplies.
  rms_norm: v('norm', 4),
  reduce_sum: v('reduction', 1, 'input'), reduce_mean: v('reduction', 1, 'input'), reduce_max: v('reduction', 1, 'input'),
  reduce_min: v('reduction', 1, 'input'), reduce_prod: v('reduction', 1, 'input'),
  reshape: view, squeeze: view, expand_dims: view,
  transpose: { family: 'memory', cls: 'transpose' },
  concat: copy, split: copy, slice: copy, pad: copy, tile: copy,
  gather: { family: 'memory', cls: 'gather' },
  read_state: { family: 'memory', cls: 'state' },
  write_state: { family: 'memory', cls: 'state' },
  slice_update: { family: 'memory', cls: 'state' },
};

/** Layout kinds that are free (no data moves) when the last axis keeps its size. */
const VIEW_KINDS = new Set(['reshape', 'squeeze', 'expand_dims']);
/** Constant kinds that only reinterpret their input: a weight keeps its stored size through them. */
const CONST_VIEW_KINDS = new Set(['reshape', 'squeeze', 'expand_dims', 'transpose', 'slice', 'split', 'concat']);

/** True when the cost model knows op kind `kind`. */
export function hasCostClass(kind: string): boolean {
  return Object.prototype.hasOwnProperty.call(KINDS, kind);
}

/** The op kinds the cost model knows, sorted. */
export function costedKinds(): string[] {
  return Object.keys(KINDS).sort();
}

/** The op's attribute `name`, with the op definition's default when it is absent. */
export function attrOf(op: Op, name: string): AttrValue | undefined {
  const a = op.attrs[name];
  if (a !== undefined || !hasOp(op.kind)) return a;
  return getOp(op.kind).attrs.find((s) => s.name === name)?.default;
}

/** Static dims of a shape, symbols read as 1 (the `dynamic-shape` rule reports them). */
export function dimsOf(shape: Shape): number[] {
  return shape.map((d) => (typeof d === 'number' ? d : 1));
}

function count(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= typeof d === 'number' ? d : 1;
  return n;
}

/** Bytes per element as laid out in memory (bool one byte; sub-byte types as packed). */
function elementBytes(dtype: DType): number {
  return dtype === 'bool' ? 1 : byteSize(dtype, 8) / 8;
}

/** Bytes of the last axis of a tensor (a scalar is one element). */
export function lastAxisBytes(dtype: DType, shape: Shape): number {
  const last = shape.length ? (typeof shape[shape.length - 1] === 'number' ? (shape[shape.length - 1] as number) : 1) : 1;
  return last * elementBytes(dtype);
}

/** The tensor's size in memory on the ANE: its last axis padded to a multiple of 64 bytes. */
export function paddedBytes(dtype: DType, shape: Shape): number {
  const rows = shape.length ? count(shape.slice(0, -1)) : 1;
  return rows * Math.ceil(lastAxisBytes(dtype, shape) / 64) * 64;
}

/** The tensor's dense size. */
export function denseBytes(dtype: DType, shape: Shape): number {
  return count(shape) * elementBytes(dtype);
}

/** Per-function facts the op model and the rules share. */
export interface FunctionFacts {
  readonly fn: Func;
  /** Values known when the model loads: consts and ops computed from constants only. */
  readonly constant: ReadonlySet<Value>;
  /** Stored bytes of each constant value (compressed weights at their compressed size). */
  readonly storedBytes: ReadonlyMap<Value, number>;
  readonly inputs: ReadonlySet<Value>;
  readonly outputs: ReadonlySet<Value>;
  /** Consumers of each value, in op order. */
  readonly consumers: ReadonlyMap<Value, readonly Op[]>;
}

/** Computes {@link FunctionFacts} in one pass over the ops. */
export function functionFacts(fn: Func): FunctionFacts {
  const constant = new Set<Value>();
  const storedBytes = new Map<Value, number>();
  const consumers = new Map<Value, Op[]>();
  for (const op of fn.body.ops) {
    const ins = op.inputValues();
    for (const i of ins) {
      const list = consumers.get(i);
      if (list) list.push(op);
      else consumers.set(i, [op]);
    }
    if (!ins.every((i) => constant.has(i))) continue;
    for (const o of op.outputs) constant.add(o);
    const family = KINDS[op.kind]?.family;
    for (const o of op.outputs) {
      let bytes: number;
      if (op.kind === 'const') bytes = denseBytes(o.type.dtype, o.type.shape);
      else if (family === 'constant') bytes = ins.reduce((s, i) => s + (storedBytes.get(i) ?? 0), 0);
      else if (CONST_VIEW_KINDS.has(op.kind) && ins.length > 0) {
        // A view of a weight keeps its storage, in proportion to the elements it covers.
        const inCount = ins.reduce((s, i) => s + count(i.type.shape), 0);
        const inBytes = ins.reduce((s, i) => s + (storedBytes.get(i) ?? 0), 0);
        bytes = inCount > 0 ? (inBytes * count(o.type.shape)) / inCount : 0;
      } else bytes = denseBytes(o.type.dtype, o.type.shape); // folded when the model loads
      storedBytes.set(o, bytes);
    }
  }
  return { fn, constant, storedBytes, inputs: new Set(fn.inputs), outputs: new Set(fn.outputs), consumers };
}

/** The device-independent cost inputs of one op. */
export interface OpCost {
  readonly family: CostFamily;
  /** Cost class label, e.g. `conv.depthwise.7x7`, `matmul`, `softmax`, `layout`. */
  readonly costClass: string;
  /** MACs (dense, depthwise) or element operations (vector), 0 for memory ops. */
  readonly work: number;
  /** Kernel taps (kh x kw) of a depthwise conv, 1 for every other op. */
  readonly taps: number;
  /** Activation bytes read and written (last axis padded to 64 bytes), as the ANE moves them. */
  readonly activationBytes: number;
  /** The same bytes unpadded, as the GPU or CPU moves them when the op falls back. */
  readonly denseActivationBytes: number;
  /** Weight bytes streamed, at their stored size. */
  readonly weightBytes: number;
  /** Largest activation operand (padded bytes). */
  readonly largestOperand: number;
  /** True when the op's kind has no class (costed with the default). */
  readonly unknownKind: boolean;
}

function convClass(op: Op, x: Value, w: Value): { cls: string; family: CostFamily; cinPerGroup: number } {
  const groups = Number(attrOf(op, 'groups') ?? 1);
  const ws = dimsOf(w.type.shape);
  const kh = ws[2] ?? 1;
  const kw = ws[3] ?? 1;
  const cinPerGroup = ws[1] ?? dimsOf(x.type.shape)[1] ?? 1;
  const k = `${kh}x${kw}`;
  if (groups === 1) return { cls: kh === 1 && kw === 1 ? 'conv.pointwise' : `conv.dense.${k}`, family: 'dense', cinPerGroup };
  if (cinPerGroup === 1) return { cls: `conv.depthwise.${k}`, family: 'depthwise', cinPerGroup };
  return { cls: `conv.grouped.${k}`, family: 'dense', cinPerGroup };
}

/** Contracted size of a matmul: the last axis of x (or the one before, with transpose_x). */
function matmulDepth(op: Op, x: Value): number {
  const xs = dimsOf(x.type.shape);
  if (xs.length === 1) return xs[0]!;
  return attrOf(op, 'transpose_x') === true ? xs[xs.length - 2]! : xs[xs.length - 1]!;
}

/** MACs of an einsum: the product of every letter's size (each output element sums over the contracted letters). */
function einsumMacs(op: Op, values: readonly Value[]): number {
  const eq = String(attrOf(op, 'equation') ?? '');
  const [lhs = ''] = eq.replace(/\s+/g, '').split('->');
  const operands = lhs.split(',');
  const size = new Map<string, number>();
  operands.forEach((letters, i) => {
    const dims = values[i] ? dimsOf(values[i]!.type.shape) : [];
    [...letters].forEach((c, j) => size.set(c, Math.max(size.get(c) ?? 1, dims[j] ?? 1)));
  });
  let n = 1;
  for (const s of size.values()) n *= s;
  return n;
}

function isView(op: Op): boolean {
  if (!VIEW_KINDS.has(op.kind)) return false;
  const x = op.inputValues()[0];
  const y = op.outputs[0];
  if (!x || !y) return false;
  return lastAxisBytes(x.type.dtype, x.type.shape) === lastAxisBytes(y.type.dtype, y.type.shape);
}

/** The cost inputs of `op` (a non-constant op of `facts.fn`). */
export function opCost(op: Op, facts: FunctionFacts): OpCost {
  const spec = KINDS[op.kind];
  const unknownKind = spec === undefined;
  const s = spec ?? v('elementwise');
  const ins = op.inputValues();
  const acts = ins.filter((i) => !facts.constant.has(i));
  const weights = ins.filter((i) => facts.constant.has(i));
  let activationBytes = 0;
  let denseActivationBytes = 0;
  let largestOperand = 0;
  for (const t of [...acts, ...op.outputs]) {
    const b = paddedBytes(t.type.dtype, t.type.shape);
    denseActivationBytes += denseBytes(t.type.dtype, t.type.shape);
    activationBytes += b;
    largestOperand = Math.max(largestOperand, b);
  }
  let weightBytes = weights.reduce((sum, w) => sum + (facts.storedBytes.get(w) ?? 0), 0);
  const outCount = op.outputs.reduce((n, o) => n + count(o.type.shape), 0);
  let family = s.family;
  let costClass = s.cls;
  let work = 0;
  let taps = 1;
  switch (op.kind) {
    case 'conv2d': {
      const x = op.inputs['x'] as Value;
      const w = op.inputs['weight'] as Value;
      const c = convClass(op, x, w);
      costClass = c.cls;
      family = c.family;
      const ws = dimsOf(w.type.shape);
      work = outCount * c.cinPerGroup * (ws[2] ?? 1) * (ws[3] ?? 1);
      if (family === 'depthwise') taps = (ws[2] ?? 1) * (ws[3] ?? 1);
      break;
    }
    case 'linear': {
      const x = op.inputs['x'] as Value;
      const xs = dimsOf(x.type.shape);
      work = outCount * (xs[xs.length - 1] ?? 1);
      break;
    }
    case 'matmul':
      work = outCount * matmulDepth(op, op.inputs['x'] as Value);
      break;
    case 'einsum':
      work = einsumMacs(op, ins);
      break;
    case 'avg_pool':
    case 'max_pool': {
      const k = (attrOf(op, 'kernel_sizes') as readonly number[] | undefined) ?? [1, 1];
      work = outCount * k.reduce((a, b) => a * b, 1);
      break;
    }
    case 'slice': {
      // Only the selected region is read (a strided view), then written out.
      activationBytes = 2 * op.outputs.reduce((n, o) => n + paddedBytes(o.type.dtype, o.type.shape), 0);
      denseActivationBytes = 2 * op.outputs.reduce((n, o) => n + denseBytes(o.type.dtype, o.type.shape), 0);
      break;
    }
    case 'gather': {
      // Only the gathered rows are read, not the whole table.
      weightBytes = 0;
      activationBytes = op.outputs.reduce((n, o) => n + denseBytes(o.type.dtype, o.type.shape), 0) * 2 + acts.reduce((n, a) => n + denseBytes(a.type.dtype, a.type.shape), 0);
      denseActivationBytes = activationBytes;
      break;
    }
    default:
      if (family === 'vector') {
        const basis = s.basis === 'input' ? acts.reduce((n, a) => n + count(a.type.shape), 0) : outCount;
        work = basis * (s.perElement ?? 1);
      }
  }
  if (isView(op)) {
    family = 'free';
    activationBytes = 0;
    denseActivationBytes = 0;
  }
  return { family, costClass: unknownKind ? 'unknown' : costClass, work, taps, activationBytes, denseActivationBytes, weightBytes, largestOperand, unknownKind };
}

/** Attributes with defaults applied (for rules that read several). */
export function attrsOf(op: Op): Attrs {
  if (!hasOp(op.kind)) return op.attrs;
  const out: Record<string, AttrValue> = {};
  for (const spec of getOp(op.kind).attrs) {
    const a = op.attrs[spec.name] ?? spec.default;
    if (a !== undefined) out[spec.name] = a;
  }
  return out;
}
