/**
 * Index maps for numpy broadcasting: for every element of an output shape (row-major), the flat
 * offset of the element it reads in a smaller, broadcast input. Used by the elementwise kernels
 * and by the norms that broadcast `gamma`/`beta` over the input.
 * @module
 */
import { graphError } from '../../errors.js';
import { type Dim, type Shape, type StaticShape, formatShape, numel, tryBroadcast } from '../../shape.js';

/**
 * Strides for reading a tensor of `shape` as if broadcast to `outShape`: shapes are aligned on
 * the right, missing leading axes and size-1 axes get stride 0.
 */
export function broadcastStrides(shape: StaticShape, outShape: StaticShape): number[] {
  const rank = outShape.length;
  const st = new Array<number>(rank).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    st[rank - shape.length + i] = d === 1 ? 0 : acc;
    acc *= d;
  }
  return st;
}

/**
 * Walks `iterShape` in row-major order and returns, for each position, the dot product of its
 * multi-index with `strides` (an odometer, so the cost is O(1) amortized per element).
 */
export function stridedOffsets(iterShape: StaticShape, strides: readonly number[]): Uint32Array {
  const n = numel(iterShape);
  const out = new Uint32Array(n);
  const rank = iterShape.length;
  const idx = new Array<number>(rank).fill(0);
  let off = 0;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let k = rank - 1; k >= 0; k--) {
      const s = strides[k]!;
      idx[k]!++;
      off += s;
      if (idx[k]! < iterShape[k]!) break;
      off -= s * iterShape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

/**
 * For each element of `outShape`, the flat index into a tensor of `shape` broadcast to it, or
 * `undefined` when the shapes are equal (the identity map, so callers can skip the lookup).
 */
export function broadcastIndex(shape: StaticShape, outShape: StaticShape): Uint32Array | undefined {
  if (shape.length === outShape.length && shape.every((d, i) => d === outShape[i])) return undefined;
  return stridedOffsets(outShape, broadcastStrides(shape, outShape));
}

/**
 * Type inference of a broadcasting op: the numpy broadcast of the named input shapes (symbolic
 * dims allowed, see {@link tryBroadcast}). Throws `E_SHAPE_MISMATCH` naming every shape.
 */
export function inferBroadcast(named: readonly (readonly [string, Shape])[]): Dim[] {
  const out = tryBroadcast(...named.map(([, s]) => s));
  if (out === undefined) {
    const list = named.map(([n, s]) => `'${n}' ${formatShape(s)}`).join(', ');
    throw graphError('E_SHAPE_MISMATCH', `shapes ${list} do not broadcast (aligned on the right, each dim must be equal or 1)`);
  }
  return out;
}

/** The broadcast of concrete kernel input shapes; `E_INTERPRET` when they do not broadcast. */
export function staticBroadcast(shapes: readonly StaticShape[]): number[] {
  const out = tryBroadcast(...shapes);
  if (out === undefined) throw graphError('E_INTERPRET', `kernel inputs ${shapes.map(formatShape).join(', ')} do not broadcast`);
  return out as number[];
}
