/**
 * `const`: a constant tensor. Large values live in the WeightStore and are referenced by name
 * (`weight`); small ones are inline (`value`). Never materialized until an op or the emitter
 * needs it.
 * @module
 */
import { graphError } from '../errors.js';
import type { DType } from '../dtype.js';
import { formatShape, numel, shapeEq } from '../shape.js';
import { tensor } from '../tensor.js';
import type { OpDef } from './def.js';
import { attrOpt, attrStr, attrInts } from './util.js';

export const constOp: OpDef = {
  name: 'const',
  family: 'const',
  traits: { layout: 'fixed', commutative: false },
  doc: 'A constant tensor of the given dtype and static shape. Either `weight` names a tensor of the program\'s WeightStore (read lazily, never copied into the IR), or `value` holds the elements inline in row-major order (for small constants such as scalars and shape vectors).',
  inputs: [],
  attrs: [
    { name: 'dtype', kind: 'dtype', doc: 'Element type.' },
    { name: 'shape', kind: 'ints', doc: 'Static shape.' },
    { name: 'weight', kind: 'string', optional: true, doc: 'Name of the tensor in the WeightStore.' },
    { name: 'value', kind: 'floats', optional: true, doc: 'Inline elements, row-major.' },
  ],
  outputs: [{ name: 'output', typing: 'dynamic' }],
  infer(_inputs, attrs) {
    const dtype = attrStr(attrs, 'dtype') as DType;
    const shape = attrInts(attrs, 'shape');
    const weight = attrOpt<string>(attrs, 'weight');
    const value = attrOpt<readonly number[]>(attrs, 'value');
    if ((weight === undefined) === (value === undefined)) {
      throw graphError('E_ATTR', 'const needs exactly one of `weight` and `value`');
    }
    const n = numel(shape);
    if (value !== undefined && value.length !== n) {
      throw graphError('E_ATTR', `const of shape ${formatShape(shape)} needs ${n} inline values, got ${value.length}`);
    }
    return [{ dtype, shape: [...shape] }];
  },
  kernel(_inputs, attrs, ctx) {
    const dtype = attrStr(attrs, 'dtype') as DType;
    const shape = attrInts(attrs, 'shape');
    const weight = attrOpt<string>(attrs, 'weight');
    if (weight !== undefined) {
      const t = ctx.weights.read(weight);
      if (t.dtype !== dtype || !shapeEq(t.shape, shape)) {
        throw graphError('E_WEIGHT_MISMATCH', `const declares ${dtype}${formatShape(shape)} but weight '${weight}' is ${t.dtype}${formatShape(t.shape)}`, { where: weight });
      }
      return [t];
    }
    return [tensor(dtype, shape, attrOpt<readonly number[]>(attrs, 'value') ?? [])];
  },
};

