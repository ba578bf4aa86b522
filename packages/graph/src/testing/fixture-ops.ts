/**
 * Small test-only ops (prefixed `test_`) so IR-level tests (verifier, text form, utilities) do
 * not depend on which real ops are registered. Test-only: not exported from the package entry.
 * @module
 */
import { FLOATS } from '../dtype.js';
import { graphError } from '../errors.js';
import type { OpDef } from '../ops/def.js';
import { hasOp, registerOps } from '../ops/registry.js';
import { type Dim, formatShape, numel, stridesOf, tryBroadcast } from '../shape.js';
import { type Tensor, allocData } from '../tensor.js';
import { attrInt, attrNum, axisOf, inTensor, inType, listTensor, listType } from '../ops/util.js';
import { BUILTIN_PROPOSERS, DEFAULT_KINDS, type RandomProgramOptions, binaryProposer } from './random-graph.js';

/** `test_add(x, y)`: broadcasting sum. */
const testAdd: OpDef = {
  name: 'test_add',
  family: 'test',
  traits: { layout: 'fixed', commutative: false },
  doc: 'Broadcasting sum x + y (test fixture).',
  inputs: [
    { name: 'x', dtypes: FLOATS, doc: 'left' },
    { name: 'y', dtypes: FLOATS, doc: 'right' },
  ],
  attrs: [],
  outputs: [{ name: 'z', typing: 'broadcast' }],
  infer(inputs) {
    const x = inType(inputs, 'x');
    const y = inType(inputs, 'y');
    if (x.dtype !== y.dtype) throw graphError('E_DTYPE_MISMATCH', `x is ${x.dtype} but y is ${y.dtype}`);
    const s = tryBroadcast(x.shape, y.shape);
    if (!s) throw graphError('E_SHAPE_MISMATCH', `shapes ${formatShape(x.shape)} and ${formatShape(y.shape)} do not broadcast`);
    return [{ dtype: x.dtype, shape: s }];
  },
  kernel(inputs, _attrs, ctx) {
    const x = inTensor(inputs, 'x');
    const y = inTensor(inputs, 'y');
    const out = ctx.outTypes[0]!;
    const shape = out.shape as readonly number[];
    const n = numel(shape);
    const data = allocData(out.dtype, n);
    const st = stridesOf(shape);
    const index = (t: Tensor, flat: number): number => {
      let off = 0;
      let tst = 1;
      for (let k = t.shape.length - 1; k >= 0; k--) {
        const axis = shape.length - t.shape.length + k;
        const i = Math.floor(flat / st[axis]!) % shape[axis]!;
        if (t.shape[k] !== 1) off += i * tst;
        tst *= t.shape[k]!;
      }
      return off;
    };
    for (let i = 0; i < n; i++) data[i] = x.data[index(x, i)]! + y.data[index(y, i)]!;
    return [{ dtype: out.dtype, shape, data }];
  },
};

/** `test_relu(x)`. */
const testRelu: OpDef = {
  name: 'test_relu',
  family: 'test',
  traits: { layout: 'fixed', commutative: false },
  doc: 'max(x, 0) (test fixture).',
  inputs: [{ name: 'x', dtypes: FLOATS, doc: 'input' }],
  attrs: [],
  outputs: [{ name: 'y', typing: 'same:x' }],
  infer: (inputs) => [inType(inputs, 'x')],
  kernel(inputs) {
    const x = inTensor(inputs, 'x');
    return [{ dtype: x.dtype, shape: x.shape, data: (x.data as Float32Array).map((v) => (v > 0 ? v : 0)) }];
  },
};

/** `test_scale(x) {factor, bias}`: x * factor + bias, float attributes with defaults. */
const testScale: OpDef = {
  name: 'test_scale',
  family: 'test',
  traits: { layout: 'fixed', commutative: false },
  doc: 'x * factor + bias (test fixture).',
  inputs: [{ name: 'x', dtypes: FLOATS, doc: 'input' }],
  attrs: [
    { name: 'factor', kind: 'float', default: 1, doc: 'multiplier' },
    { name: 'bias', kind: 'float', default: 0, doc: 'offset' },
  ],
  outputs: [{ name: 'y', typing: 'same:x' }],
  infer: (inputs) => [inType(inputs, 'x')],
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x');
    const f = attrNum(attrs, 'factor');
    const b = attrNum(attrs, 'bias');
    return [{ dtype: x.dtype, shape: x.shape, data: (x.data as Float32Array).map((v) => v * f + b) }];
  },
};

function splitShape(shape: readonly Dim[], axis: number, n: number): Dim[] {
  const d = shape[axis]!;
  if (typeof d !== 'number' || d % n !== 0) throw graphError('E_SHAPE_MISMATCH', `dimension ${d} of axis ${axis} is not divisible by ${n}`);
  return shape.map((x, i) => (i === axis ? d / n : x));
}

/** `test_split(x) {axis, num_splits}`: equal parts along an axis; several results. */
const testSplit: OpDef = {
  name: 'test_split',
  family: 'test',
  traits: { layout: 'fixed', commutative: false },
  doc: 'Splits x into num_splits equal parts along axis (test fixture).',
  inputs: [{ name: 'x', dtypes: FLOATS, doc: 'input' }],
  attrs: [
    { name: 'axis', kind: 'int', default: 0, doc: 'axis' },
    { name: 'num_splits', kind: 'int', doc: 'number of parts' },
  ],
  outputs: [{ name: 'parts', typing: 'dynamic' }],
  variadicOutputs: true,
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    const n = attrInt(attrs, 'num_splits');
    if (n < 1) throw graphError('E_ATTR', `num_splits must be >= 1, got ${n}`);
    const axis = axisOf(attrInt(attrs, 'axis'), x.shape.length);
    const s = splitShape(x.shape, axis, n);
    return Array.from({ length: n }, () => ({ dtype: x.dtype, shape: s }));
  },
  kernel(inputs, attrs, ctx) {
    const x = inTensor(inputs, 'x');
    const n = attrInt(attrs, 'num_splits');
    const axis = axisOf(attrInt(attrs, 'axis'), x.shape.length);
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const part = x.shape[axis]! / n;
    return ctx.outTypes.map((t, k) => {
      const data = allocData(x.dtype, outer * part * inner);
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < part * inner; j++) data[o * part * inner + j] = x.data[(o * x.shape[axis]! + k * part) * inner + j]!;
      }
      return { dtype: x.dtype, shape: t.shape as readonly number[], data };
    });
  },
};

/** `test_concat(values=(...)) {axis}`: variadic input. */
const testConcat: OpDef = {
  name: 'test_concat',
  family: 'test',
  traits: { layout: 'fixed', commutative: false },
  doc: 'Concatenates values along axis (test fixture).',
  inputs: [{ name: 'values', dtypes: FLOATS, variadic: true, doc: 'tensors' }],
  attrs: [{ name: 'axis', kind: 'int', doc: 'axis' }],
  outputs: [{ name: 'y', typing: 'dynamic' }],
  infer(inputs, attrs) {
    const vs = listType(inputs, 'values');
    const first = vs[0]!;
    const axis = axisOf(attrInt(attrs, 'axis'), first.shape.length);
    let total = 0;
    for (const v of vs) {
      if (v.dtype !== first.dtype || v.shape.length !== first.shape.length || v.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
        throw graphError('E_SHAPE_MISMATCH', `${v.dtype}${formatShape(v.shape)} does not match ${first.dtype}${formatShape(first.shape)} off axis ${axis}`);
      }
      const d = v.shape[axis]!;
      if (typeof d !== 'number') throw graphError('E_SHAPE_INVALID', 'concat axis must be static');
      total += d;
    }
    return [{ dtype: first.dtype, shape: first.shape.map((d, i) => (i === axis ? total : d)) }];
  },
  kernel(inputs, attrs, ctx) {
    const vs = listTensor(inputs, 'values');
    const out = ctx.outTypes[0]!;
    const shape = out.shape as readonly number[];
    const axis = axisOf(attrInt(attrs, 'axis'), shape.length);
    const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const data = allocData(out.dtype, numel(shape));
    let p = 0;
    for (let o = 0; o < outer; o++) {
      for (const v of vs) {
        const chunk = v.data.length / outer;
        for (let j = 0; j < chunk; j++) data[p++] = v.data[o * chunk + j]!;
      }
    }
    return [{ dtype: out.dtype, shape, data }];
  },
};

/** `test_attrs(x)`: identity with one attribute of every kind, to exercise printing/parsing. */
const testAttrs: OpDef = {
  name: 'test_attrs',
  family: 'test',
  traits: { layout: 'fixed', commutative: false },
  doc: 'Identity carrying one attribute of each kind (test fixture).',
  inputs: [
    { name: 'x', dtypes: FLOATS, doc: 'input' },
    { name: 'gate', dtypes: FLOATS, optional: true, doc: 'optional input' },
  ],
  attrs: [
    { name: 'i', kind: 'int', default: 0, doc: 'int' },
    { name: 'f', kind: 'float', default: 0.5, doc: 'float' },
    { name: 'b', kind: 'bool', default: false, doc: 'bool' },
    { name: 's', kind: 'string', default: 'none', oneOf: ['none', 'same', 'valid'], doc: 'string' },
    { name: 'free', kind: 'string', optional: true, doc: 'free string' },
    { name: 'dt', kind: 'dtype', default: 'fp32', doc: 'dtype' },
    { name: 'is', kind: 'ints', default: [1, 1], doc: 'ints' },
    { name: 'fs', kind: 'floats', optional: true, doc: 'floats' },
    { name: 'ss', kind: 'strings', default: [], doc: 'strings' },
    { name: 'ds', kind: 'dims', optional: true, doc: 'dims' },
  ],
  outputs: [{ name: 'y', typing: 'same:x' }],
  infer: (inputs) => [inType(inputs, 'x')],
  kernel: (inputs) => [inTensor(inputs, 'x')],
};

/** `test_reshape(x) {shape}`: a `dims` attribute that may name symbols of the input. */
const testReshape: OpDef = {
  name: 'test_reshape',
  family: 'test',
  traits: { layout: 'fixed', commutative: false },
  doc: 'Reshape to a static or symbolic shape with the same element count (test fixture).',
  inputs: [{ name: 'x', dtypes: FLOATS, doc: 'input' }],
  attrs: [{ name: 'shape', kind: 'dims', doc: 'new shape' }],
  outputs: [{ name: 'y', typing: 'dynamic' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    const shape = attrs['shape'] as readonly Dim[];
    const count = (s: readonly Dim[]): [number, string[]] => [s.reduce<number>((a, d) => (typeof d === 'number' ? a * d : a), 1), s.filter((d): d is string => typeof d === 'string').sort()];
    const [na, sa] = count(x.shape);
    const [nb, sb] = count(shape);
    if (na !== nb || sa.join() !== sb.join()) {
      throw graphError('E_SHAPE_MISMATCH', `cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}`);
    }
    return [{ dtype: x.dtype, shape: [...shape] }];
  },
  kernel(inputs, _attrs, ctx) {
    const x = inTensor(inputs, 'x');
    return [{ dtype: x.dtype, shape: ctx.outTypes[0]!.shape as readonly number[], data: x.data }];
  },
};

/** Every fixture op. */
export const fixtureOps: readonly OpDef[] = [testAdd, testRelu, testScale, testSplit, testConcat, testAttrs, testReshape];

/** Registers the fixture ops once per process (safe to call from several test files). */
export function registerFixtureOps(): void {
  for (const d of fixtureOps) if (!hasOp(d.name)) registerOps(d);
}

/** The fixture kinds drawn by random programs in IR tests (plus `const`). */
export const FIXTURE_KINDS: readonly string[] = ['test_add', 'test_relu', 'test_scale', 'test_split', 'test_concat', 'const'];

/** Random-program options over the fixture ops, with proposers for those needing attributes. */
export const FIXTURE_PROGRAM_OPTIONS: RandomProgramOptions = {
  kinds: FIXTURE_KINDS,
  proposers: { test_add: binaryProposer, test_split: BUILTIN_PROPOSERS['split']!, test_concat: BUILTIN_PROPOSERS['concat']! },
};

/** Options drawing from the default kinds that are registered and the fixture ops. */
export const MIXED_PROGRAM_OPTIONS: RandomProgramOptions = {
  ...FIXTURE_PROGRAM_OPTIONS,
  kinds: [...DEFAULT_KINDS, ...FIXTURE_KINDS.filter((k) => k !== 'const')],
};
