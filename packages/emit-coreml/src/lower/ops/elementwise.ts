/**
 * Elementwise ops: binary arithmetic and comparisons map one to one, float `div` to `real_div`;
 * int32 `div` (truncation toward zero) becomes an exact composition of `floor_div`, `mod`,
 * comparisons and logical ops ({@link lowerIntDiv}), because Core ML leaves `real_div` on int32
 * undefined. `neg` is `mul` by -1; `log`/`rsqrt` carry their epsilon as a const input; `cast`
 * names the target dtype as a string (int8/int16/uint8 and those inputs need ios17).
 * @module
 */
import type { DType } from '@fastvlm/graph';
import type { LoweringContext, MilVal } from '../context.js';
import { lowerIntDiv } from './int-div.js';
import type { LoweringTable, OpLowering } from './types.js';

/** IR binary op -> MIL op (int32 `div` is the exception: {@link lowerIntDiv}). */
export const BINARY_MIL: Readonly<Record<string, string>> = {
  add: 'add',
  sub: 'sub',
  mul: 'mul',
  div: 'real_div',
  pow: 'pow',
  maximum: 'maximum',
  minimum: 'minimum',
  equal: 'equal',
  not_equal: 'not_equal',
  less: 'less',
  less_equal: 'less_equal',
  greater: 'greater',
  greater_equal: 'greater_equal',
};

/** IR unary ops with the same MIL name and no parameters. */
export const UNARY_SAME = ['abs', 'exp', 'sqrt', 'tanh', 'erf'] as const;

const binary = (mil: string): OpLowering => (cx) => {
  cx.emit1(mil, { x: cx.input('x'), y: cx.input('y') }, cx.out());
};

const unary = (mil: string): OpLowering => (cx) => {
  cx.emit1(mil, { x: cx.input('x') }, cx.out());
};

/** The dtype of an epsilon const: x's up to ios16 (type T), fp32 from ios17 (type U) to keep tiny values. */
export function epsilonDtype(cx: LoweringContext, x: MilVal): DType {
  return cx.atLeast('ios17') ? 'fp32' : x.type.dtype;
}

const withEpsilon = (mil: string): OpLowering => (cx) => {
  const x = cx.input('x');
  cx.emit1(mil, { x, epsilon: cx.scalar('epsilon', epsilonDtype(cx, x), cx.attr<number>('epsilon')) }, cx.out());
};

/** Dtypes MIL `cast` can produce before iOS17. */
const CAST_IOS15: readonly DType[] = ['fp32', 'fp16', 'int32', 'bool'];

const cast: OpLowering = (cx) => {
  const to = cx.attr<string>('dtype') as DType;
  if (!CAST_IOS15.includes(to)) cx.require('ios17', `cast to ${to}`);
  cx.emit1('cast', { x: cx.input('x'), dtype: cx.str('dtype', to) }, cx.out());
};

export const elementwiseLowerings: LoweringTable = {
  ...Object.fromEntries(Object.entries(BINARY_MIL).map(([k, v]) => [k, binary(v)])),
  ...Object.fromEntries(UNARY_SAME.map((k) => [k, unary(k)])),
  div: (cx) => {
    if (cx.input('x').type.dtype === 'int32') lowerIntDiv(cx);
    else binary('real_div')(cx);
  },
  neg: (cx) => {
    const x = cx.input('x');
    cx.emit1('mul', { x, y: cx.scalar('minus_one', x.type.dtype, -1) }, cx.out());
  },
  log: withEpsilon('log'),
  rsqrt: withEpsilon('rsqrt'),
  select: (cx) => {
    cx.emit1('select', { cond: cx.input('cond'), a: cx.input('a'), b: cx.input('b') }, cx.out());
  },
  cast,
};
