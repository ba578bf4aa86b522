/**
 * Generators and masks: `band_part` (keeps a diagonal band, e.g. for causal masks), `range`
 * and `fill` (tensors computed from attributes alone).
 * @module
 */
import { type DType, FLOATS_INT32_BOOL, dtypeInfo } from '../dtype.js';
import { graphError } from '../errors.js';
import type { Attrs } from '../ir/types.js';
import { checkShape, formatShape, numel } from '../shape.js';
import { MAX_KERNEL_ELEMENTS, allocOutput } from './kernels/alloc-output.js';
import type { OpDef } from './def.js';
import { attrInt, attrInts, attrNum, attrStr, expectMinRank, inTensor, inType } from './util.js';


function bandLimits(attrs: Attrs): { lower: number; upper: number } {
  const lower = attrInt(attrs, 'lower'), upper = attrInt(attrs, 'upper');
  for (const [n, v] of [['lower', lower], ['upper', upper]] as const) {
    if (v < -1) throw graphError('E_ATTR', `band_part attribute '${n}' must be >= 0, or -1 to keep everything, got ${v}`);
  }
  return { lower, upper };
}

const bandPart: OpDef = {
  name: 'band_part',
  family: 'generate',
  traits: { layout: 'fixed', commutative: false },
  doc: 'Keeps a diagonal band of the last two axes and zeroes the rest: `out[..., i, j] = x[..., i, j]` when `(lower < 0 or i - j <= lower) and (upper < 0 or j - i <= upper)`, else 0. `lower = -1` / `upper = -1` keep the whole lower / upper triangle; `band_part(lower=-1, upper=0)` is the lower-triangular (causal) part.',
  inputs: [{ name: 'x', dtypes: FLOATS_INT32_BOOL, doc: 'Input, rank >= 2.' }],
  attrs: [
    { name: 'lower', kind: 'int', default: -1, doc: 'Sub-diagonals kept; -1 = all.' },
    { name: 'upper', kind: 'int', default: -1, doc: 'Super-diagonals kept; -1 = all.' },
  ],
  outputs: [{ name: 'output', typing: 'same:x', doc: 'x outside the band zeroed.' }],
  infer(inputs, attrs) {
    const x = inType(inputs, 'x');
    expectMinRank(x, 'x', 2);
    bandLimits(attrs);
    return [{ dtype: x.dtype, shape: [...x.shape] }];
  },
  kernel(inputs, attrs) {
    const x = inTensor(inputs, 'x');
    const { lower, upper } = bandLimits(attrs);
    const r = x.shape.length;
    const rows = x.shape[r - 2]!, cols = x.shape[r - 1]!;
    const out = x.data.slice();
    const mats = rows * cols === 0 ? 0 : x.data.length / (rows * cols);
    for (let m = 0; m < mats; m++) {
      for (let i = 0; i < rows; i++) {
        const row = (m * rows + i) * cols;
        for (let j = 0; j < cols; j++) {
          if ((lower >= 0 && i - j > lower) || (upper >= 0 && j - i > upper)) out[row + j] = 0;
        }
      }
    }
    return [{ dtype: x.dtype, shape: [...x.shape], data: out }];
  },
};

/** Checks a generator's dtype and that `v` is representable in it. */
function checkGenDtype(op: string, dtype: DType, allowed: readonly DType[]): void {
  if (!allowed.includes(dtype)) throw graphError('E_ATTR', `${op} attribute 'dtype' must be one of ${allowed.join(', ')}, got ${dtype}`);
}

function checkValue(op: string, what: string, dtype: DType, v: number): void {
  const info = dtypeInfo(dtype);
  if (info.kind === 'float') {
    if (Number.isNaN(v) && what !== 'value') throw graphError('E_ATTR', `${op} attribute '${what}' is NaN`);
    return;
  }
  if (!Number.isInteger(v) || v < info.min || v > info.max) {
    throw graphError('E_ATTR', `${op} attribute '${what}' = ${v} is not representable as ${dtype}`);
  }
}

function rangeLength(attrs: Attrs): number {
  const dtype = attrStr(attrs, 'dtype') as DType;
  checkGenDtype('range', dtype, ['int32', 'fp16', 'fp32']);
  const start = attrNum(attrs, 'start'), end = attrNum(attrs, 'end'), step = attrNum(attrs, 'step');
  for (const [n, v] of [['start', start], ['end', end], ['step', step]] as const) {
    if (!Number.isFinite(v)) throw graphError('E_ATTR', `range attribute '${n}' must be finite, got ${v}`);
    checkValue('range', n, dtype, v);
  }
  if (step === 0) throw graphError('E_ATTR', 'range attribute \'step\' must not be 0');
  const len = Math.max(0, Math.ceil((end - start) / step));
  if (len > MAX_KERNEL_ELEMENTS) throw graphError('E_ATTR', `range [${start}, ${end}) by ${step} has ${len} elements; at most ${MAX_KERNEL_ELEMENTS} are allowed`);
  return len;
}

const range: OpDef = {
  name: 'range',
  family: 'generate',
  traits: { layout: 'fixed', commutative: false },
  doc: 'A 1-D sequence: `out[i] = start + i * step` for `0 <= i < max(0, ceil((end - start) / step))`, in the given dtype (int32 needs integer start, end and step; fp16 values are rounded). `step` must be non-zero; a negative step counts down. Maps to MIL `range_1d`.',
  inputs: [],
  attrs: [
    { name: 'start', kind: 'float', default: 0, doc: 'First value.' },
    { name: 'end', kind: 'float', doc: 'Exclusive bound.' },
    { name: 'step', kind: 'float', default: 1, doc: 'Increment, non-zero.' },
    { name: 'dtype', kind: 'dtype', default: 'int32', doc: 'int32, fp16 or fp32.' },
  ],
  outputs: [{ name: 'output', typing: 'attr-dtype:dtype', doc: 'Rank 1, length ceil((end - start) / step).' }],
  infer(_inputs, attrs) {
    return [{ dtype: attrStr(attrs, 'dtype') as DType, shape: [rangeLength(attrs)] }];
  },
  kernel(_inputs, attrs) {
    const dtype = attrStr(attrs, 'dtype') as DType;
    const len = rangeLength(attrs);
    const start = attrNum(attrs, 'start'), step = attrNum(attrs, 'step');
    const out = allocOutput('range', dtype, len);
    for (let i = 0; i < len; i++) out[i] = start + i * step;
    return [{ dtype, shape: [len], data: out }];
  },
};

function fillShape(attrs: Attrs): number[] {
  const dtype = attrStr(attrs, 'dtype') as DType;
  checkGenDtype('fill', dtype, ['fp16', 'fp32', 'int32', 'bool']);
  const shape = [...attrInts(attrs, 'shape')];
  if (shape.some((d) => d < 0)) throw graphError('E_ATTR', `fill attribute 'shape' ${formatShape(shape)} has a negative dim`);
  checkShape(shape, 'fill shape');
  if (numel(shape) > MAX_KERNEL_ELEMENTS) throw graphError('E_ATTR', `fill shape ${formatShape(shape)} has more than ${MAX_KERNEL_ELEMENTS} elements`);
  const value = attrNum(attrs, 'value');
  if (dtype === 'bool' && value !== 0 && value !== 1) throw graphError('E_ATTR', `fill value ${value} is not a bool (0 or 1)`);
  checkValue('fill', 'value', dtype, value);
  return shape;
}

const fill: OpDef = {
  name: 'fill',
  family: 'generate',
  traits: { layout: 'fixed', commutative: false },
  doc: 'A tensor of the given static `shape` with every element equal to `value` (converted to `dtype`: integral for int32, 0 or 1 for bool, rounded for fp16). Maps to MIL `fill`.',
  inputs: [],
  attrs: [
    { name: 'shape', kind: 'ints', doc: 'Static output shape.' },
    { name: 'value', kind: 'float', default: 0, doc: 'Element value.' },
    { name: 'dtype', kind: 'dtype', default: 'fp32', doc: 'fp16, fp32, int32 or bool.' },
  ],
  outputs: [{ name: 'output', typing: 'attr-dtype:dtype', doc: 'The filled tensor; rank = len(shape).' }],
  infer(_inputs, attrs) {
    return [{ dtype: attrStr(attrs, 'dtype') as DType, shape: fillShape(attrs) }];
  },
  kernel(_inputs, attrs) {
    const dtype = attrStr(attrs, 'dtype') as DType;
    const shape = fillShape(attrs);
    const out = allocOutput('fill', dtype, numel(shape));
    out.fill(attrNum(attrs, 'value'));
    return [{ dtype, shape, data: out }];
  },
};

/** The generator op definitions. */
export const generateOps: OpDef[] = [bandPart, range, fill];
