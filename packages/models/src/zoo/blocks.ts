/**
 * Building blocks the zoo networks share: image inputs, pooling heads, the hard activations of
 * MobileNetV3, ReLU6, max pooling, and the multi-head attention of the text transformers.
 * @module
 */
import type { TensorHandle } from '@fastvlm/graph';
import { type BuildCtx, type FloatT, dim, linear, param } from '../layers.js';

/** `images` fp32 `[1, 3, H, W]`, cast to the build dtype when that is fp16 (as FastVLM does). */
export function imageInput(c: BuildCtx, h: number, w: number): FloatT<4> {
  const images = c.f.input('images', 'fp32', [1, 3, h, w]);
  return c.dtype === 'fp32' ? images : c.f.cast(images, { dtype: c.dtype }).asRank(4);
}

/** Global average pool over H and W: `[1, C, H, W]` -> `[1, C]`. */
export function globalPool(c: BuildCtx, x: FloatT<4>): FloatT<2> {
  const pooled = c.f.reduceMean(x, { axes: [2, 3], keep_dims: true });
  return c.f.reshape(pooled, { shape: [1, dim(x, 1)] }).asRank(2);
}

/** `min(max(x, 0), 6)`. */
export function relu6<R extends number>(c: BuildCtx, x: FloatT<R>): FloatT<R> {
  return c.f.minimum(c.f.relu(x), c.f.scalar(6, c.dtype)).asRank(x.shape.length) as FloatT<R>;
}

/** `relu6(x + 3) / 6` (PyTorch's Hardsigmoid). */
export function hardSigmoid<R extends number>(c: BuildCtx, x: FloatT<R>): FloatT<R> {
  const f = c.f;
  return f.mul(relu6(c, f.add(x, f.scalar(3, c.dtype)).asRank(x.shape.length) as FloatT<R>), f.scalar(1 / 6, c.dtype)).asRank(x.shape.length) as FloatT<R>;
}

/** `x * relu6(x + 3) / 6` (PyTorch's Hardswish). */
export function hardSwish<R extends number>(c: BuildCtx, x: FloatT<R>): FloatT<R> {
  return c.f.mul(x, hardSigmoid(c, x)).asRank(x.shape.length) as FloatT<R>;
}

/**
 * Max pooling with a k x k window, stride s and padding k//2, as the maximum of k^2 strided
 * slices of the zero-padded input (the IR has no max_pool op). Exact for inputs >= 0, which is
 * where the zoo uses it (after a ReLU).
 */
export function maxPoolNonNegative(c: BuildCtx, x: FloatT<4>, k: number, s: number): FloatT<4> {
  const f = c.f;
  const [C, H, W] = [dim(x, 1), dim(x, 2), dim(x, 3)];
  const p = Math.floor(k / 2);
  const padded = f.pad(x, { pad: [p, p, p, p] }).asRank(4);
  const oh = Math.floor((H + 2 * p - k) / s) + 1;
  const ow = Math.floor((W + 2 * p - k) / s) + 1;
  let out: FloatT<4> | undefined;
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const tap = f.slice(padded, { begin: [0, 0, i, j], end: [1, C, i + (oh - 1) * s + 1, j + (ow - 1) * s + 1], strides: [1, 1, s, s] }).asRank(4);
      out = out === undefined ? tap : f.maximum(out, tap).asRank(4);
    }
  }
  return out!;
}

/** Options of {@link multiHeadAttention}. */
export interface MhaOptions {
  readonly heads: number;
  /** Additive mask `[S, S]` (causal), if any. */
  readonly mask?: FloatT<2>;
  /** Names of the projections: one packed `in_proj` (OpenCLIP) or separate q/k/v layers (Hugging Face). */
  readonly names: { readonly packed: string; readonly out: string } | { readonly q: string; readonly k: string; readonly v: string; readonly out: string };
}

/** Splits `[1, S, C]` into heads `[heads, S, d]`. */
function toHeads(c: BuildCtx, t: FloatT<3>, heads: number): FloatT<3> {
  const [S, C] = [dim(t, 1), dim(t, 2)];
  return c.f.transpose(c.f.reshape(t, { shape: [S, heads, C / heads] }).asRank(3), { perm: [1, 0, 2] });
}

/**
 * Multi-head self-attention over `x` `[1, S, C]` in the (B, S, C) layout of PyTorch and Hugging
 * Face: projections with biases, `softmax(q k^T / sqrt(d) + mask) v`, output projection.
 */
export function multiHeadAttention(c: BuildCtx, x: FloatT<3>, o: MhaOptions): FloatT<3> {
  const f = c.f;
  const [S, C] = [dim(x, 1), dim(x, 2)];
  const d = C / o.heads;
  let q: FloatT<3>;
  let k: FloatT<3>;
  let v: FloatT<3>;
  const n = o.names;
  if ('packed' in n) {
    // OpenCLIP's nn.MultiheadAttention: in_proj_weight [3C, C] and in_proj_bias [3C], q, k, v in that order.
    const w = param(c, `${n.packed}_weight`, [3 * C, C], 'weight', C);
    const b = param(c, `${n.packed}_bias`, [3 * C], 'bias', C);
    const [pq, pk, pv] = f.split(f.linear(x, w, b), { axis: 2, num_splits: 3 }) as [FloatT<3>, FloatT<3>, FloatT<3>];
    [q, k, v] = [pq, pk, pv];
  } else {
    q = linear(c, x, n.q, C, true);
    k = linear(c, x, n.k, C, true);
    v = linear(c, x, n.v, C, true);
  }
  const qh = f.mul(toHeads(c, q, o.heads), f.scalar(1 / Math.sqrt(d), c.dtype)).asRank(3);
  let scores = f.matmul(qh, toHeads(c, k, o.heads), { transpose_y: true }).asRank(3);
  if (o.mask) scores = f.add(scores, o.mask).asRank(3);
  const ctx = f.matmul(f.softmax(scores, { axis: -1 }), toHeads(c, v, o.heads)).asRank(3); // [heads, S, d]
  const merged = f.reshape(f.transpose(ctx, { perm: [1, 0, 2] }), { shape: [1, S, C] }).asRank(3);
  return linear(c, merged, n.out, C, true);
}

/** A LayerNorm over the last axis with `weight` and `bias` under scope `name`. */
export function layerNormLast<R extends number>(c: BuildCtx, x: FloatT<R>, name: string, eps: number): FloatT<R> {
  const C = dim(x, -1);
  return c.f.scope(name, () => c.f.layerNorm(x, param(c, 'weight', [C], 'scale', C), param(c, 'bias', [C], 'shift', C), { axes: [-1], epsilon: eps }));
}

/** Rows `ids` (int32 `[1, S]`) of the table `name` `[rows, C]`: `[1, S, C]` (a gather, on the CPU). */
export function embedding(c: BuildCtx, ids: TensorHandle<'int32', 2>, name: string, rows: number, C: number): FloatT<3> {
  const table = c.f.param(name, c.dtype, [rows, C], { init: { kind: 'normal', std: 1 / Math.sqrt(C) } });
  return c.f.gather(table, ids, { axis: 0 }).asRank(3);
}
