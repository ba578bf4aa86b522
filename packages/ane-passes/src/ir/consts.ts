/**
 * Reading and creating constants: inline `value` consts, references to WeightStore tensors,
 * and computed weights (lazy, derived from other weights) with unique deterministic names.
 * @module
 */
import {
  type DType,
  type Program,
  type StaticShape,
  type Tensor,
  type Value,
  type WeightSource,
  computedSource,
  graphError,
  memorySource,
  numel,
  tensor,
} from '@fastvlm/graph';

/** What a `const` op holds. */
export interface ConstInfo {
  readonly dtype: DType;
  readonly shape: StaticShape;
  /** Inline elements, when the const is inline. */
  readonly inline?: readonly number[];
  /** WeightStore name, when the const refers to a weight. */
  readonly weight?: string;
}

/** Facts about `v` when a `const` op produces it; undefined otherwise. */
export function constInfo(v: Value): ConstInfo | undefined {
  const op = v.producer;
  if (!op || op.kind !== 'const') return undefined;
  const dtype = op.attrs.dtype as DType;
  const shape = op.attrs.shape as readonly number[];
  const inline = op.attrs.value as readonly number[] | undefined;
  const weight = op.attrs.weight as string | undefined;
  return { dtype, shape, ...(inline !== undefined ? { inline } : {}), ...(weight !== undefined ? { weight } : {}) };
}

/** True when a `const` op produces `v`. */
export function isConst(v: Value): boolean {
  return v.producer?.kind === 'const';
}

/**
 * The tensor of a const value, or undefined when `v` is not a const or has more than
 * `maxElements` elements (large weights are not read just to be inspected).
 */
export function readConst(program: Program, v: Value, maxElements = Number.POSITIVE_INFINITY): Tensor | undefined {
  const c = constInfo(v);
  if (!c) return undefined;
  if (numel(c.shape) > maxElements) return undefined;
  if (c.inline) return tensor(c.dtype, c.shape, c.inline);
  if (c.weight !== undefined && program.weights.has(c.weight)) return program.weights.read(c.weight);
  return undefined;
}

/** Splat values of store weights, by source object (sources are immutable). */
const splatCache = new WeakMap<object, number | null>();

function splatOfData(data: ArrayLike<number>): number | undefined {
  if (data.length === 0) return undefined;
  const x = data[0]!;
  if (Number.isNaN(x)) return undefined;
  for (let i = 1; i < data.length; i++) if (data[i] !== x) return undefined;
  return x;
}

/**
 * The single value of every element of a const (a splat), or undefined. Weights above
 * `maxElements` are not read; a weight's answer is cached per source, so matching many ops
 * against one large computed weight reads it once.
 */
export function splatOf(program: Program, v: Value, maxElements = 4096): number | undefined {
  const c = constInfo(v);
  if (!c) return undefined;
  // Inline values are read as written (1e-5 rather than its fp32 rounding), so folded
  // attributes such as an epsilon keep the author's number.
  if (c.inline) return splatOfData(c.inline);
  if (c.weight === undefined || !program.weights.has(c.weight) || numel(c.shape) > maxElements) return undefined;
  const src = program.weights.source(c.weight);
  const hit = splatCache.get(src);
  if (hit !== undefined) return hit ?? undefined;
  const s = splatOfData(program.weights.read(c.weight).data);
  splatCache.set(src, s ?? null);
  return s;
}

/** True when `a` and `b` agree within a relative tolerance (for matching written constants). */
export function approxEq(a: number, b: number, rel = 1e-3): boolean {
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));
}

/** A weight name not yet in the store: `hint`, else `hint.1`, `hint.2`, ... */
export function freshWeightName(program: Program, hint: string): string {
  if (!program.weights.has(hint)) return hint;
  for (let i = 1; ; i++) {
    const n = `${hint}.${i}`;
    if (!program.weights.has(n)) return n;
  }
}

/**
 * Adds a computed (lazy) weight to the program's store under a fresh name derived from `hint`
 * and returns the name. `compute` must be deterministic and return a fresh tensor.
 */
export function addComputedWeight(program: Program, hint: string, dtype: DType, shape: StaticShape, compute: () => Tensor, describe = `computed:${hint}`): string {
  const name = freshWeightName(program, hint);
  program.weights.add(name, computedSource(dtype, [...shape], compute, { describe }));
  return name;
}

/**
 * A function reading a const value's tensor later (inline values or the weight's source),
 * without keeping the IR alive; undefined when `v` is not a readable const. The weight's
 * source object is captured, not its name, so a computed weight stays valid when its origin is
 * later pruned from the store.
 */
export function constReader(program: Program, v: Value): (() => Tensor) | undefined {
  const c = constInfo(v);
  if (!c) return undefined;
  if (c.inline) {
    const values = c.inline;
    return () => tensor(c.dtype, c.shape, values);
  }
  const name = c.weight;
  if (name === undefined || !program.weights.has(name)) return undefined;
  return sourceReader(program, name);
}

/** Reads a store weight through its source object (see {@link constReader}), checking its type. */
export function sourceReader(program: Program, name: string): () => Tensor {
  const src = program.weights.source(name);
  return () => {
    const t = src.read();
    if (t.dtype !== src.dtype || t.shape.length !== src.shape.length || t.shape.some((d, i) => d !== src.shape[i])) {
      throw graphError('E_WEIGHT_MISMATCH', `weight '${name}' declared ${src.dtype}[${src.shape.join(',')}] but read ${t.dtype}[${t.shape.join(',')}]`, { where: name });
    }
    return t;
  };
}

/**
 * Reads a flat element range [start, start + count) of a constant without materializing the
 * rest when its source supports range reads (synthetic and safetensors weights do), so slicing
 * a huge weight (the split LM head) costs the slice, not the whole tensor per part.
 */
export function constRangeReader(program: Program, v: Value): ((start: number, count: number) => Tensor) | undefined {
  const c = constInfo(v);
  if (!c) return undefined;
  if (c.inline) {
    const values = c.inline;
    return (start, count) => tensor(c.dtype, [count], values.slice(start, start + count));
  }
  const name = c.weight;
  if (name === undefined || !program.weights.has(name)) return undefined;
  const src = program.weights.source(name);
  const whole = sourceReader(program, name);
  return (start, count) => {
    if (!src.readRange) {
      const all = whole();
      return { dtype: all.dtype, shape: [count], data: all.data.slice(start, start + count) };
    }
    const t = src.readRange(start, count);
    if (t.dtype !== src.dtype || t.data.length !== count) {
      throw graphError('E_WEIGHT_MISMATCH', `weight '${name}' range read gave ${t.dtype}[${t.data.length}], expected ${src.dtype}[${count}]`, { where: name });
    }
    return t;
  };
}

/**
 * The source of a const value's tensor: the weight's store source (the object, not its name, as
 * in {@link constReader}) or an in-memory source of inline values; undefined when `v` is not a
 * readable const.
 */
export function constSource(program: Program, v: Value): WeightSource | undefined {
  const c = constInfo(v);
  if (!c) return undefined;
  if (c.inline) return memorySource(tensor(c.dtype, c.shape, c.inline), `inline %${v.name}`);
  if (c.weight === undefined || !program.weights.has(c.weight)) return undefined;
  return program.weights.source(c.weight);
}
