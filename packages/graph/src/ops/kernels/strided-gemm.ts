/**
 * The matrix-product core shared by matmul and linear: one GEMM over strided operands, so
 * transposed and broadcast operands need no copies.
 * @module
 */
import type { TensorData } from '../../tensor.js';

/** A strided matrix view: element (r, c) is at `data[off + r * rs + c * cs]`. */
export interface MatView {
  readonly data: TensorData;
  readonly off: number;
  /** Row stride. */
  readonly rs: number;
  /** Column stride. */
  readonly cs: number;
}

/**
 * `out[outOff + i * N + j] = sum_k a(i, k) * b(k, j)` for an M x K view `a` and a K x N view
 * `b`, writing a dense M x N block. Sums accumulate in double precision and are stored once;
 * `scratch` (length >= N) is reused between calls to avoid allocation.
 */
export function gemmStrided(a: MatView, b: MatView, out: TensorData, outOff: number, m: number, k: number, n: number, scratch: Float64Array): void {
  const ad = a.data, bd = b.data;
  if (b.cs === 1) {
    // Row-of-b inner loop: contiguous reads of b and of the accumulator.
    for (let i = 0; i < m; i++) {
      scratch.fill(0, 0, n);
      let ap = a.off + i * a.rs;
      for (let p = 0; p < k; p++, ap += a.cs) {
        const av = ad[ap]!;
        const bRow = b.off + p * b.rs;
        for (let j = 0; j < n; j++) scratch[j]! += av * bd[bRow + j]!;
      }
      const o = outOff + i * n;
      for (let j = 0; j < n; j++) out[o + j] = scratch[j]!;
    }
    return;
  }
  // Dot-product form (b transposed): both operands are walked along k.
  for (let i = 0; i < m; i++) {
    const aRow = a.off + i * a.rs;
    const o = outOff + i * n;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0, ap = aRow, bp = b.off + j * b.cs; p < k; p++, ap += a.cs, bp += b.rs) s += ad[ap]! * bd[bp]!;
      out[o + j] = s;
    }
  }
}
