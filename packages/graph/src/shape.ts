/**
 * Shapes: static sizes and named symbolic dimensions, broadcasting, and element counts checked
 * against overflow.
 * @module
 */
import { graphError } from './errors.js';

/** A dimension: a static size, or the name of a symbolic size (e.g. `'seq'`). */
export type Dim = number | string;
/** A tensor shape. A rank-0 shape `[]` is a scalar. */
export type Shape = readonly Dim[];
/** A fully static shape. */
export type StaticShape = readonly number[];

/** Element counts above this cannot be indexed exactly by a JS number. */
export const MAX_ELEMENTS = 2 ** 53;

/** A symbolic dimension name: an identifier. */
const SYMBOL_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when every dimension is a number. */
export function isStatic(s: Shape): s is StaticShape {
  return s.every((d) => typeof d === 'number');
}

/** Throws unless `s` is a valid shape: non-negative integers or identifier symbols, count <= 2^53. */
export function checkShape(s: Shape, where?: string): void {
  for (const d of s) {
    if (typeof d === 'number') {
      if (!Number.isSafeInteger(d) || d < 0) {
        throw graphError('E_SHAPE_INVALID', `dimension ${d} of shape ${formatShape(s)} is not a non-negative integer`, where !== undefined ? { where } : {});
      }
    } else if (!SYMBOL_RE.test(d)) {
      throw graphError('E_SHAPE_INVALID', `symbolic dimension '${d}' of shape ${formatShape(s)} is not an identifier`, where !== undefined ? { where } : {});
    }
  }
  if (isStatic(s)) numel(s, where);
}

/** Number of elements of a static shape; rejects counts above 2^53. */
export function numel(s: StaticShape, where?: string): number {
  let n = 1;
  for (const d of s) {
    n *= d;
    if (n > MAX_ELEMENTS) {
      throw graphError('E_SHAPE_OVERFLOW', `shape ${formatShape(s)} has more than 2^53 elements`, where !== undefined ? { where } : {});
    }
  }
  return n;
}

/** Row-major strides of a static shape. */
export function stridesOf(s: StaticShape): number[] {
  const st = new Array<number>(s.length);
  let acc = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s[i]!;
  }
  return st;
}

/** `[1, 3, 'seq']` -> `[1,3,seq]`. */
export function formatShape(s: Shape): string {
  return `[${s.join(',')}]`;
}

/** Two dims are equal (same number or same symbol). */
export function dimEq(a: Dim, b: Dim): boolean {
  return a === b;
}

/** Shapes equal dimension by dimension. */
export function shapeEq(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Numpy broadcasting of several shapes. A symbolic dim broadcasts with 1 and with itself; a
 * symbol against a different symbol or a static size other than 1 is a mismatch, since we cannot
 * prove them equal. Returns `undefined` when the shapes do not broadcast.
 */
export function tryBroadcast(...shapes: Shape[]): Dim[] | undefined {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = new Array<Dim>(rank).fill(1);
  for (const s of shapes) {
    const off = rank - s.length;
    for (let i = 0; i < s.length; i++) {
      const d = s[i]!;
      const cur = out[off + i]!;
      if (cur === 1) out[off + i] = d;
      else if (d === 1 || d === cur) continue;
      else return undefined;
    }
  }
  return out;
}

/** Normalizes a possibly negative axis for a given rank; `undefined` when out of range. */
export function normAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return Number.isInteger(a) && a >= 0 && a < rank ? a : undefined;
}
