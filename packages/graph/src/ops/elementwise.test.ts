import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import './index.js';
import type { DType } from '../dtype.js';
import { roundToFp16 } from '../fp16.js';
import { runOp } from '../interpret/run-op.js';
import type { TensorType } from '../ir/types.js';
import type { Dim } from '../shape.js';
import { type Tensor, scalar, tensor } from '../tensor.js';
import { arbBroadcastPair, arbShape, arbTensor, fillTensor } from '../testing/arb.js';
import { close, count, naiveBroadcastShape, readBroadcast, toStorage, unravel } from '../testing/naive-ref.js';
import { getOp } from './registry.js';
import { checkOp } from './validate.js';
import { errorCode } from '../testing/errors.js';

const run1 = (kind: string, inputs: Record<string, Tensor>, attrs: Record<string, number | string | boolean> = {}): Tensor => runOp(kind, inputs, attrs)[0]!;
const infer1 = (kind: string, inputs: Record<string, TensorType>, attrs: Record<string, number | string> = {}): TensorType =>
  checkOp(getOp(kind), inputs, attrs).outputs[0]!;
const t = (dtype: DType, shape: Dim[]): TensorType => ({ dtype, shape });

/** Two shapes with a clash: some axis is d in one and d+1 (both >= 2) in the other. */
const arbClashingPair = fc
  .tuple(arbShape(1, 4, 4), fc.nat(), fc.integer({ min: 2, max: 4 }), fc.boolean())
  .map(([s, k, d, swap]): [number[], number[]] => {
    const a = [...s];
    const b = [...s];
    const i = k % s.length;
    a[i] = d;
    b[i] = d + 1;
    return swap ? [b, a] : [a, b];
  });

/** Two tensors of `dtype` with broadcastable shapes, in either order. */
const arbBinary = (dtype: DType, range = 2): fc.Arbitrary<[Tensor, Tensor]> =>
  fc.tuple(arbBroadcastPair(), fc.integer({ min: 1, max: 0x7fffffff }), fc.integer({ min: 1, max: 0x7fffffff }), fc.boolean()).map(([[sa, sb], s1, s2, swap]) => {
    const a = fillTensor(dtype, swap ? sb : sa, s1, range);
    const b = fillTensor(dtype, swap ? sa : sb, s2, range);
    return [a, b];
  });

/** Checks `out` against `ref` applied to broadcast elements of x and y, element by element. */
function checkBinary(out: Tensor, x: Tensor, y: Tensor, outDtype: DType, ref: (a: number, b: number) => number, rel = 0, abs = 0): void {
  const shape = naiveBroadcastShape(x.shape, y.shape)!;
  expect(out.shape).toEqual(shape);
  expect(out.dtype).toBe(outDtype);
  for (let i = 0; i < count(shape); i++) {
    const idx = unravel(i, shape);
    const want = toStorage(ref(readBroadcast(x, idx), readBroadcast(y, idx)), outDtype);
    const got = out.data[i]!;
    if (!close(got, want, rel, abs)) expect.fail(`element ${i} at [${idx}]: got ${got}, want ${want}`);
  }
}

const FLOAT_DTYPES: DType[] = ['fp32', 'fp16'];
const NUMERIC_DTYPES: DType[] = ['fp32', 'fp16', 'int32'];

describe('binary arithmetic', () => {
  // + - * / on fp32 or fp16 inputs computed in double and rounded once to the output type are
  // correctly rounded (double has more than 2p+2 bits), so these references match exactly.
  const exact: Record<string, (a: number, b: number) => number> = {
    add: (a, b) => a + b,
    sub: (a, b) => a - b,
    mul: (a, b) => a * b,
    div: (a, b) => a / b,
    maximum: (a, b) => (a >= b ? a : b),
    minimum: (a, b) => (a <= b ? a : b),
  };
  const intRef: Record<string, (a: number, b: number) => number> = {
    add: (a, b) => Number(BigInt.asIntN(32, BigInt(a) + BigInt(b))),
    sub: (a, b) => Number(BigInt.asIntN(32, BigInt(a) - BigInt(b))),
    mul: (a, b) => Number(BigInt.asIntN(32, BigInt(a) * BigInt(b))),
    // Truncation toward zero written with floor on magnitudes.
    div: (a, b) => (a < 0 !== b < 0 ? -1 : 1) * Math.floor(Math.abs(a) / Math.abs(b)),
    maximum: (a, b) => (a >= b ? a : b),
    minimum: (a, b) => (a <= b ? a : b),
  };

  for (const [name, ref] of Object.entries(exact)) {
    for (const dtype of FLOAT_DTYPES) {
      it(`${name} ${dtype}: broadcast shape and every element match the reference exactly`, () => {
        fc.assert(
          fc.property(arbBinary(dtype), ([x, y]) => {
            checkBinary(run1(name, { x, y }), x, y, dtype, ref);
          }),
        );
      });
    }
    it(`${name} int32: broadcast shape and every element match a BigInt reference`, () => {
      fc.assert(
        fc.property(arbBinary('int32', 1e8), ([x, y0]) => {
          // Division by zero is an error case, tested separately.
          const y = name === 'div' ? { ...y0, data: y0.data.map((v) => (v === 0 ? 3 : v)) } : y0;
          checkBinary(run1(name, { x, y }), x, y, 'int32', intRef[name]!);
        }),
      );
    });
  }

  it('pow fp32/fp16 matches exp(y ln x) for x > 0 (rel 1e-5 fp32, 2e-3 fp16)', () => {
    for (const dtype of FLOAT_DTYPES) {
      fc.assert(
        fc.property(arbBinary(dtype), ([x0, y]) => {
          const x = { ...x0, data: x0.data.map((v) => toStorage(Math.abs(v) + 0.25, dtype)) };
          checkBinary(run1('pow', { x, y }), x, y, dtype, (a, b) => Math.exp(b * Math.log(a)), dtype === 'fp32' ? 1e-5 : 2e-3, 1e-6);
        }),
      );
    }
  });

  it('pow int32 matches a BigInt power (wrapping) for exponents >= 0', () => {
    fc.assert(
      fc.property(arbBinary('int32', 4), ([x, y0]) => {
        const y = { ...y0, data: y0.data.map((v) => Math.abs(v) * 3) };
        checkBinary(run1('pow', { x, y }), x, y, 'int32', (a, b) => Number(BigInt.asIntN(32, BigInt(a) ** BigInt(b))));
      }),
    );
  });

  it('pow: documented special cases', () => {
    const p = (dtype: DType, a: number, b: number): number => run1('pow', { x: scalar(dtype, a), y: scalar(dtype, b) }).data[0]!;
    expect(p('fp32', -2, 3)).toBe(-8);
    expect(p('fp32', -2, 0.5)).toBeNaN();
    expect(p('fp32', 1, NaN)).toBe(1);
    expect(p('fp32', 0, -1)).toBe(Infinity);
    expect(p('int32', 2, 31)).toBe(-(2 ** 31));
    expect(p('int32', 3, 40)).toBe(Number(BigInt.asIntN(32, 3n ** 40n)));
    expect(p('int32', 2, -1)).toBe(0);
    expect(p('int32', -1, -3)).toBe(-1);
    expect(p('int32', 1, -5)).toBe(1);
    expect(errorCode(() => p('int32', 0, -1))).toBe('E_INTERPRET');
  });

  it('int32 wraps and truncates as documented', () => {
    const b = (kind: string, a: number, c: number): number => run1(kind, { x: scalar('int32', a), y: scalar('int32', c) }).data[0]!;
    expect(b('add', 2 ** 31 - 1, 1)).toBe(-(2 ** 31));
    expect(b('sub', -(2 ** 31), 1)).toBe(2 ** 31 - 1);
    expect(b('mul', 65536, 65536)).toBe(0);
    expect(b('mul', 2 ** 31 - 1, 3)).toBe(2 ** 31 - 3);
    expect(b('div', -7, 2)).toBe(-3);
    expect(b('div', 7, -2)).toBe(-3);
    expect(b('div', -7, -2)).toBe(3);
    expect(b('div', -(2 ** 31), -1)).toBe(-(2 ** 31));
    expect(errorCode(() => b('div', 5, 0))).toBe('E_INTERPRET');
  });

  it('float division by zero follows IEEE 754', () => {
    const out = run1('div', { x: tensor('fp32', [3], [1, -1, 0]), y: scalar('fp32', 0) });
    expect(out.data[0]).toBe(Infinity);
    expect(out.data[1]).toBe(-Infinity);
    expect(out.data[2]).toBeNaN();
  });

  it('add and mul commute, sub(x, x) = 0, maximum >= minimum', () => {
    fc.assert(
      fc.property(fc.constantFrom(...NUMERIC_DTYPES).chain((d) => arbBinary(d)), ([x, y]) => {
        for (const k of ['add', 'mul', 'maximum', 'minimum']) expect(Array.from(run1(k, { x, y }).data)).toEqual(Array.from(run1(k, { x: y, y: x }).data));
        expect(Array.from(run1('sub', { x, y: x }).data).every((v) => v === 0)).toBe(true);
        const mx = run1('maximum', { x, y }).data;
        const mn = run1('minimum', { x, y }).data;
        expect(mx.every((v, i) => v >= mn[i]!)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('maximum/minimum propagate NaN', () => {
    const x = tensor('fp32', [2], [NaN, 1]);
    const y = tensor('fp32', [2], [1, NaN]);
    for (const k of ['maximum', 'minimum']) expect(Array.from(run1(k, { x, y }).data).every(Number.isNaN)).toBe(true);
  });

  it('fp16 outputs are fp16-representable', () => {
    fc.assert(
      fc.property(fc.constantFrom('add', 'sub', 'mul', 'div', 'pow'), arbBinary('fp16', 50), (k, [x, y]) => {
        for (const v of run1(k, { x, y }).data) if (!Number.isNaN(v)) expect(roundToFp16(v)).toBe(v);
      }),
    );
  });

  it('returns fresh arrays, never an input array', () => {
    const x = tensor('fp32', [2], [1, 2]);
    const y = tensor('fp32', [2], [0, 0]);
    const out = run1('add', { x, y });
    expect(out.data).not.toBe(x.data);
    expect(out.data).not.toBe(y.data);
  });
});

describe('binary type inference and errors', () => {
  const BINARY = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'];
  const COMPARE = ['equal', 'not_equal', 'less', 'less_equal', 'greater', 'greater_equal'];

  it('infers the broadcast shape with symbolic dims', () => {
    for (const k of [...BINARY, ...COMPARE]) {
      const dt = COMPARE.includes(k) ? 'bool' : 'fp32';
      expect(infer1(k, { x: t('fp32', ['n', 1, 3]), y: t('fp32', [4, 1]) })).toEqual(t(dt, ['n', 4, 3]));
      expect(infer1(k, { x: t('fp32', ['n', 'c']), y: t('fp32', [1, 'c']) })).toEqual(t(dt, ['n', 'c']));
      expect(infer1(k, { x: t('fp32', []), y: t('fp32', ['s']) })).toEqual(t(dt, ['s']));
      expect(errorCode(() => infer1(k, { x: t('fp32', ['n']), y: t('fp32', ['m']) }))).toBe('E_SHAPE_MISMATCH');
      expect(errorCode(() => infer1(k, { x: t('fp32', ['n']), y: t('fp32', [3]) }))).toBe('E_SHAPE_MISMATCH');
    }
  });

  it('non-broadcastable shapes give E_SHAPE_MISMATCH naming both shapes', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BINARY, ...COMPARE), arbClashingPair, (k, [sa, sb]) => {
        const x = fillTensor('fp32', sa, 1);
        const y = fillTensor('fp32', sb, 2);
        let msg = '';
        try {
          run1(k, { x, y });
        } catch (e) {
          msg = String(e);
        }
        expect(msg).toContain('E_SHAPE_MISMATCH');
        expect(msg).toContain(`[${sa.join(',')}]`);
        expect(msg).toContain(`[${sb.join(',')}]`);
      }),
    );
  });

  it('bad dtypes, missing inputs and unknown attributes give coded errors', () => {
    fc.assert(
      fc.property(fc.constantFrom(...BINARY, ...COMPARE), fc.constantFrom<[DType, DType]>(['fp32', 'fp16'], ['fp16', 'int32'], ['int32', 'fp32']), (k, [da, db]) => {
        const x = fillTensor(da, [2, 3], 1);
        expect(errorCode(() => run1(k, { x, y: fillTensor(db, [2, 3], 2) }))).toBe('E_DTYPE_MISMATCH');
        expect(errorCode(() => run1(k, { x: fillTensor('bool', [2], 1), y: fillTensor('bool', [2], 1) }))).toBe('E_DTYPE_MISMATCH');
        expect(errorCode(() => run1(k, { x: fillTensor('int8', [2], 1), y: fillTensor('int8', [2], 1) }))).toBe('E_DTYPE_MISMATCH');
        expect(errorCode(() => run1(k, { x }))).toBe('E_INPUT');
        expect(errorCode(() => run1(k, { x, y: x, z: x }))).toBe('E_INPUT');
        expect(errorCode(() => run1(k, { x, y: x }, { alpha: 1 }))).toBe('E_ATTR');
      }),
      { numRuns: 30 },
    );
  });
});

describe('comparisons', () => {
  const REF: Record<string, (a: number, b: number) => boolean> = {
    equal: (a, b) => a === b,
    not_equal: (a, b) => a !== b,
    less: (a, b) => a < b,
    less_equal: (a, b) => a <= b,
    greater: (a, b) => a > b,
    greater_equal: (a, b) => a >= b,
  };
  for (const [name, ref] of Object.entries(REF)) {
    it(`${name} matches the JS operator elementwise with broadcasting (all numeric dtypes)`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...NUMERIC_DTYPES), arbBinary('fp32'), fc.integer({ min: 1, max: 1e9 }), (dtype, [x0, y0], seed) => {
          // Small integer-valued ranges so equal elements actually occur.
          const x = fillTensor(dtype, x0.shape as number[], seed, 1);
          const y = fillTensor(dtype, y0.shape as number[], seed + 1, 1);
          const q = (v: number): number => (dtype === 'int32' ? v : Math.round(v * 2) / 2);
          const xq = { ...x, data: x.data.map(q) };
          const yq = { ...y, data: y.data.map(q) };
          checkBinary(run1(name, { x: xq, y: yq }), xq, yq, 'bool', (a, b) => (ref(a, b) ? 1 : 0));
        }),
      );
    });
  }

  it('NaN compares unequal to everything', () => {
    const x = tensor('fp32', [1], [NaN]);
    for (const [name, ref] of Object.entries(REF)) expect(run1(name, { x, y: x }).data[0]).toBe(ref(NaN, NaN) ? 1 : 0);
    expect(run1('not_equal', { x, y: x }).data[0]).toBe(1);
  });
});

describe('unary ops', () => {
  /** Naive references, written independently of the kernels where a different formula exists. */
  const REF: Record<string, { dtypes: DType[]; ref: (v: number) => number; domain?: (v: number) => number; rel32: number; rel16: number }> = {
    neg: { dtypes: NUMERIC_DTYPES, ref: (v) => 0 - v, rel32: 0, rel16: 0 },
    abs: { dtypes: NUMERIC_DTYPES, ref: (v) => (v < 0 ? -v : v), rel32: 0, rel16: 0 },
    // Series for e^v (|v| <= 3 here), not Math.exp.
    exp: {
      dtypes: FLOAT_DTYPES,
      ref: (v) => {
        let s = 1;
        let term = 1;
        for (let n = 1; n < 60; n++) s += term *= v / n;
        return s;
      },
      rel32: 2e-7,
      rel16: 1e-3,
    },
    // ln via atanh series: ln(v) = 2 atanh((v - 1) / (v + 1)).
    log: {
      dtypes: FLOAT_DTYPES,
      domain: (v) => Math.abs(v) + 0.05,
      ref: (v) => {
        const z = (v - 1) / (v + 1);
        let s = 0;
        let p = z;
        for (let n = 0; n < 400; n++, p *= z * z) s += p / (2 * n + 1);
        return 2 * s;
      },
      rel32: 2e-7,
      rel16: 1e-3,
    },
    sqrt: { dtypes: FLOAT_DTYPES, domain: (v) => Math.abs(v), ref: (v) => v ** 0.5, rel32: 2e-7, rel16: 1e-3 },
    rsqrt: { dtypes: FLOAT_DTYPES, domain: (v) => Math.abs(v) + 0.01, ref: (v) => (v + 1e-12) ** -0.5, rel32: 2e-7, rel16: 1e-3 },
    tanh: { dtypes: FLOAT_DTYPES, ref: (v) => (Math.exp(2 * v) - 1) / (Math.exp(2 * v) + 1), rel32: 2e-7, rel16: 1e-3 },
  };

  for (const [name, spec] of Object.entries(REF)) {
    for (const dtype of spec.dtypes) {
      it(`${name} ${dtype}: same shape, every element vs an independent reference`, () => {
        const rel = dtype === 'fp16' ? spec.rel16 : spec.rel32;
        fc.assert(
          fc.property(arbTensor(dtype, arbShape(0, 4, 5), dtype === 'int32' ? 1e8 : 3), (x0) => {
            const x = spec.domain ? { ...x0, data: x0.data.map((v) => toStorage(spec.domain!(v), dtype)) } : x0;
            const out = run1(name, { x });
            expect(out.shape).toEqual(x.shape);
            expect(out.dtype).toBe(dtype);
            for (let i = 0; i < out.data.length; i++) {
              const want = toStorage(spec.ref(x.data[i]!), dtype);
              if (!close(out.data[i]!, want, rel, 1e-7)) expect.fail(`${name}(${x.data[i]}) = ${out.data[i]}, want ${want}`);
              if (dtype === 'fp16') expect(roundToFp16(out.data[i]!)).toBe(out.data[i]);
            }
          }),
          { numRuns: 60 },
        );
      });
    }
  }

  it('epsilon attributes: log(x + eps), rsqrt 1/sqrt(x + eps)', () => {
    const zero = scalar('fp32', 0);
    expect(run1('log', { x: zero }).data[0]).toBeCloseTo(Math.fround(Math.log(1e-45)), 4);
    expect(run1('log', { x: zero }, { epsilon: 0 }).data[0]).toBe(-Infinity);
    expect(run1('log', { x: scalar('fp32', 2) }, { epsilon: 1 }).data[0]).toBe(Math.fround(Math.log(3)));
    expect(run1('rsqrt', { x: zero }).data[0]).toBe(Math.fround(1e6));
    expect(run1('rsqrt', { x: scalar('fp32', 3) }, { epsilon: 1 }).data[0]).toBe(0.5);
    expect(run1('sqrt', { x: scalar('fp32', -1) }).data[0]).toBeNaN();
  });

  it('int32 neg/abs wrap at -2^31', () => {
    const m = scalar('int32', -(2 ** 31));
    expect(run1('neg', { x: m }).data[0]).toBe(-(2 ** 31));
    expect(run1('abs', { x: m }).data[0]).toBe(-(2 ** 31));
  });

  it('bad dtypes, attributes and inputs give coded errors', () => {
    const x = fillTensor('fp32', [2, 2], 1);
    for (const k of ['exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'erf']) expect(errorCode(() => run1(k, { x: fillTensor('int32', [2], 1) }))).toBe('E_DTYPE_MISMATCH');
    for (const k of ['neg', 'abs']) expect(errorCode(() => run1(k, { x: fillTensor('bool', [2], 1) }))).toBe('E_DTYPE_MISMATCH');
    for (const k of ['neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'erf']) {
      expect(errorCode(() => run1(k, {}))).toBe('E_INPUT');
      expect(errorCode(() => run1(k, { x, y: x }))).toBe('E_INPUT');
      expect(errorCode(() => run1(k, { x }, { axis: 1 }))).toBe('E_ATTR');
    }
    for (const k of ['log', 'rsqrt']) {
      expect(errorCode(() => run1(k, { x }, { epsilon: -1 }))).toBe('E_ATTR');
      expect(errorCode(() => run1(k, { x }, { epsilon: Infinity }))).toBe('E_ATTR');
      expect(errorCode(() => run1(k, { x }, { epsilon: 'small' }))).toBe('E_ATTR');
    }
  });

  it('infers same:x with symbolic dims', () => {
    for (const k of ['neg', 'abs', 'exp', 'log', 'sqrt', 'rsqrt', 'tanh', 'erf']) expect(infer1(k, { x: t('fp16', ['b', 3, 's']) })).toEqual(t('fp16', ['b', 3, 's']));
  });
});

describe('erf', () => {
  /** Independent reference: the alternating Taylor series (accurate to ~1e-13 for |x| <= 3). */
  const taylorErf = (x: number): number => {
    let s = 0;
    let p = x; // x^(2n+1) / n! with alternating sign
    for (let n = 0; n < 120; n++) {
      s += p / (2 * n + 1);
      p *= (-x * x) / (n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * s;
  };

  it('fp32 erf matches the Taylor series within 1e-7 and is odd', () => {
    fc.assert(
      fc.property(arbTensor('fp32', arbShape(1, 3, 6), 3), (x) => {
        const out = run1('erf', { x });
        const neg = run1('erf', { x: { ...x, data: x.data.map((v) => -v) } });
        for (let i = 0; i < x.data.length; i++) {
          expect(Math.abs(out.data[i]! - taylorErf(x.data[i]!))).toBeLessThan(1e-7);
          expect(neg.data[i]).toBe(-out.data[i]!);
        }
      }),
    );
  });

  it('saturates to +-1 and keeps NaN', () => {
    const out = run1('erf', { x: tensor('fp32', [5], [10, -10, Infinity, -Infinity, NaN]) });
    expect(Array.from(out.data).slice(0, 4)).toEqual([1, -1, 1, -1]);
    expect(out.data[4]).toBeNaN();
  });
});

describe('select', () => {
  /** Three broadcastable shapes: a common shape with axes set to 1 or dropped per operand. */
  const arbTriple = arbShape(0, 4, 4).chain((full) =>
    fc.tuple(...[0, 1, 2].map(() => fc.tuple(fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }), fc.integer({ min: 0, max: full.length })))).map((parts) =>
      parts.map(([ones, drop]) => full.map((d, i) => (ones[i] ? 1 : d)).slice(drop)),
    ),
  );

  it('matches a ternary over explicitly broadcast indices (fp32, fp16, int32, bool)', () => {
    fc.assert(
      fc.property(fc.constantFrom<DType>('fp32', 'fp16', 'int32', 'bool'), arbTriple, fc.integer({ min: 1, max: 1e9 }), (dtype, [sc, sa, sb], seed) => {
        const cond = fillTensor('bool', sc!, seed);
        const a = fillTensor(dtype, sa!, seed + 1);
        const b = fillTensor(dtype, sb!, seed + 2);
        const out = run1('select', { cond, a, b });
        const shape = naiveBroadcastShape(sc!, sa!, sb!)!;
        expect(out.shape).toEqual(shape);
        expect(out.dtype).toBe(dtype);
        for (let i = 0; i < count(shape); i++) {
          const idx = unravel(i, shape);
          expect(out.data[i]).toBe(readBroadcast(cond, idx) ? readBroadcast(a, idx) : readBroadcast(b, idx));
        }
      }),
    );
  });

  it('infers the three-way broadcast with symbols and rejects bad inputs', () => {
    expect(infer1('select', { cond: t('bool', ['n', 1, 1]), a: t('fp16', [1, 'k']), b: t('fp16', [3, 1]) })).toEqual(t('fp16', ['n', 3, 'k']));
    expect(errorCode(() => infer1('select', { cond: t('fp32', [2]), a: t('fp32', [2]), b: t('fp32', [2]) }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => infer1('select', { cond: t('bool', [2]), a: t('fp32', [2]), b: t('fp16', [2]) }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => infer1('select', { cond: t('bool', [2]), a: t('int8', [2]), b: t('int8', [2]) }))).toBe('E_DTYPE_MISMATCH');
    expect(errorCode(() => infer1('select', { cond: t('bool', [3]), a: t('fp32', [2]), b: t('fp32', [2]) }))).toBe('E_SHAPE_MISMATCH');
    expect(errorCode(() => infer1('select', { cond: t('bool', [2]), a: t('fp32', [2]) }))).toBe('E_INPUT');
    expect(errorCode(() => infer1('select', { cond: t('bool', [2]), a: t('fp32', [2]), b: t('fp32', [2]) }, { axis: 0 }))).toBe('E_ATTR');
  });
});

describe('cast', () => {
  const TARGETS: DType[] = ['fp32', 'fp16', 'int32', 'int16', 'int8', 'uint8', 'bool'];
  const RANGE: Partial<Record<DType, [number, number]>> = { int32: [-(2 ** 31), 2 ** 31 - 1], int16: [-32768, 32767], int8: [-128, 127], uint8: [0, 255] };
  /** numpy astype reference: truncation toward zero written with floor; ints wrap by modulo. */
  const ref = (v: number, from: DType, to: DType): number => {
    if (to === 'bool') return v !== 0 ? 1 : 0;
    if (to === 'fp32') return Math.fround(v);
    if (to === 'fp16') return roundToFp16(v);
    const [lo, hi] = RANGE[to]!;
    const tr = from === 'fp32' || from === 'fp16' ? (v < 0 ? -Math.floor(-v) : Math.floor(v)) : v;
    const span = hi - lo + 1;
    return ((((tr - lo) % span) + span) % span) + lo;
  };

  it('every source/target pair matches numpy astype on in-range values', () => {
    fc.assert(
      fc.property(fc.constantFrom<DType>('fp32', 'fp16', 'int32', 'int16', 'int8', 'uint8', 'bool'), fc.constantFrom(...TARGETS), arbShape(0, 3, 5), fc.integer({ min: 1, max: 1e9 }), (from, to, shape, seed) => {
        // Floats within [-100, 100] fit every integer target except uint8 for negatives.
        let x = fillTensor(from, shape, seed, from === 'int32' ? 1e5 : 100);
        if (to === 'uint8' && (from === 'fp32' || from === 'fp16')) x = { ...x, data: x.data.map((v) => Math.abs(v)) };
        const out = run1('cast', { x }, { dtype: to });
        expect(out.dtype).toBe(to);
        expect(out.shape).toEqual(shape);
        x.data.forEach((v, i) => expect(out.data[i]).toBe(ref(v, from, to)));
      }),
    );
  });

  it('round trips: int -> fp32 -> int, fp16 -> fp32 -> fp16, bool -> int32 -> bool, int8 -> int32 -> int8', () => {
    fc.assert(
      fc.property(fc.constantFrom<[DType, DType]>(['int32', 'fp32'], ['int16', 'fp32'], ['int8', 'fp16'], ['uint8', 'fp16'], ['fp16', 'fp32'], ['bool', 'int32'], ['int8', 'int32'], ['uint8', 'int16']), arbShape(0, 3, 5), fc.integer({ min: 1, max: 1e9 }), ([from, via], shape, seed) => {
        const x = fillTensor(from, shape, seed, 1000);
        const back = run1('cast', { x: run1('cast', { x }, { dtype: via }) }, { dtype: from });
        expect(Array.from(back.data)).toEqual(Array.from(x.data));
      }),
    );
  });

  it('float -> int out of range, NaN or infinite is E_INTERPRET; ints wrap', () => {
    for (const [v, to] of [[300, 'int8'], [-1, 'uint8'], [NaN, 'int32'], [Infinity, 'int16'], [2 ** 31, 'int32'], [-32769, 'int16']] as const) {
      expect(errorCode(() => run1('cast', { x: tensor('fp32', [2], [0, v]) }, { dtype: to }))).toBe('E_INTERPRET');
    }
    expect(run1('cast', { x: scalar('fp32', -0.9) }, { dtype: 'uint8' }).data[0]).toBe(0);
    expect(run1('cast', { x: scalar('fp32', 127.9) }, { dtype: 'int8' }).data[0]).toBe(127);
    expect(Array.from(run1('cast', { x: tensor('int32', [3], [200, 256, -1]) }, { dtype: 'int8' }).data)).toEqual([-56, 0, -1]);
    expect(Array.from(run1('cast', { x: tensor('int32', [3], [200, 256, -1]) }, { dtype: 'uint8' }).data)).toEqual([200, 0, 255]);
    expect(run1('cast', { x: scalar('fp32', NaN) }, { dtype: 'bool' }).data[0]).toBe(1);
    expect(run1('cast', { x: scalar('fp32', 70000) }, { dtype: 'fp16' }).data[0]).toBe(Infinity);
  });

  it('infers attr-dtype with symbolic dims; bad targets give E_ATTR', () => {
    expect(infer1('cast', { x: t('fp32', ['n', 2]) }, { dtype: 'int8' })).toEqual(t('int8', ['n', 2]));
    expect(errorCode(() => infer1('cast', { x: t('fp32', [2]) }, { dtype: 'int4' }))).toBe('E_ATTR');
    expect(errorCode(() => infer1('cast', { x: t('fp32', [2]) }, { dtype: 'float64' }))).toBe('E_ATTR');
    expect(errorCode(() => infer1('cast', { x: t('fp32', [2]) }))).toBe('E_ATTR');
    expect(errorCode(() => infer1('cast', { x: t('uint4', [2]) }, { dtype: 'fp32' }))).toBe('E_DTYPE_MISMATCH');
  });
});
