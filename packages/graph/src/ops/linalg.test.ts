import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import './index.js';
import type { DType } from '../dtype.js';
import { roundToFp16 } from '../fp16.js';
import { runOp } from '../interpret/run-op.js';
import type { Attrs, TensorType } from '../ir/types.js';
import type { Dim } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arbBroadcastPair, fillTensor } from '../testing/arb.js';
import { close, count, naiveBroadcastShape, ravel, unravel } from '../testing/naive-ref.js';
import { getOp } from './registry.js';
import { checkOp } from './validate.js';
import { errorCode } from '../testing/errors.js';

// Tolerances: fp32 results are compared with |got - want| <= 1e-5 + 1e-5 * |want| (sums of at
// most a few dozen products of values in [-2, 2], accumulated in double and rounded once to
// fp32); int32 results exactly; fp16 results within one fp16 ulp (2^-10 relative).
const F32 = { rel: 1e-5, abs: 1e-5 };

const run1 = (kind: string, inputs: Record<string, Tensor | Tensor[]>, attrs: Attrs = {}): Tensor => runOp(kind, inputs, attrs)[0]!;
const infer1 = (kind: string, inputs: Record<string, TensorType | TensorType[]>, attrs: Attrs = {}): TensorType => checkOp(getOp(kind), inputs, attrs).outputs[0]!;
const tt = (dtype: DType, shape: Dim[]): TensorType => ({ dtype, shape });
const seed = fc.integer({ min: 1, max: 0x7fffffff });

function expectClose(got: Tensor, want: number[], shape: number[], tol = F32): void {
  expect(got.shape).toEqual(shape);
  expect(got.data.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!close(got.data[i]!, want[i]!, tol.rel, tol.abs)) expect.fail(`element ${i}: got ${got.data[i]}, want ${want[i]}`);
  }
}

/** Element [.., r, c] of a matrix stack, optionally with the last two axes swapped. */
function at(t: Tensor, batchIdx: readonly number[], r: number, c: number, transposed: boolean): number {
  const s = t.shape as number[];
  const nb = s.length - 2;
  // Right-aligned batch broadcast: size-1 axes read index 0.
  const idx = s.slice(0, nb).map((d, k) => (d === 1 ? 0 : batchIdx[batchIdx.length - nb + k]!));
  idx.push(transposed ? c : r, transposed ? r : c);
  return t.data[ravel(idx, s)]!;
}

/** Naive numpy matmul: rank-1 promotion, transposes, batch broadcast, triple loop. */
function refMatmul(x: Tensor, y: Tensor, tx: boolean, ty: boolean): { shape: number[]; data: number[] } {
  const xp: Tensor = x.shape.length === 1 ? { ...x, shape: [1, x.shape[0]!] } : x;
  const yp: Tensor = y.shape.length === 1 ? { ...y, shape: [y.shape[0]!, 1] } : y;
  const xs = xp.shape as number[], ys = yp.shape as number[];
  const m = tx ? xs[xs.length - 1]! : xs[xs.length - 2]!;
  const k = tx ? xs[xs.length - 2]! : xs[xs.length - 1]!;
  const n = ty ? ys[ys.length - 2]! : ys[ys.length - 1]!;
  const batch = naiveBroadcastShape(xs.slice(0, -2), ys.slice(0, -2))!;
  const data: number[] = [];
  for (let b = 0; b < count(batch); b++) {
    const bi = unravel(b, batch);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += at(xp, bi, i, p, tx) * at(yp, bi, p, j, ty);
        data.push(s);
      }
    }
  }
  const shape = [...batch, ...(x.shape.length > 1 ? [m] : []), ...(y.shape.length > 1 ? [n] : [])];
  return { shape, data };
}

/** Random valid matmul operands: batch shapes that broadcast, any rank-1 promotion, transposes. */
const arbMatmul = (dtype: DType) =>
  fc
    .record({
      batch: arbBroadcastPair(3, 3),
      m: fc.integer({ min: 1, max: 4 }),
      k: fc.integer({ min: 1, max: 5 }),
      n: fc.integer({ min: 1, max: 4 }),
      xVec: fc.boolean(),
      yVec: fc.boolean(),
      tx: fc.boolean(),
      ty: fc.boolean(),
      sx: seed,
      sy: seed,
    })
    .map((r) => {
      const tx = r.tx && !r.xVec, ty = r.ty && !r.yVec;
      const xs = r.xVec ? [r.k] : [...r.batch[0], ...(tx ? [r.k, r.m] : [r.m, r.k])];
      const ys = r.yVec ? [r.k] : [...r.batch[1], ...(ty ? [r.n, r.k] : [r.k, r.n])];
      return { x: fillTensor(dtype, xs, r.sx), y: fillTensor(dtype, ys, r.sy), tx, ty };
    });

describe('matmul', () => {
  it('matches the naive triple loop (fp32, transposes, batch broadcast, rank-1 operands)', () => {
    fc.assert(
      fc.property(arbMatmul('fp32'), ({ x, y, tx, ty }) => {
        const out = run1('matmul', { x, y }, { transpose_x: tx, transpose_y: ty });
        const ref = refMatmul(x, y, tx, ty);
        expect(out.dtype).toBe('fp32');
        expectClose(out, ref.data, ref.shape);
      }),
      { numRuns: 150 },
    );
  });

  it('is exact for int32', () => {
    fc.assert(
      fc.property(arbMatmul('int32'), ({ x, y, tx, ty }) => {
        const out = run1('matmul', { x, y }, { transpose_x: tx, transpose_y: ty });
        const ref = refMatmul(x, y, tx, ty);
        expect(out.shape).toEqual(ref.shape);
        expect(Array.from(out.data)).toEqual(ref.data);
      }),
      { numRuns: 60 },
    );
  });

  it('rounds fp16 results once (within one fp16 ulp of the exact sum)', () => {
    fc.assert(
      fc.property(arbMatmul('fp16'), ({ x, y, tx, ty }) => {
        const out = run1('matmul', { x, y }, { transpose_x: tx, transpose_y: ty });
        const ref = refMatmul(x, y, tx, ty);
        expect(out.dtype).toBe('fp16');
        expectClose(out, ref.data, ref.shape, { rel: 2 ** -10, abs: 2 ** -24 });
        for (const v of out.data) expect(roundToFp16(v)).toBe(v);
      }),
      { numRuns: 60 },
    );
  });

  it('two vectors give a scalar dot product', () => {
    const x = fillTensor('fp32', [5], 3), y = fillTensor('fp32', [5], 4);
    const out = run1('matmul', { x, y });
    let s = 0;
    for (let i = 0; i < 5; i++) s += x.data[i]! * y.data[i]!;
    expectClose(out, [s], []);
  });

  it('infers symbolic batch and row dims', () => {
    expect(infer1('matmul', { x: tt('fp16', ['b', 'seq', 8]), y: tt('fp16', [8, 4]) }).shape).toEqual(['b', 'seq', 4]);
    expect(infer1('matmul', { x: tt('fp32', [1, 'seq', 8]), y: tt('fp32', ['b', 'seq', 8]) }, { transpose_y: true }).shape).toEqual(['b', 'seq', 'seq']);
    expect(infer1('matmul', { x: tt('fp32', ['k']), y: tt('fp32', [2, 'k', 3]) }).shape).toEqual([2, 3]);
  });

  it('rejects a contraction mismatch with E_SHAPE_MISMATCH', () => {
    fc.assert(
      fc.property(arbMatmul('fp32'), fc.integer({ min: 1, max: 3 }), ({ x, y, tx, ty }, extra) => {
        // Grow x's K axis so the contraction sizes differ.
        const xs = [...x.shape];
        const kAxis = xs.length === 1 ? 0 : tx ? xs.length - 2 : xs.length - 1;
        xs[kAxis] = xs[kAxis]! + extra;
        expect(errorCode(() => run1('matmul', { x: fillTensor('fp32', xs, 1), y }, { transpose_x: tx, transpose_y: ty }))).toBe('E_SHAPE_MISMATCH');
      }),
      { numRuns: 60 },
    );
  });

  it('reports other bad inputs with coded errors', () => {
    const f = (s: number[], d: DType = 'fp32') => fillTensor(d, s, 1);
    expect(errorCode(() => run1('matmul', { x: f([2, 3, 4]), y: f([3, 4, 5]) }))).toBe('E_SHAPE_MISMATCH'); // batch 2 vs 3
    expect(errorCode(() => run1('matmul', { x: f([]), y: f([3]) }))).toBe('E_RANK');
    expect(errorCode(() => run1('matmul', { x: f([3]), y: f([3, 2]) }, { transpose_x: true }))).toBe('E_ATTR');
    expect(errorCode(() => run1('matmul', { x: f([2, 3]), y: f([3]) }, { transpose_y: true }))).toBe('E_ATTR');
    expect(errorCode(() => run1('matmul', { x: f([2, 3]), y: f([3, 2], 'fp16') }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => run1('matmul', { x: f([2, 3], 'bool'), y: f([3, 2], 'bool') }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => infer1('matmul', { x: tt('fp32', [2, 'k']), y: tt('fp32', ['j', 3]) }))).toBe('E_SHAPE_MISMATCH');
  });
});

describe('linear', () => {
  const arbLinear = fc.record({
    lead: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 2 }),
    dIn: fc.integer({ min: 1, max: 6 }),
    dOut: fc.integer({ min: 1, max: 5 }),
    withBias: fc.boolean(),
    s1: seed,
    s2: seed,
    s3: seed,
  });

  it('equals matmul with the transposed weight plus the bias, and the naive formula', () => {
    fc.assert(
      fc.property(arbLinear, (r) => {
        const x = fillTensor('fp32', [...r.lead, r.dIn], r.s1);
        const w = fillTensor('fp32', [r.dOut, r.dIn], r.s2);
        const b = fillTensor('fp32', [r.dOut], r.s3);
        const out = run1('linear', r.withBias ? { x, weight: w, bias: b } : { x, weight: w });
        const shape = [...r.lead, r.dOut];
        // Against matmul + add.
        const mm = run1('matmul', { x, y: w }, { transpose_y: true });
        const viaMatmul = Array.from(mm.data, (v, i) => (r.withBias ? Math.fround(v + b.data[i % r.dOut]!) : v));
        expectClose(out, viaMatmul, shape);
        // Against the naive formula.
        const rows = count(r.lead);
        const naive: number[] = [];
        for (let i = 0; i < rows; i++) {
          for (let o = 0; o < r.dOut; o++) {
            let s = r.withBias ? b.data[o]! : 0;
            for (let k = 0; k < r.dIn; k++) s += x.data[i * r.dIn + k]! * w.data[o * r.dIn + k]!;
            naive.push(s);
          }
        }
        expectClose(out, naive, shape);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps symbolic leading dims', () => {
    expect(infer1('linear', { x: tt('fp16', [1, 'seq', 8]), weight: tt('fp16', [3, 8]), bias: tt('fp16', [3]) }).shape).toEqual([1, 'seq', 3]);
  });

  it('rejects bad ranks and sizes with coded errors', () => {
    fc.assert(
      fc.property(arbLinear, fc.integer({ min: 1, max: 3 }), (r, extra) => {
        const x = fillTensor('fp32', [...r.lead, r.dIn], r.s1);
        const wBad = fillTensor('fp32', [r.dOut, r.dIn + extra], r.s2);
        const bBad = fillTensor('fp32', [r.dOut + extra], r.s3);
        const w = fillTensor('fp32', [r.dOut, r.dIn], r.s2);
        expect(errorCode(() => run1('linear', { x, weight: wBad }))).toBe('E_SHAPE_MISMATCH');
        expect(errorCode(() => run1('linear', { x, weight: w, bias: bBad }))).toBe('E_SHAPE_MISMATCH');
      }),
      { numRuns: 40 },
    );
    const f = (s: number[], d: DType = 'fp32') => fillTensor(d, s, 1);
    expect(errorCode(() => run1('linear', { x: f([1, 1, 2, 3]), weight: f([4, 3]) }))).toBe('E_RANK');
    expect(errorCode(() => run1('linear', { x: f([]), weight: f([4, 1]) }))).toBe('E_RANK');
    expect(errorCode(() => run1('linear', { x: f([2, 3]), weight: f([4, 3, 1]) }))).toBe('E_RANK');
    expect(errorCode(() => run1('linear', { x: f([2, 3]), weight: f([4, 3], 'fp16') }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => run1('linear', { x: f([2, 3]), weight: f([4, 3]), bias: f([4, 1]) }))).toBe('E_RANK');
  });
});

/** Naive einsum: loops over every assignment of every letter (size-1 axes broadcast). */
function refEinsum(eq: string, a: Tensor, b: Tensor): { shape: number[]; data: number[] } {
  const [lhs, out] = eq.split('->') as [string, string];
  const [ta, tb] = lhs.split(',') as [string, string];
  const size = new Map<string, number>();
  [...ta].forEach((c, i) => size.set(c, Math.max(size.get(c) ?? 1, a.shape[i]!)));
  [...tb].forEach((c, i) => size.set(c, Math.max(size.get(c) ?? 1, b.shape[i]!)));
  const letters = [...size.keys()];
  const dims = letters.map((c) => size.get(c)!);
  const shape = [...out].map((c) => size.get(c)!);
  const data = new Array<number>(count(shape)).fill(0);
  for (let f = 0; f < count(dims); f++) {
    const v = unravel(f, dims);
    const val = (c: string): number => v[letters.indexOf(c)]!;
    const ia = [...ta].map((c, i) => (a.shape[i] === 1 ? 0 : val(c)));
    const ib = [...tb].map((c, i) => (b.shape[i] === 1 ? 0 : val(c)));
    data[ravel([...out].map(val), shape)]! += a.data[ravel(ia, a.shape as number[])]! * b.data[ravel(ib, b.shape as number[])]!;
  }
  return { shape, data };
}

/** A random valid two-operand equation with operand shapes (some shared letters size 1 in one operand). */
const arbEinsum = fc
  .record({
    nLetters: fc.integer({ min: 1, max: 5 }),
    roles: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 5, maxLength: 5 }),
    sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 5, maxLength: 5 }),
    bcast: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 5 }),
    order: fc.array(fc.nat(), { minLength: 15, maxLength: 15 }),
    offset: fc.integer({ min: 0, max: 21 }),
    s1: seed,
    s2: seed,
  })
  .map((r) => {
    const letters = Array.from({ length: r.nLetters }, (_, i) => String.fromCharCode(97 + ((i + r.offset) % 26)));
    let ta = '', tb = '', to = '';
    letters.forEach((c, i) => {
      // Role bits: in a, in b, in the output (at least one operand).
      const role = r.roles[i]! % 7 + 1;
      const inA = (role & 1) !== 0 || (role & 3) === 0, inB = (role & 2) !== 0;
      if (inA) ta += c;
      if (inB) tb += c;
      if ((role & 4) !== 0) to += c;
    });
    const shuffle = (s: string, k: number): string => {
      const arr = [...s];
      for (let i = arr.length - 1; i > 0; i--) {
        const j = r.order[(k + i) % 15]! % (i + 1);
        [arr[i], arr[j]] = [arr[j]!, arr[i]!];
      }
      return arr.join('');
    };
    ta = shuffle(ta, 0); tb = shuffle(tb, 5); to = shuffle(to, 10);
    const dim = (c: string, op: 0 | 1): number => {
      const i = letters.indexOf(c);
      // bcast 1: size 1 in a; 2: size 1 in b (only matters for shared letters).
      return r.bcast[i] === op + 1 ? 1 : r.sizes[i]!;
    };
    const a = fillTensor('fp32', [...ta].map((c) => dim(c, 0)), r.s1);
    const b = fillTensor('fp32', [...tb].map((c) => dim(c, 1)), r.s2);
    return { eq: `${ta},${tb}->${to}`, a, b };
  });

describe('einsum', () => {
  it('matches the naive all-letters loop for random equations', () => {
    fc.assert(
      fc.property(arbEinsum, ({ eq, a, b }) => {
        const out = run1('einsum', { values: [a, b] }, { equation: eq });
        const ref = refEinsum(eq, a, b);
        expectClose(out, ref.data, ref.shape);
      }),
      { numRuns: 200 },
    );
  });

  it('matmul-like forms equal matmul', () => {
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })), seed, seed, ([bt, i, j, k], s1, s2) => {
        const a = fillTensor('fp32', [bt, i, j], s1), b = fillTensor('fp32', [bt, j, k], s2);
        const mm = run1('matmul', { x: a, y: b });
        expectClose(run1('einsum', { values: [a, b] }, { equation: 'bij,bjk->bik' }), Array.from(mm.data), [bt, i, k]);
        // chw,whr->chr is a batched matmul over h: [h, c, w] x [h, w, r].
        const c3 = fillTensor('fp32', [i, bt, j], s1), d3 = fillTensor('fp32', [j, bt, k], s2);
        const out = run1('einsum', { values: [c3, d3] }, { equation: 'chw,whr->chr' });
        const x = run1('transpose', { x: c3 }, { perm: [1, 0, 2] });
        const y = run1('transpose', { x: d3 }, { perm: [1, 0, 2] });
        const viaMatmul = run1('transpose', { x: run1('matmul', { x, y }) }, { perm: [1, 0, 2] });
        expectClose(out, Array.from(viaMatmul.data), [i, bt, k]);
      }),
      { numRuns: 60 },
    );
  });

  it('computes nchw,nwhu->nchu with B and H broadcast', () => {
    const a = fillTensor('fp32', [2, 3, 1, 4], 7), b = fillTensor('fp32', [1, 4, 5, 2], 8);
    const out = run1('einsum', { values: [a, b] }, { equation: 'nchw,nwhu->nchu' });
    const want: number[] = [];
    for (let n = 0; n < 2; n++) for (let c = 0; c < 3; c++) for (let h = 0; h < 5; h++) for (let u = 0; u < 2; u++) {
      let s = 0;
      for (let w = 0; w < 4; w++) s += a.data[ravel([n, c, 0, w], [2, 3, 1, 4])]! * b.data[ravel([0, w, h, u], [1, 4, 5, 2])]!;
      want.push(s);
    }
    expectClose(out, want, [2, 3, 5, 2]);
  });

  it('computes the two attention forms like explicit loops', () => {
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })), seed, seed, ([B, C, H, Q, K], s1, s2) => {
        // scores[b, k, h, q] = sum_c q[b, c, h, q] * k[b, k, h, c]
        const qT = fillTensor('fp32', [B, C, H, Q], s1), kT = fillTensor('fp32', [B, K, H, C], s2);
        const scores = run1('einsum', { values: [qT, kT] }, { equation: 'bchq,bkhc->bkhq' });
        const want1: number[] = [];
        for (let b = 0; b < B; b++) for (let k = 0; k < K; k++) for (let h = 0; h < H; h++) for (let q = 0; q < Q; q++) {
          let s = 0;
          for (let c = 0; c < C; c++) s += qT.data[((b * C + c) * H + h) * Q + q]! * kT.data[((b * K + k) * H + h) * C + c]!;
          want1.push(s);
        }
        expectClose(scores, want1, [B, K, H, Q]);
        // out[b, c, h, q] = sum_k w[b, k, h, q] * v[b, c, h, k]
        const w = scores, v = fillTensor('fp32', [B, C, H, K], s1 ^ s2);
        const att = run1('einsum', { values: [w, v] }, { equation: 'bkhq,bchk->bchq' });
        const want2: number[] = [];
        for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) for (let h = 0; h < H; h++) for (let q = 0; q < Q; q++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += w.data[((b * K + k) * H + h) * Q + q]! * v.data[((b * C + c) * H + h) * K + k]!;
          want2.push(s);
        }
        expectClose(att, want2, [B, C, H, Q], { rel: 1e-5, abs: 1e-4 });
      }),
      { numRuns: 60 },
    );
  });

  it('infers symbolic sizes and broadcasts a size-1 letter', () => {
    expect(infer1('einsum', { values: [tt('fp16', [1, 32, 2, 'q']), tt('fp16', [1, 'k', 2, 32])] }, { equation: 'bchq,bkhc->bkhq' }).shape).toEqual([1, 'k', 2, 'q']);
    expect(infer1('einsum', { values: [tt('fp32', [1, 3]), tt('fp32', ['s', 3])] }, { equation: 'ij,ij->i' }).shape).toEqual(['s']);
  });

  it('rejects bad equations and operands with coded errors', () => {
    const a = fillTensor('fp32', [2, 3], 1), b = fillTensor('fp32', [3, 4], 2);
    const code = (equation: string, values: Tensor[] = [a, b]) => errorCode(() => run1('einsum', { values }, { equation }));
    expect(code('ij,jk')).toBe('E_ATTR'); // implicit output
    expect(code('ij,jk->ik->i')).toBe('E_ATTR');
    expect(code('ii,jk->ik')).toBe('E_ATTR'); // repeated letter
    expect(code('ij,jk->ii')).toBe('E_ATTR');
    expect(code('iJ,Jk->ik')).toBe('E_ATTR'); // upper case
    expect(code('...j,jk->k')).toBe('E_ATTR'); // ellipsis
    expect(code('ij,jk->iz')).toBe('E_ATTR'); // unknown output letter
    expect(code('ij->ij')).toBe('E_ATTR'); // one operand in the equation
    expect(code('ijk,jk->ik')).toBe('E_RANK');
    expect(code('ij,ik->jk')).toBe('E_SHAPE_MISMATCH'); // i is 2 vs 3
    expect(code('ij,jk->ik', [a])).toBe('E_INPUT');
    expect(code('ij,jk,kl->il', [a, b, b])).toBe('E_INPUT');
    expect(code('ij,jk->ik', [a, fillTensor('fp16', [3, 4], 2)])).toBe('E_DTYPE_MISMATCH');
    expect(code('ij,jk->ik', [fillTensor('int32', [2, 3], 1), fillTensor('int32', [3, 4], 1)])).toBe('E_DTYPE_MISMATCH');
  });

  it('never crashes on arbitrary equation strings', () => {
    const a = fillTensor('fp32', [2, 3], 1), b = fillTensor('fp32', [3, 2], 2);
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('i', 'j', 'k', ',', '-', '>', '.', ' ', 'A'), maxLength: 12 }), (equation) => {
        const c = errorCode(() => run1('einsum', { values: [a, b] }, { equation }));
        expect(c === 'ok' || c.startsWith('E_')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
