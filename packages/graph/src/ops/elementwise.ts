/**
 * Elementwise ops: binary arithmetic with numpy broadcasting, unary math, comparisons, `select`
 * and `cast`. Names of inputs and attributes follow Core ML MIL; float `div` lowers to MIL
 * `real_div`, int32 `div` to an exact composition around MIL `floor_div` (Core ML leaves int32
 * `real_div` undefined).
 *
 * Integer semantics (int32): results wrap modulo 2^32 like int32 storage (add, sub, mul, neg,
 * abs, pow); `div` truncates toward zero; division by zero is an `E_INTERPRET` error at run time.
 * @module
 */
import { type DType, ANY_TENSOR, FLOATS, FLOATS_INT32, FLOATS_INT32_BOOL, dtypeInfo, isFloat } from '../dtype.js';
import { graphError } from '../errors.js';
import type { Attrs } from '../ir/types.js';
import { numel } from '../shape.js';
import { type Tensor, allocData } from '../tensor.js';
import type { AttrSpec, OpDef } from './def.js';
import { broadcastIndex, inferBroadcast, staticBroadcast } from './kernels/broadcast-index.js';
import { erf } from './kernels/erf.js';
import { expectSameDtype, nonNegativeAttr } from './kernels/infer-checks.js';
import { attrNum, attrStr, inTensor, inType } from './util.js';

const FAMILY = 'elementwise';

type Scalar2 = (a: number, b: number) => number;

/**
 * out[i] = f(x[bx(i)], y[by(i)]) over the broadcast shape, into a fresh array of `outDtype`.
 * Integer and bool storage converts the returned numbers (int32 wraps).
 */
function binaryKernel(x: Tensor, y: Tensor, outDtype: DType, f: Scalar2): Tensor {
  const shape = staticBroadcast([x.shape, y.shape]);
  const n = numel(shape);
  const out = allocData(outDtype, n);
  const bx = broadcastIndex(x.shape, shape);
  const by = broadcastIndex(y.shape, shape);
  const xd = x.data;
  const yd = y.data;
  for (let i = 0; i < n; i++) out[i] = f(xd[bx ? bx[i]! : i]!, yd[by ? by[i]! : i]!);
  return { dtype: outDtype, shape, data: out };
}

function intDivByZero(a: number): never {
  throw graphError('E_INTERPRET', `int32 division by zero (${a} / 0)`);
}

/** int32 power by squaring with wrap-around; a negative exponent truncates the real result toward zero. */
function intPow(base: number, exp: number): number {
  if (exp < 0) {
    if (base === 0) throw graphError('E_INTERPRET', `int32 pow: 0 to the negative power ${exp} divides by zero`);
    if (base === 1) return 1;
    if (base === -1) return exp % 2 === 0 ? 1 : -1;
    return 0; // |base| >= 2: |base^exp| < 1 truncates to 0
  }
  let r = 1;
  let b = base | 0;
  let e = exp;
  while (e > 0) {
    if (e & 1) r = Math.imul(r, b);
    b = Math.imul(b, b);
    e >>>= 1;
  }
  return r;
}

/** IEEE pow: JS Math.pow differs from C's pow for base 1 and NaN/infinite exponents of -1. */
function floatPow(a: number, b: number): number {
  if (a === 1) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return Math.pow(a, b);
}

interface BinarySpec {
  readonly name: string;
  readonly doc: string;
  /** op(x, y) = op(y, x). */
  readonly commutative: boolean;
  readonly float: Scalar2;
  readonly int: Scalar2;
}

const BINARY: readonly BinarySpec[] = [
  {
    name: 'add',
    commutative: true,
    doc: 'Elementwise sum with numpy broadcasting: `output = x + y`. `x` and `y` have the same dtype (fp16, fp32 or int32); int32 wraps on overflow.',
    float: (a, b) => a + b,
    int: (a, b) => a + b,
  },
  {
    name: 'sub',
    commutative: false,
    doc: 'Elementwise difference with numpy broadcasting: `output = x - y`. `x` and `y` have the same dtype (fp16, fp32 or int32); int32 wraps on overflow.',
    float: (a, b) => a - b,
    int: (a, b) => a - b,
  },
  {
    name: 'mul',
    commutative: true,
    doc: 'Elementwise product with numpy broadcasting: `output = x * y`. `x` and `y` have the same dtype (fp16, fp32 or int32); int32 wraps on overflow.',
    float: (a, b) => a * b,
    int: (a, b) => Math.imul(a, b),
  },
  {
    name: 'div',
    commutative: false,
    doc: 'Elementwise quotient with numpy broadcasting: `output = x / y`. Floats follow IEEE 754 (x / 0 is +-inf or NaN; MIL `real_div`); int32 truncates toward zero (`trunc(x / y)`, so -7 / 2 = -3; exact in Core ML through MIL `floor_div` and `mod`, except the overflowing -2^31 / -1, which wraps here) and division by zero is an E_INTERPRET error.',
    float: (a, b) => a / b,
    int: (a, b) => (b === 0 ? intDivByZero(a) : Math.trunc(a / b)),
  },
  {
    name: 'pow',
    commutative: false,
    doc: 'Elementwise power with numpy broadcasting: `output = x ^ y` (C `pow` semantics for floats: a negative base with a non-integer exponent gives NaN). int32 computes the exact power modulo 2^32; a negative exponent gives the real result truncated toward zero (1, -1 or 0) and 0 to a negative power is an E_INTERPRET error.',
    float: floatPow,
    int: intPow,
  },
  {
    name: 'maximum',
    commutative: true,
    doc: 'Elementwise maximum with numpy broadcasting: `output = max(x, y)`; NaN in either input gives NaN.',
    float: (a, b) => Math.max(a, b),
    int: (a, b) => Math.max(a, b),
  },
  {
    name: 'minimum',
    commutative: true,
    doc: 'Elementwise minimum with numpy broadcasting: `output = min(x, y)`; NaN in either input gives NaN.',
    float: (a, b) => Math.min(a, b),
    int: (a, b) => Math.min(a, b),
  },
];

const X_DOC = 'Left operand.';
const Y_DOC = 'Right operand: same dtype as `x`, broadcasts with it.';

function binaryOp(s: BinarySpec): OpDef {
  return {
    name: s.name,
    family: FAMILY,
    traits: { layout: 'elementwise', commutative: s.commutative },
    doc: s.doc,
    inputs: [
      { name: 'x', dtypes: FLOATS_INT32, doc: X_DOC },
      { name: 'y', dtypes: FLOATS_INT32, doc: Y_DOC },
    ],
    attrs: [],
    outputs: [{ name: 'output', typing: 'broadcast' }],
    infer(inputs) {
      const x = inType(inputs, 'x');
      const y = inType(inputs, 'y');
      const dtype = expectSameDtype([['x', x], ['y', y]]);
      return [{ dtype, shape: inferBroadcast([['x', x.shape], ['y', y.shape]]) }];
    },
    kernel(inputs) {
      const x = inTensor(inputs, 'x');
      const y = inTensor(inputs, 'y');
      return [binaryKernel(x, y, x.dtype, isFloat(x.dtype) ? s.float : s.int)];
    },
  };
}

interface CompareSpec {
  readonly name: string;
  /** op(x, y) = op(y, x). */
  readonly commutative: boolean;
  readonly symbol: string;
  readonly f: (a: number, b: number) => boolean;
}

const COMPARE: readonly CompareSpec[] = [
  { name: 'equal', commutative: true, symbol: '==', f: (a, b) => a === b },
  { name: 'not_equal', commutative: true, symbol: '!=', f: (a, b) => a !== b },
  { name: 'less', commutative: false, symbol: '<', f: (a, b) => a < b },
  { name: 'less_equal', commutative: false, symbol: '<=', f: (a, b) => a <= b },
  { name: 'greater', commutative: false, symbol: '>', f: (a, b) => a > b },
  { name: 'greater_equal', commutative: false, symbol: '>=', f: (a, b) => a >= b },
];

function compareOp(s: CompareSpec): OpDef {
  return {
    name: s.name,
    family: FAMILY,
    traits: { layout: 'elementwise', commutative: s.commutative },
    doc: `Elementwise comparison with numpy broadcasting: \`output = x ${s.symbol} y\` as a bool tensor. \`x\` and \`y\` have the same dtype (fp16, fp32 or int32); comparisons with NaN follow IEEE 754 (only \`not_equal\` is true).`,
    inputs: [
      { name: 'x', dtypes: FLOATS_INT32, doc: X_DOC },
      { name: 'y', dtypes: FLOATS_INT32, doc: Y_DOC },
    ],
    attrs: [],
    outputs: [{ name: 'output', typing: 'bool-broadcast' }],
    infer(inputs) {
      const x = inType(inputs, 'x');
      const y = inType(inputs, 'y');
      expectSameDtype([['x', x], ['y', y]]);
      return [{ dtype: 'bool', shape: inferBroadcast([['x', x.shape], ['y', y.shape]]) }];
    },
    kernel(inputs) {
      const f = s.f;
      return [binaryKernel(inTensor(inputs, 'x'), inTensor(inputs, 'y'), 'bool', (a, b) => (f(a, b) ? 1 : 0))];
    },
  };
}

interface UnarySpec {
  readonly name: string;
  readonly doc: string;
  readonly dtypes: readonly DType[];
  readonly attrs?: readonly AttrSpec[];
  /** Builds the scalar function from the resolved attributes. */
  readonly make: (attrs: Attrs) => (v: number) => number;
}

const EPS_DOC = 'Added to `x` before the function, as MIL does, to keep it finite at 0.';

const UNARY: readonly UnarySpec[] = [
  { name: 'neg', doc: 'Elementwise negation: `output = -x`. int32 wraps (-(-2^31) = -2^31).', dtypes: FLOATS_INT32, make: () => (v) => -v },
  { name: 'abs', doc: 'Elementwise absolute value: `output = |x|`. int32 wraps (|-2^31| = -2^31, as numpy).', dtypes: FLOATS_INT32, make: () => Math.abs },
  { name: 'exp', doc: 'Elementwise natural exponential: `output = e^x`.', dtypes: FLOATS, make: () => Math.exp },
  {
    name: 'log',
    doc: 'Elementwise natural logarithm with MIL\'s epsilon: `output = ln(x + epsilon)`; negative arguments give NaN.',
    dtypes: FLOATS,
    attrs: [{ name: 'epsilon', kind: 'float', default: 1e-45, doc: EPS_DOC }],
    make: (attrs) => {
      const eps = attrNum(attrs, 'epsilon');
      return (v) => Math.log(v + eps);
    },
  },
  { name: 'sqrt', doc: 'Elementwise square root: `output = sqrt(x)`; negative arguments give NaN.', dtypes: FLOATS, make: () => Math.sqrt },
  {
    name: 'rsqrt',
    doc: 'Elementwise reciprocal square root with MIL\'s epsilon: `output = 1 / sqrt(x + epsilon)`.',
    dtypes: FLOATS,
    attrs: [{ name: 'epsilon', kind: 'float', default: 1e-12, doc: EPS_DOC }],
    make: (attrs) => {
      const eps = attrNum(attrs, 'epsilon');
      return (v) => 1 / Math.sqrt(v + eps);
    },
  },
  { name: 'tanh', doc: 'Elementwise hyperbolic tangent: `output = (e^x - e^-x) / (e^x + e^-x)`.', dtypes: FLOATS, make: () => Math.tanh },
  {
    name: 'erf',
    doc: 'Elementwise Gauss error function: `output = 2/sqrt(pi) * integral_0^x exp(-t^2) dt` (reference kernel accurate to 1e-12 before rounding to the output dtype).',
    dtypes: FLOATS,
    make: () => erf,
  },
];

function unaryOp(s: UnarySpec): OpDef {
  return {
    name: s.name,
    family: FAMILY,
    traits: { layout: 'elementwise', commutative: false },
    doc: s.doc,
    inputs: [{ name: 'x', dtypes: s.dtypes, doc: 'Input tensor.' }],
    attrs: s.attrs ?? [],
    outputs: [{ name: 'output', typing: 'same:x' }],
    infer(inputs, attrs) {
      const x = inType(inputs, 'x');
      if (attrs['epsilon'] !== undefined) nonNegativeAttr(attrNum(attrs, 'epsilon'), 'epsilon');
      return [{ dtype: x.dtype, shape: x.shape }];
    },
    kernel(inputs, attrs) {
      const x = inTensor(inputs, 'x');
      const f = s.make(attrs);
      const out = allocData(x.dtype, x.data.length);
      const xd = x.data;
      for (let i = 0; i < xd.length; i++) out[i] = f(xd[i]!);
      return [{ dtype: x.dtype, shape: [...x.shape], data: out }];
    },
  };
}

const selectOp: OpDef = {
  name: 'select',
  family: FAMILY,
  traits: { layout: 'elementwise', commutative: false },
  doc: 'Elementwise choice with numpy broadcasting of all three inputs: `output = cond ? a : b`. `a` and `b` have the same dtype (fp16, fp32, int32 or bool), which is the output dtype.',
  inputs: [
    { name: 'cond', dtypes: ['bool'], doc: 'Where true, take `a`; else `b`.' },
    { name: 'a', dtypes: FLOATS_INT32_BOOL, doc: 'Values where `cond` is true.' },
    { name: 'b', dtypes: FLOATS_INT32_BOOL, doc: 'Values where `cond` is false; same dtype as `a`.' },
  ],
  attrs: [],
  // The output has `a`'s dtype; its rank is the broadcast rank of all three inputs, which the
  // OutputTyping vocabulary cannot say (`broadcast` would take `cond`'s bool dtype).
  outputs: [{ name: 'output', typing: 'broadcast:a', doc: 'dtype of `a`, shape the broadcast of `cond`, `a` and `b`.' }],
  infer(inputs) {
    const cond = inType(inputs, 'cond');
    const a = inType(inputs, 'a');
    const b = inType(inputs, 'b');
    const dtype = expectSameDtype([['a', a], ['b', b]]);
    return [{ dtype, shape: inferBroadcast([['cond', cond.shape], ['a', a.shape], ['b', b.shape]]) }];
  },
  kernel(inputs) {
    const cond = inTensor(inputs, 'cond');
    const a = inTensor(inputs, 'a');
    const b = inTensor(inputs, 'b');
    const shape = staticBroadcast([cond.shape, a.shape, b.shape]);
    const n = numel(shape);
    const out = allocData(a.dtype, n);
    const bc = broadcastIndex(cond.shape, shape);
    const ba = broadcastIndex(a.shape, shape);
    const bb = broadcastIndex(b.shape, shape);
    for (let i = 0; i < n; i++) {
      out[i] = cond.data[bc ? bc[i]! : i] ? a.data[ba ? ba[i]! : i]! : b.data[bb ? bb[i]! : i]!;
    }
    return [{ dtype: a.dtype, shape, data: out }];
  },
};

/** Target dtypes of `cast` (MIL iOS17's set minus uint16, which the IR has no dtype for). */
export const CAST_TARGETS: readonly DType[] = ['fp32', 'fp16', 'int32', 'int16', 'int8', 'uint8', 'bool'];

/** Wraps an integer to the two's complement range of an integer dtype (C / numpy int casts). */
function wrapInt(v: number, to: DType): number {
  switch (to) {
    case 'int16':
      return (v << 16) >> 16;
    case 'int8':
      return (v << 24) >> 24;
    case 'uint8':
      return v & 0xff;
    default:
      return v | 0;
  }
}

const castOp: OpDef = {
  name: 'cast',
  family: FAMILY,
  traits: { layout: 'elementwise', commutative: false },
  doc: 'Converts `x` to `dtype` (numpy `astype` semantics): to a float type the value is rounded to it (fp16 overflows to inf); float to an integer type truncates toward zero and a NaN, infinite or out-of-range value is an E_INTERPRET error; integer to a narrower integer wraps (two\'s complement); bool gives 0 or 1; to bool is `x != 0` (NaN is true).',
  inputs: [{ name: 'x', dtypes: ANY_TENSOR, doc: 'Input tensor.' }],
  attrs: [{ name: 'dtype', kind: 'dtype', doc: `Target dtype: one of ${CAST_TARGETS.join(', ')}.` }],
  outputs: [{ name: 'output', typing: 'attr-dtype:dtype' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    const to = attrStr(attrs, 'dtype') as DType;
    if (!CAST_TARGETS.includes(to)) {
      throw graphError('E_ATTR', `cast attribute 'dtype' is ${to}; expected one of ${CAST_TARGETS.join(', ')}`);
    }
    return [{ dtype: to, shape: x.shape }];
  },
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x');
    const to = attrStr(attrs, 'dtype') as DType;
    const n = x.data.length;
    const out = allocData(to, n);
    const xd = x.data;
    const info = dtypeInfo(to);
    if (info.kind === 'float') {
      for (let i = 0; i < n; i++) out[i] = xd[i]!;
    } else if (info.kind === 'bool') {
      for (let i = 0; i < n; i++) out[i] = xd[i] !== 0 ? 1 : 0;
    } else if (isFloat(x.dtype)) {
      for (let i = 0; i < n; i++) {
        const t = Math.trunc(xd[i]!);
        if (!(t >= info.min && t <= info.max)) {
          throw graphError('E_INTERPRET', `cast ${x.dtype} -> ${to}: element ${i} is ${xd[i]}, outside ${to}'s range [${info.min}, ${info.max}] after truncation`, {
            details: { index: i },
          });
        }
        out[i] = t;
      }
    } else {
      for (let i = 0; i < n; i++) out[i] = wrapInt(xd[i]!, to);
    }
    return [{ dtype: to, shape: [...x.shape], data: out }];
  },
};

/** All elementwise op definitions. */
export const elementwiseOps: OpDef[] = [...BINARY.map(binaryOp), ...UNARY.map(unaryOp), ...COMPARE.map(compareOp), selectOp, castOp];
