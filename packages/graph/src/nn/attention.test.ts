import { describe, expect, it } from 'vitest';
import '../ops/index.js';
import { graph } from '../builder/graph.js';

import { interpret } from '../interpret/interpreter.js';
import type { Tensor } from '../tensor.js';
import { fillTensor } from '../testing/arb.js';
import type { WeightStore } from '../weights/store.js';
import { nn } from './index.js';
import { fastVlmError } from '../testing/errors.js';

/** Independent float64 reference of HF Llama/Qwen2 attention (repeat_kv, rotate_half, causal softmax). */
interface RefConfig {
  readonly B: number;
  readonly S: number;
  readonly H: number;
  readonly nH: number;
  readonly nKv: number;
  readonly hd: number;
  readonly theta?: number;
  /** Explicit cos/sin [S, hd] instead of computing them from theta. */
  readonly cos?: ArrayLike<number>;
  readonly sin?: ArrayLike<number>;
  readonly causal: boolean;
  /** Additive mask [S, S]. */
  readonly mask?: ArrayLike<number>;
  readonly qkvBias: boolean;
  readonly outBias: boolean;
}

function readW(store: WeightStore, name: string): Float32Array {
  return store.read(name).data as Float32Array;
}

/** y[r, o] = sum_i x[r, i] w[o, i] + b[o] over rows r. */
function denseRef(x: ArrayLike<number>, rows: number, inF: number, w: ArrayLike<number>, outF: number, b?: ArrayLike<number>): Float64Array {
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i]! * w[o * inF + i]!;
      y[r * outF + o] = s;
    }
  }
  return y;
}

function attentionRef(x: Tensor, store: WeightStore, prefix: string, c: RefConfig): Float64Array {
  const { B, S, H, nH, nKv, hd } = c;
  const rows = B * S;
  const w = (n: string): Float32Array => readW(store, `${prefix}${n}`);
  const q = denseRef(x.data, rows, H, w('q_proj.weight'), nH * hd, c.qkvBias ? w('q_proj.bias') : undefined);
  const k = denseRef(x.data, rows, H, w('k_proj.weight'), nKv * hd, c.qkvBias ? w('k_proj.bias') : undefined);
  const v = denseRef(x.data, rows, H, w('v_proj.weight'), nKv * hd, c.qkvBias ? w('v_proj.bias') : undefined);
  const half = hd / 2;
  const cosAt = (p: number, d: number): number => (c.cos ? c.cos[p * hd + d]! : Math.cos(p * c.theta! ** (-(2 * (d % half)) / hd)));
  const sinAt = (p: number, d: number): number => (c.sin ? c.sin[p * hd + d]! : Math.sin(p * c.theta! ** (-(2 * (d % half)) / hd)));
  const useRope = c.cos !== undefined || c.theta !== undefined;
  // head vector of q/k at (b, s, head) after RoPE.
  const headVec = (src: Float64Array, width: number, b: number, s: number, h: number): number[] => {
    const base = (b * S + s) * width + h * hd;
    const xs = Array.from({ length: hd }, (_, d) => src[base + d]!);
    if (!useRope) return xs;
    return xs.map((val, d) => {
      const rot = d < half ? -xs[d + half]! : xs[d - half]!;
      return val * cosAt(s, d) + rot * sinAt(s, d);
    });
  };
  const merged = new Float64Array(rows * nH * hd);
  const group = nH / nKv;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < nH; h++) {
      const g = Math.floor(h / group);
      for (let i = 0; i < S; i++) {
        const qi = headVec(q, nH * hd, b, i, h);
        const scores: number[] = [];
        for (let j = 0; j < S; j++) {
          if (c.causal && j > i) {
            scores.push(-Infinity);
            continue;
          }
          const kj = headVec(k, nKv * hd, b, j, g);
          let s = 0;
          for (let d = 0; d < hd; d++) s += qi[d]! * kj[d]!;
          s /= Math.sqrt(hd);
          if (c.mask) s += c.mask[i * S + j]!;
          scores.push(s);
        }
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, t) => a + t, 0);
        for (let d = 0; d < hd; d++) {
          let acc = 0;
          for (let j = 0; j < S; j++) acc += (e[j]! / z) * v[(b * S + j) * nKv * hd + g * hd + d]!;
          merged[(b * S + i) * nH * hd + h * hd + d] = acc;
        }
      }
    }
  }
  return denseRef(merged, rows, nH * hd, w('o_proj.weight'), H, c.outBias ? w('o_proj.bias') : undefined);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
  expect(worst).toBeLessThan(tol);
}

describe('nn.attention numerics', () => {
  // fp32 kernels against a float64 reference: relative error below 1e-4 (values are O(1)).
  const TOL = 1e-4;

  it('GQA (4 query heads, 2 KV heads), RoPE from theta, causal mask, qkv bias', () => {
    const cfg = { B: 2, S: 5, H: 32, nH: 4, nKv: 2, hd: 8, theta: 10000, causal: true, qkvBias: true, outBias: false } as const;
    const g = graph({ seed: 7 });
    const f = g.function('main');
    const x = f.input('x', 'fp32', [cfg.B, cfg.S, cfg.H]);
    const y = f.scope('model.layers.0', (s) =>
      nn.attention(s, x, { name: 'self_attn', numHeads: 4, numKvHeads: 2, qkvBias: true, rope: { theta: 10000 }, mask: 'causal' }),
    );
    expect(y.shape).toEqual([2, 5, 32]);
    f.output({ y });
    const p = g.build();
    const xv = fillTensor('fp32', [cfg.B, cfg.S, cfg.H], 101);
    const got = interpret(p, 'main', { x: xv }).get('y')!;
    expectClose(got.data, attentionRef(xv, g.weights, 'model.layers.0.self_attn.', cfg), TOL);
  });

  it('the causal mask makes each position independent of later tokens', () => {
    const g = graph({ seed: 3 });
    const f = g.function('main');
    const x = f.input('x', 'fp32', [1, 4, 16]);
    f.output({ y: nn.attention(f, x, { numHeads: 4, numKvHeads: 2, rope: { theta: 1e6 }, mask: 'causal' }) });
    const p = g.build();
    const a = fillTensor('fp32', [1, 4, 16], 5);
    const b = { ...a, data: Float32Array.from(a.data) };
    for (let i = 3 * 16; i < 4 * 16; i++) b.data[i] = b.data[i]! + 1; // change only the last token
    const ya = interpret(p, 'main', { x: a }).get('y')!.data;
    const yb = interpret(p, 'main', { x: b }).get('y')!.data;
    expect(Array.from(ya.slice(0, 3 * 16))).toEqual(Array.from(yb.slice(0, 3 * 16)));
    expect(Array.from(ya.slice(3 * 16))).not.toEqual(Array.from(yb.slice(3 * 16)));
  });

  it('cos/sin given as inputs ([S, d] and [B, S, d]) with an additive mask input and biases everywhere', () => {
    const cfg = { B: 1, S: 3, H: 12, nH: 2, nKv: 1, hd: 6, causal: false, qkvBias: true, outBias: true } as const;
    const cosV = fillTensor('fp32', [3, 6], 21);
    const sinV = fillTensor('fp32', [3, 6], 22);
    const maskV = fillTensor('fp32', [3, 3], 23);
    for (const rank3 of [false, true]) {
      const g = graph({ seed: 11 });
      const f = g.function('main');
      const x = f.input('x', 'fp32', [1, 3, 12]);
      const cos = rank3 ? f.input('cos', 'fp32', [1, 3, 6]) : f.input('cos', 'fp32', [3, 6]);
      const sin = rank3 ? f.input('sin', 'fp32', [1, 3, 6]) : f.input('sin', 'fp32', [3, 6]);
      const mask = f.input('mask', 'fp32', [3, 3]);
      f.output({ y: nn.attention(f, x, { name: 'attn', numHeads: 2, numKvHeads: 1, qkvBias: true, outBias: true, rope: { cos, sin }, mask }) });
      const p = g.build();
      const xv = fillTensor('fp32', [1, 3, 12], 24);
      const shaped = (t: Tensor): Tensor => (rank3 ? { ...t, shape: [1, ...t.shape] } : t);
      const got = interpret(p, 'main', { x: xv, cos: shaped(cosV), sin: shaped(sinV), mask: maskV }).get('y')!;
      expectClose(got.data, attentionRef(xv, g.weights, 'attn.', { ...cfg, cos: cosV.data, sin: sinV.data, mask: maskV.data }), TOL);
    }
  });

  it('plain multi-head attention (no GQA, no RoPE, no mask) with a symbolic sequence length', () => {
    const cfg = { B: 1, S: 4, H: 8, nH: 2, nKv: 2, hd: 4, causal: false, qkvBias: false, outBias: false } as const;
    const g = graph({ seed: 5 });
    const f = g.function('main');
    const x = f.input('x', 'fp32', [1, 'seq', 8]);
    const y = nn.attention(f, x, { numHeads: 2 });
    expect(y.shape).toEqual([1, 'seq', 8]);
    f.output({ y });
    const p = g.build();
    const xv = fillTensor('fp32', [1, 4, 8], 9);
    expectClose(interpret(p, 'main', { x: xv }).get('y')!.data, attentionRef(xv, g.weights, '', cfg), TOL);
  });

  it('explicit headDim different from hidden / heads', () => {
    const cfg = { B: 1, S: 3, H: 8, nH: 2, nKv: 1, hd: 6, theta: 100, causal: true, qkvBias: false, outBias: false } as const;
    const g = graph({ seed: 8 });
    const f = g.function('main');
    const x = f.input('x', 'fp32', [1, 3, 8]);
    f.output({ y: nn.attention(f, x, { numHeads: 2, numKvHeads: 1, headDim: 6, rope: { theta: 100 }, mask: 'causal' }) });
    expect(g.weights.info('q_proj.weight').shape).toEqual([12, 8]);
    expect(g.weights.info('k_proj.weight').shape).toEqual([6, 8]);
    expect(g.weights.info('o_proj.weight').shape).toEqual([8, 12]);
    const p = g.build();
    const xv = fillTensor('fp32', [1, 3, 8], 12);
    expectClose(interpret(p, 'main', { x: xv }).get('y')!.data, attentionRef(xv, g.weights, '', cfg), TOL);
  });

  it('fp16 attention stays close to the fp32 reference', () => {
    const cfg = { B: 1, S: 4, H: 16, nH: 4, nKv: 2, hd: 4, theta: 10000, causal: true, qkvBias: false, outBias: false } as const;
    const g = graph({ seed: 13 });
    const f = g.function('main');
    const x = f.input('x', 'fp16', [1, 4, 16]);
    const y = nn.attention(f, x, { numHeads: 4, numKvHeads: 2, rope: { theta: 10000 }, mask: 'causal' });
    expect(y.dtype).toBe('fp16');
    f.output({ y });
    const p = g.build();
    const xv = fillTensor('fp16', [1, 4, 16], 14);
    // fp16 rounding at every op: relative error of a few 1e-3.
    expectClose(interpret(p, 'main', { x: xv }).get('y')!.data, attentionRef(xv, g.weights, '', cfg), 2e-2);
  });
});

describe('nn rotary helpers', () => {
  it('rotaryValues match cos/sin of p * theta^(-2j/d) in the rotate_half layout', () => {
    const cos = nn.rotaryValues(7, 8, 10000, 3, Math.cos);
    const sin = nn.rotaryValues(7, 8, 10000, 3, Math.sin);
    for (let p = 0; p < 7; p++) {
      for (let d = 0; d < 8; d++) {
        const angle = (p + 3) / 10000 ** ((2 * (d % 4)) / 8);
        expect(Math.abs(cos[p * 8 + d]! - Math.cos(angle))).toBeLessThan(1e-6);
        expect(Math.abs(sin[p * 8 + d]! - Math.sin(angle))).toBeLessThan(1e-6);
      }
    }
  });

  it('rotary tables are shared constants of the weight store', () => {
    const g = graph();
    const f = g.function('main');
    const a = nn.rotaryTables(f, { seqLen: 4, headDim: 8, theta: 1e6 });
    const b = nn.rotaryTables(f, { seqLen: 4, headDim: 8, theta: 1e6 });
    expect(a.cos).toBe(b.cos);
    expect(g.weights.names()).toEqual(['rope.cos.d8.s4.o0.t1000000.fp32', 'rope.sin.d8.s4.o0.t1000000.fp32']);
    expect(g.weights.read('rope.cos.d8.s4.o0.t1000000.fp32').data[0]).toBe(1);
  });

  it('rotateHalf is [-x2, x1]', () => {
    const g = graph();
    const f = g.function('main');
    const x = f.input('x', 'fp32', [2, 4]);
    f.output({ y: nn.rotateHalf(f, x) });
    const y = interpret(g.build(), 'main', { x: { dtype: 'fp32', shape: [2, 4], data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) } }).get('y')!;
    expect(Array.from(y.data)).toEqual([-3, -4, 1, 2, -7, -8, 5, 6]);
  });

  it('causalMask is 0 on and below the (shifted) diagonal and maskValue above', () => {
    const g = graph();
    const f = g.function('main');
    f.output({ m: nn.causalMask(f, 2, 3, 'fp32', -5) });
    const m = interpret(g.build(), 'main', {}).get('m')!;
    expect(Array.from(m.data)).toEqual([0, 0, -5, 0, 0, 0]);
  });
});

describe('nn.attention errors', () => {

  it('rejects bad head counts, ranks and symbolic lengths with coded errors at the caller', () => {
    const f = graph().function('main');
    const x = f.input('x', 'fp32', [1, 4, 16]);
    const e1 = fastVlmError(() => nn.attention(f, x, { numHeads: 4, numKvHeads: 3 }));
    expect(e1.code).toBe('E_ATTR');
    expect(e1.message).toContain('numKvHeads 3');
    expect(e1.loc?.file).toMatch(/attention\.test\.ts$/);
    expect(fastVlmError(() => nn.attention(f, x, { numHeads: 0 })).code).toBe('E_ATTR');
    expect(fastVlmError(() => nn.attention(f, x, { numHeads: 3 })).code).toBe('E_ATTR');
    const x2 = f.input('x2', 'fp32', [4, 16]) as unknown as typeof x;
    expect(fastVlmError(() => nn.attention(f, x2, { numHeads: 4 })).code).toBe('E_RANK');
    const xs = f.input('xs', 'fp32', [1, 'seq', 16]);
    expect(fastVlmError(() => nn.attention(f, xs, { numHeads: 4, mask: 'causal' })).code).toBe('E_SHAPE_INVALID');
    expect(fastVlmError(() => nn.attention(f, xs, { numHeads: 4, rope: {} })).code).toBe('E_SHAPE_INVALID');
    expect(fastVlmError(() => nn.rotaryTables(f, { seqLen: 4, headDim: 5 })).code).toBe('E_ATTR');
  });
});
