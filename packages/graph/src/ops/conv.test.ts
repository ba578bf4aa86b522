import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import './index.js';
import type { DType } from '../dtype.js';
import { runOp } from '../interpret/run-op.js';
import type { Attrs, TensorType } from '../ir/types.js';
import type { Dim } from '../shape.js';
import { type Tensor, tensor } from '../tensor.js';
import { fillTensor } from '../testing/arb.js';
import { close, ravel } from '../testing/naive-ref.js';
import { getOp } from './registry.js';
import { checkOp } from './validate.js';
import { errorCode } from '../testing/errors.js';

// Tolerances: fp32 outputs within 1e-5 + 1e-5 * |want| of a double-precision naive reference
// (at most a few hundred products of values in [-2, 2]); fp16 within 2^-10 relative + 2^-14.
const F32 = { rel: 1e-5, abs: 1e-5 };

const run1 = (kind: string, inputs: Record<string, Tensor>, attrs: Attrs = {}): Tensor => runOp(kind, inputs, attrs)[0]!;
const infer1 = (kind: string, inputs: Record<string, TensorType>, attrs: Attrs = {}): TensorType => checkOp(getOp(kind), inputs, attrs).outputs[0]!;
const tt = (dtype: DType, shape: Dim[]): TensorType => ({ dtype, shape });
const seed = fc.integer({ min: 1, max: 0x7fffffff });

function expectClose(got: Tensor, want: readonly number[], shape: number[], tol = F32): void {
  expect(got.shape).toEqual(shape);
  expect(got.data.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!close(got.data[i]!, want[i]!, tol.rel, tol.abs)) expect.fail(`element ${i}: got ${got.data[i]}, want ${want[i]}`);
  }
}

type PadKind = 'valid' | 'same' | 'same_lower' | 'custom';

/** Padding [before, after] and output size of one axis, from the Core ML definitions. */
function axisGeometry(kind: PadKind, size: number, k: number, s: number, d: number, custom: [number, number]): { b: number; a: number; out: number } {
  const ek = d * (k - 1) + 1;
  if (kind === 'same' || kind === 'same_lower') {
    const out = Math.ceil(size / s);
    const total = Math.max(0, (out - 1) * s + ek - size);
    const lo = kind === 'same' ? Math.floor(total / 2) : Math.ceil(total / 2);
    return { b: lo, a: total - lo, out };
  }
  const [b, a] = kind === 'custom' ? custom : [0, 0];
  return { b, a, out: Math.floor((size + b + a - ek) / s) + 1 };
}

interface ConvCase {
  x: Tensor;
  w: Tensor;
  bias: Tensor | undefined;
  attrs: { strides: number[]; dilations: number[]; groups: number; pad_type: PadKind; pad: number[] };
}

/** Naive direct convolution: one explicit sum per output element, zero outside the input. */
function refConv({ x, w, bias, attrs }: ConvCase): { shape: number[]; data: number[] } {
  const [n, cIn, h, wd] = x.shape as number[] as [number, number, number, number];
  const [cOut, cg, kh, kw] = w.shape as number[] as [number, number, number, number];
  const gy = axisGeometry(attrs.pad_type, h, kh, attrs.strides[0]!, attrs.dilations[0]!, [attrs.pad[0]!, attrs.pad[1]!]);
  const gx = axisGeometry(attrs.pad_type, wd, kw, attrs.strides[1]!, attrs.dilations[1]!, [attrs.pad[2]!, attrs.pad[3]!]);
  const data: number[] = [];
  const outPerGroup = cOut / attrs.groups;
  for (let b = 0; b < n; b++) for (let o = 0; o < cOut; o++) for (let i = 0; i < gy.out; i++) for (let j = 0; j < gx.out; j++) {
    let s = bias ? bias.data[o]! : 0;
    const g = Math.floor(o / outPerGroup);
    for (let c = 0; c < cg; c++) for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) {
      const yy = i * attrs.strides[0]! - gy.b + u * attrs.dilations[0]!;
      const xx = j * attrs.strides[1]! - gx.b + v * attrs.dilations[1]!;
      if (yy < 0 || yy >= h || xx < 0 || xx >= wd) continue;
      s += x.data[ravel([b, g * cg + c, yy, xx], [n, cIn, h, wd])]! * w.data[ravel([o, c, u, v], [cOut, cg, kh, kw])]!;
    }
    data.push(s);
  }
  return { shape: [n, cOut, gy.out, gx.out], data };
}

const arbConv = (dtype: DType = 'fp32'): fc.Arbitrary<ConvCase> =>
  fc
    .record({
      n: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 3 }),
      cig: fc.integer({ min: 1, max: 2 }),
      cog: fc.integer({ min: 1, max: 2 }),
      h: fc.integer({ min: 1, max: 7 }),
      w: fc.integer({ min: 1, max: 7 }),
      k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
      d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      padType: fc.constantFrom<PadKind>('valid', 'same', 'same_lower', 'custom'),
      pad: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
      withBias: fc.boolean(),
      s1: seed,
      s2: seed,
      s3: seed,
    })
    .filter((r) => {
      // Keep cases whose dilated kernel fits the padded input.
      const g = (i: 0 | 1, size: number): number => axisGeometry(r.padType, size, r.k[i], r.s[i], r.d[i], [r.pad[2 * i]!, r.pad[2 * i + 1]!]).out;
      return g(0, r.h) >= 1 && g(1, r.w) >= 1;
    })
    .map((r) => ({
      x: fillTensor(dtype, [r.n, r.groups * r.cig, r.h, r.w], r.s1),
      w: fillTensor(dtype, [r.groups * r.cog, r.cig, r.k[0], r.k[1]], r.s2),
      bias: r.withBias ? fillTensor(dtype, [r.groups * r.cog], r.s3) : undefined,
      attrs: { strides: [...r.s], dilations: [...r.d], groups: r.groups, pad_type: r.padType, pad: r.pad },
    }));

const convInputs = (c: ConvCase): Record<string, Tensor> => (c.bias ? { x: c.x, weight: c.w, bias: c.bias } : { x: c.x, weight: c.w });

describe('conv2d', () => {
  it('matches a naive direct convolution (stride, padding, dilation, groups, bias)', () => {
    fc.assert(
      fc.property(arbConv(), (c) => {
        const out = run1('conv2d', convInputs(c), c.attrs);
        const ref = refConv(c);
        expect(out.dtype).toBe('fp32');
        expectClose(out, ref.data, ref.shape);
      }),
      { numRuns: 200 },
    );
  });

  it('rounds fp16 outputs close to the exact result', () => {
    fc.assert(
      fc.property(arbConv('fp16'), (c) => {
        const out = run1('conv2d', convInputs(c), c.attrs);
        const ref = refConv(c);
        expectClose(out, ref.data, ref.shape, { rel: 2 ** -10, abs: 2 ** -14 });
      }),
      { numRuns: 50 },
    );
  });

  it('same padding keeps ceil(size / stride) and puts the odd extra pad at the end (start for same_lower)', () => {
    // 1x1 input channel, 4 wide, kernel 2 of ones: total pad 1.
    const x = tensor('fp32', [1, 1, 1, 4], [1, 2, 3, 4]);
    const w = tensor('fp32', [1, 1, 1, 2], [1, 1]);
    expectClose(run1('conv2d', { x, weight: w }, { pad_type: 'same' }), [3, 5, 7, 4], [1, 1, 1, 4]);
    expectClose(run1('conv2d', { x, weight: w }, { pad_type: 'same_lower' }), [1, 3, 5, 7], [1, 1, 1, 4]);
    expect(infer1('conv2d', { x: tt('fp32', [1, 3, 9, 10]), weight: tt('fp32', [4, 3, 3, 3]) }, { pad_type: 'same', strides: [2, 3] }).shape).toEqual([1, 4, 5, 4]);
  });

  it('an identity kernel returns its input (1x1, and 3x3 centre tap with same padding)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }), seed, (c, h, w, s) => {
        const x = fillTensor('fp32', [1, c, h, w], s);
        const eye = new Array<number>(c * c).fill(0);
        for (let i = 0; i < c; i++) eye[i * c + i] = 1;
        expectClose(run1('conv2d', { x, weight: tensor('fp32', [c, c, 1, 1], eye) }), Array.from(x.data), [1, c, h, w], { rel: 0, abs: 0 });
        const centre = new Array<number>(c * 9).fill(0);
        for (let i = 0; i < c; i++) centre[i * 9 + 4] = 1;
        const dw = tensor('fp32', [c, 1, 3, 3], centre);
        expectClose(run1('conv2d', { x, weight: dw }, { pad_type: 'same', groups: c }), Array.from(x.data), [1, c, h, w], { rel: 0, abs: 0 });
      }),
      { numRuns: 40 },
    );
  });

  it('depthwise conv filters every channel with its own kernel', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 3, max: 7 }), fc.integer({ min: 1, max: 3 }), seed, seed, (c, size, k, s1, s2) => {
        const x = fillTensor('fp32', [1, c, size, size], s1);
        const w = fillTensor('fp32', [c, 1, k, k], s2);
        const out = run1('conv2d', { x, weight: w }, { groups: c, pad_type: 'custom', pad: [1, 1, 1, 1] });
        const o = size + 2 - k + 1;
        const want: number[] = [];
        for (let ch = 0; ch < c; ch++) for (let i = 0; i < o; i++) for (let j = 0; j < o; j++) {
          let acc = 0;
          for (let u = 0; u < k; u++) for (let v = 0; v < k; v++) {
            const yy = i + u - 1, xx = j + v - 1;
            if (yy >= 0 && yy < size && xx >= 0 && xx < size) acc += x.data[(ch * size + yy) * size + xx]! * w.data[(ch * k + u) * k + v]!;
          }
          want.push(acc);
        }
        expectClose(out, want, [1, c, o, o]);
      }),
      { numRuns: 40 },
    );
  });

  it('keeps a symbolic batch and requires static channels and spatial dims', () => {
    expect(infer1('conv2d', { x: tt('fp16', ['n', 3, 8, 8]), weight: tt('fp16', [6, 3, 3, 3]) }, { strides: [2, 2] }).shape).toEqual(['n', 6, 3, 3]);
    expect(errorCode(() => infer1('conv2d', { x: tt('fp16', [1, 3, 'h', 8]), weight: tt('fp16', [6, 3, 3, 3]) }))).toBe('E_SHAPE_INVALID');
  });

  it('rejects invalid inputs with coded errors', () => {
    const x = fillTensor('fp32', [1, 4, 5, 5], 1);
    const w = (s: number[], d: DType = 'fp32') => fillTensor(d, s, 2);
    const code = (inputs: Record<string, Tensor>, attrs: Attrs = {}) => errorCode(() => run1('conv2d', inputs, attrs));
    expect(code({ x: fillTensor('fp32', [4, 5, 5], 1), weight: w([2, 4, 3, 3]) })).toBe('E_RANK');
    expect(code({ x, weight: w([2, 4, 3]) })).toBe('E_RANK');
    expect(code({ x, weight: w([2, 3, 3, 3]) })).toBe('E_SHAPE_MISMATCH'); // C_in mismatch
    expect(code({ x, weight: w([2, 2, 3, 3]) }, { groups: 3 })).toBe('E_SHAPE_MISMATCH'); // 3 does not divide 4
    expect(code({ x, weight: w([3, 2, 3, 3]) }, { groups: 2 })).toBe('E_SHAPE_MISMATCH'); // 3 out channels
    expect(code({ x, weight: w([2, 4, 6, 3]) })).toBe('E_SHAPE_MISMATCH'); // kernel > input
    expect(code({ x, weight: w([2, 4, 3, 3]) }, { dilations: [3, 1] })).toBe('E_SHAPE_MISMATCH'); // dilated kernel 7 > 5
    expect(code({ x, weight: w([2, 4, 3, 3]), bias: w([3]) })).toBe('E_SHAPE_MISMATCH');
    expect(code({ x, weight: w([2, 4, 3, 3]), bias: w([2, 1]) })).toBe('E_RANK');
    expect(code({ x, weight: w([2, 4, 3, 3], 'fp16') })).toBe('E_DTYPE_MISMATCH');
    expect(code({ x, weight: w([2, 4, 3, 3]) }, { strides: [0, 1] })).toBe('E_ATTR');
    expect(code({ x, weight: w([2, 4, 3, 3]) }, { strides: [1] })).toBe('E_ATTR');
    expect(code({ x, weight: w([2, 4, 3, 3]) }, { dilations: [1, 0] })).toBe('E_ATTR');
    expect(code({ x, weight: w([2, 4, 3, 3]) }, { pad: [1, 1, -1, 0], pad_type: 'custom' })).toBe('E_ATTR');
    expect(code({ x, weight: w([2, 4, 3, 3]) }, { pad_type: 'full' })).toBe('E_ATTR');
    expect(code({ x, weight: w([2, 4, 3, 3]) }, { groups: 0 })).toBe('E_ATTR');
    expect(code({ x, weight: w([2, 4, 3, 3]) }, { padding: 1 })).toBe('E_ATTR');
  });

  it('never crashes on random attributes', () => {
    const x = fillTensor('fp32', [1, 2, 4, 4], 1), weight = fillTensor('fp32', [2, 1, 3, 3], 2);
    fc.assert(
      fc.property(
        fc.record({
          strides: fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 3 }),
          dilations: fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 3 }),
          pad: fc.array(fc.integer({ min: -1, max: 3 }), { maxLength: 5 }),
          pad_type: fc.constantFrom('valid', 'same', 'same_lower', 'custom'),
          groups: fc.integer({ min: -1, max: 3 }),
        }),
        (attrs) => {
          const c = errorCode(() => run1('conv2d', { x, weight }, attrs));
          expect(c === 'ok' || c.startsWith('E_')).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** Naive average pooling (no ceil mode) with its own padding arithmetic. */
function refAvgPool(x: Tensor, k: [number, number], s: [number, number], kind: PadKind, pad: number[], exclude: boolean): { shape: number[]; data: number[] } {
  const [n, c, h, w] = x.shape as number[] as [number, number, number, number];
  const gy = axisGeometry(kind, h, k[0], s[0], 1, [pad[0]!, pad[1]!]);
  const gx = axisGeometry(kind, w, k[1], s[1], 1, [pad[2]!, pad[3]!]);
  const data: number[] = [];
  for (let p = 0; p < n * c; p++) for (let i = 0; i < gy.out; i++) for (let j = 0; j < gx.out; j++) {
    let sum = 0, inside = 0;
    for (let u = 0; u < k[0]; u++) for (let v = 0; v < k[1]; v++) {
      const yy = i * s[0] - gy.b + u, xx = j * s[1] - gx.b + v;
      if (yy >= 0 && yy < h && xx >= 0 && xx < w) {
        sum += x.data[(p * h + yy) * w + xx]!;
        inside++;
      }
    }
    data.push(sum / (exclude ? inside : k[0] * k[1]));
  }
  return { shape: [n, c, gy.out, gx.out], data };
}

const arbPool = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }),
    c: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 1, max: 7 }),
    w: fc.integer({ min: 1, max: 7 }),
    k: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    padType: fc.constantFrom<PadKind>('valid', 'same', 'custom'),
    // Custom pads smaller than the kernel, so every window touches the input.
    pad: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
    exclude: fc.boolean(),
    s1: seed,
  })
  .map((r) => ({ ...r, pad: r.pad.map((p, i) => Math.min(p, r.k[i < 2 ? 0 : 1] - 1)) }))
  .filter((r) => axisGeometry(r.padType, r.h, r.k[0], r.s[0], 1, [r.pad[0]!, r.pad[1]!]).out >= 1 && axisGeometry(r.padType, r.w, r.k[1], r.s[1], 1, [r.pad[2]!, r.pad[3]!]).out >= 1);

describe('avg_pool', () => {
  it('matches a naive average (valid, same, custom; with and without padding in the divisor)', () => {
    fc.assert(
      fc.property(arbPool, (r) => {
        const x = fillTensor('fp32', [r.n, r.c, r.h, r.w], r.s1);
        const out = run1('avg_pool', { x }, { kernel_sizes: [...r.k], strides: [...r.s], pad_type: r.padType, pad: r.pad, exclude_padding_from_average: r.exclude });
        const ref = refAvgPool(x, r.k, r.s, r.padType, r.pad, r.exclude);
        expectClose(out, ref.data, ref.shape);
      }),
      { numRuns: 150 },
    );
  });

  it('of a constant is the constant when padding is excluded', () => {
    fc.assert(
      fc.property(arbPool, fc.float({ min: -100, max: 100, noNaN: true }), (r, v) => {
        const x = tensor('fp32', [r.n, r.c, r.h, r.w], new Array<number>(r.n * r.c * r.h * r.w).fill(v));
        const out = run1('avg_pool', { x }, { kernel_sizes: [...r.k], strides: [...r.s], pad_type: r.padType, pad: r.pad, exclude_padding_from_average: true });
        for (const o of out.data) expect(close(o, Math.fround(v), 1e-6, 1e-6)).toBe(true);
      }),
      { numRuns: 80 },
    );
  });

  it('ceil_mode rounds the output size up as Core ML does', () => {
    // H = 5, k = 2, s = 2: floor gives 2, ceil 3 (the last window holds one element).
    const x = tensor('fp32', [1, 1, 1, 5], [1, 2, 3, 4, 5]);
    const base = { kernel_sizes: [1, 2], strides: [1, 2] };
    expectClose(run1('avg_pool', { x }, base), [1.5, 3.5], [1, 1, 1, 2]);
    expectClose(run1('avg_pool', { x }, { ...base, ceil_mode: true }), [1.5, 3.5, 5], [1, 1, 1, 3]);
    // Symmetric pad 1, k = 3, s = 2 on 6: floor((6 + 2 - 3 + 1) / 2) + 1 = 4; (4-1)*2 = 6 < 6 + 1, kept.
    expect(infer1('avg_pool', { x: tt('fp32', [1, 1, 6, 6]) }, { kernel_sizes: [3, 3], strides: [2, 2], pad_type: 'custom', pad: [1, 1, 1, 1], ceil_mode: true }).shape).toEqual([1, 1, 4, 4]);
    // Pad 1, k = 2, s = 2 on 4: floor((4 + 2 - 2 + 1) / 2) + 1 = 3; (3-1)*2 = 4 >= 4 + 1? no -> 3.
    expect(infer1('avg_pool', { x: tt('fp32', [1, 1, 4, 4]) }, { kernel_sizes: [2, 2], strides: [2, 2], pad_type: 'custom', pad: [1, 1, 1, 1], ceil_mode: true }).shape).toEqual([1, 1, 3, 3]);
    // Pad 1, k = 1, s = 3 on 4: floor((4 + 2 - 1 + 2) / 3) + 1 = 3; (3-1)*3 = 6 >= 5 -> 2.
    expect(infer1('avg_pool', { x: tt('fp32', [1, 1, 4, 4]) }, { kernel_sizes: [1, 1], strides: [3, 3], pad_type: 'custom', pad: [1, 1, 1, 1], ceil_mode: true }).shape).toEqual([1, 1, 2, 2]);
  });

  it('keeps symbolic batch and channels', () => {
    expect(infer1('avg_pool', { x: tt('fp16', ['n', 'c', 8, 8]) }, { kernel_sizes: [2, 2], strides: [2, 2] }).shape).toEqual(['n', 'c', 4, 4]);
  });

  it('rejects invalid inputs with coded errors', () => {
    const x = fillTensor('fp32', [1, 2, 4, 4], 1);
    const code = (attrs: Attrs, input: Tensor = x) => errorCode(() => run1('avg_pool', { x: input }, attrs));
    expect(code({ kernel_sizes: [2, 2] }, fillTensor('fp32', [2, 4, 4], 1))).toBe('E_RANK');
    expect(code({ kernel_sizes: [5, 2] })).toBe('E_SHAPE_MISMATCH');
    expect(code({ kernel_sizes: [2] })).toBe('E_ATTR');
    expect(code({ kernel_sizes: [0, 2] })).toBe('E_ATTR');
    expect(code({})).toBe('E_ATTR');
    expect(code({ kernel_sizes: [2, 2], pad_type: 'same_lower' })).toBe('E_ATTR');
    expect(code({ kernel_sizes: [2, 2], pad_type: 'same', ceil_mode: true })).toBe('E_ATTR');
    expect(code({ kernel_sizes: [2, 2], pad_type: 'custom', pad: [1, 0, 0, 0], ceil_mode: true })).toBe('E_ATTR');
    expect(code({ kernel_sizes: [2, 2] }, fillTensor('int32', [1, 2, 4, 4], 1))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => infer1('avg_pool', { x: tt('fp32', [1, 1, 'h', 4]) }, { kernel_sizes: [2, 2] }))).toBe('E_SHAPE_INVALID');
  });

  it('never crashes on random attributes', () => {
    const x = fillTensor('fp32', [1, 2, 4, 4], 1);
    const ints = (max: number) => fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: max });
    fc.assert(
      fc.property(
        fc.record({
          kernel_sizes: ints(3),
          strides: ints(3),
          pad: ints(5),
          pad_type: fc.constantFrom('valid', 'same', 'custom'),
          exclude_padding_from_average: fc.boolean(),
          ceil_mode: fc.boolean(),
        }),
        (attrs) => {
          const c = errorCode(() => run1('avg_pool', { x }, attrs));
          expect(c === 'ok' || c.startsWith('E_')).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});
