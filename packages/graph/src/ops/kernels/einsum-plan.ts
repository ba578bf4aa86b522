/**
 * Two-operand einsum: parsing the equation, resolving the size of every letter (with size-1
 * broadcasting between the operands) and the reference kernel, a loop over the output letters
 * with an inner sum over the contracted ones.
 * @module
 */
import { graphError } from '../../errors.js';
import { type Dim, type Shape, type StaticShape, formatShape, stridesOf } from '../../shape.js';
import type { TensorData } from '../../tensor.js';

/** A parsed `ab,bc->ac` equation: the letters of each operand and of the output. */
export interface EinsumEquation {
  readonly inputs: readonly [string, string];
  readonly output: string;
}

const TERM_RE = /^[a-z]*$/;

function checkTerm(term: string, what: string, equation: string): void {
  if (!TERM_RE.test(term)) {
    throw graphError('E_ATTR', `einsum equation '${equation}': ${what} '${term}' must use only the letters a-z (no ellipsis, no upper case)`);
  }
  const seen = new Set<string>();
  for (const c of term) {
    if (seen.has(c)) throw graphError('E_ATTR', `einsum equation '${equation}': letter '${c}' appears twice in ${what} '${term}' (diagonals are not supported)`);
    seen.add(c);
  }
}

/**
 * Parses an explicit two-operand equation `A,B->C` (spaces ignored). Throws `E_ATTR` when the
 * `->` is missing, there are not exactly two operands, a term holds anything but a-z, a letter
 * repeats inside one term, or an output letter appears in no operand.
 */
export function parseEinsum(equation: string): EinsumEquation {
  const eq = equation.replace(/\s+/g, '');
  const arrow = eq.split('->');
  if (arrow.length !== 2) throw graphError('E_ATTR', `einsum equation '${equation}' needs exactly one '->' followed by the output letters`);
  const ins = arrow[0]!.split(',');
  if (ins.length !== 2) throw graphError('E_ATTR', `einsum equation '${equation}' has ${ins.length} operand(s); expected exactly 2`);
  const a = ins[0]!, b = ins[1]!, out = arrow[1]!;
  checkTerm(a, 'operand 0', equation);
  checkTerm(b, 'operand 1', equation);
  checkTerm(out, 'the output', equation);
  for (const c of out) {
    if (!a.includes(c) && !b.includes(c)) throw graphError('E_ATTR', `einsum equation '${equation}': output letter '${c}' appears in no operand`);
  }
  return { inputs: [a, b], output: out };
}

/**
 * The size of every letter, checking operand ranks and sizes. Sizes of a letter shared by both
 * operands must be equal, or one of them 1 (broadcast). Symbolic sizes match only the same
 * symbol or 1. Throws `E_RANK` or `E_SHAPE_MISMATCH`.
 */
export function einsumLetterSizes(eq: EinsumEquation, shapes: readonly [Shape, Shape]): Map<string, Dim> {
  const sizes = new Map<string, Dim>();
  for (let o = 0; o < 2; o++) {
    const term = eq.inputs[o]!;
    const shape = shapes[o]!;
    if (shape.length !== term.length) {
      throw graphError('E_RANK', `einsum operand ${o} has rank ${shape.length} (${formatShape(shape)}) but its term '${term}' has ${term.length} letters`);
    }
    for (let i = 0; i < term.length; i++) {
      const c = term[i]!;
      const d = shape[i]!;
      const prev = sizes.get(c);
      if (prev === undefined || prev === 1) sizes.set(c, d);
      else if (d !== 1 && d !== prev) {
        throw graphError('E_SHAPE_MISMATCH', `einsum letter '${c}' has size ${prev} in operand 0 but ${d} in operand 1 (sizes must be equal or 1)`);
      }
    }
  }
  return sizes;
}

/** The output shape of an einsum. */
export function einsumOutputShape(eq: EinsumEquation, shapes: readonly [Shape, Shape]): Dim[] {
  const sizes = einsumLetterSizes(eq, shapes);
  return [...eq.output].map((c) => sizes.get(c)!);
}

/**
 * Reference kernel: `out[o] = sum over contracted letters of a[...] * b[...]`. Each letter gets a
 * stride in each operand (0 when absent or broadcast from size 1); the output letters are walked
 * in row-major order and the contracted letters by an inner odometer whose last axis is a tight
 * loop. Sums accumulate in double precision.
 */
export function einsumKernel(eq: EinsumEquation, a: TensorData, aShape: StaticShape, b: TensorData, bShape: StaticShape, out: TensorData): void {
  const sizes = einsumLetterSizes(eq, [aShape, bShape]) as Map<string, number>;
  const aStrides = stridesOf(aShape), bStrides = stridesOf(bShape);
  const strideIn = (term: string, shape: StaticShape, strides: readonly number[], c: string): number => {
    const i = term.indexOf(c);
    return i < 0 || shape[i] === 1 ? 0 : strides[i]!;
  };
  const letters = (s: string): { size: number[]; sa: number[]; sb: number[] } => ({
    size: [...s].map((c) => sizes.get(c)!),
    sa: [...s].map((c) => strideIn(eq.inputs[0], aShape, aStrides, c)),
    sb: [...s].map((c) => strideIn(eq.inputs[1], bShape, bStrides, c)),
  });
  const summedLetters = [...new Set(eq.inputs[0] + eq.inputs[1])].filter((c) => !eq.output.includes(c)).join('');
  const o = letters(eq.output);
  const s = letters(summedLetters);
  const outN = o.size.reduce((p, q) => p * q, 1);
  if (outN === 0) return;
  const sumN = s.size.reduce((p, q) => p * q, 1);
  const ns = s.size.length;
  const lastSize = ns > 0 ? s.size[ns - 1]! : 1;
  const lastA = ns > 0 ? s.sa[ns - 1]! : 0;
  const lastB = ns > 0 ? s.sb[ns - 1]! : 0;
  const outerSum = ns > 0 ? sumN / lastSize : 1;
  const oIdx = new Array<number>(o.size.length).fill(0);
  const sIdx = new Array<number>(Math.max(0, ns - 1)).fill(0);
  let offA = 0, offB = 0;
  for (let oi = 0; oi < outN; oi++) {
    let acc = 0;
    if (sumN > 0) {
      sIdx.fill(0);
      let pa = offA, pb = offB;
      for (let t = 0; t < outerSum; t++) {
        for (let k = 0, qa = pa, qb = pb; k < lastSize; k++, qa += lastA, qb += lastB) acc += a[qa]! * b[qb]!;
        // Odometer over the contracted letters except the last.
        for (let ax = ns - 2; ax >= 0; ax--) {
          sIdx[ax]!++;
          pa += s.sa[ax]!;
          pb += s.sb[ax]!;
          if (sIdx[ax]! < s.size[ax]!) break;
          pa -= s.sa[ax]! * s.size[ax]!;
          pb -= s.sb[ax]! * s.size[ax]!;
          sIdx[ax] = 0;
        }
      }
    }
    out[oi] = acc;
    for (let ax = o.size.length - 1; ax >= 0; ax--) {
      oIdx[ax]!++;
      offA += o.sa[ax]!;
      offB += o.sb[ax]!;
      if (oIdx[ax]! < o.size[ax]!) break;
      offA -= o.sa[ax]! * o.size[ax]!;
      offB -= o.sb[ax]! * o.size[ax]!;
      oIdx[ax] = 0;
    }
  }
}
