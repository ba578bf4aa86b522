/**
 * Facts about the MIL ops we emit, per opset: input names, which inputs must be compile-time
 * constants, optional inputs and dtype domains (coremltools 9.x, `ops/defs/iOS15..iOS18`). The
 * lowering context checks every emitted op against this table, so an op or dtype a target lacks
 * becomes a coded error naming the lowest target that has it, before Core ML ever sees it.
 * @module
 */
import type { DType } from '@fastvlm/graph';
import type { Target } from './target.js';

/** A dtype domain: the dtypes an input accepts. */
export type Domain = readonly DType[];

/** One input of a MIL op version. */
export interface MilInputSpec {
  /** Accepted dtypes, or the name of a type variable of {@link MilOpVersion.vars}. */
  readonly domain?: Domain | string;
  /** Must be produced by a `const` op. */
  readonly const?: boolean;
  readonly optional?: boolean;
  /** A tuple input: several values in one argument (concat `values`). */
  readonly tuple?: boolean;
}

/** One definition of an op, valid from `since` until a newer definition replaces it. */
export interface MilOpVersion {
  readonly since: Target;
  readonly inputs: Readonly<Record<string, MilInputSpec>>;
  /** Type variables (`T`, `U`): every input of one variable has the same dtype. */
  readonly vars?: Readonly<Record<string, Domain>>;
}

const F: Domain = ['fp16', 'fp32'];
const FI: Domain = ['fp16', 'fp32', 'int32'];
const FIB: Domain = ['fp16', 'fp32', 'int32', 'bool'];
/** iOS17's wider domain for data movement ops (uint16 is not an IR dtype). */
const A17: Domain = ['fp16', 'fp32', 'int8', 'uint8', 'int16', 'int32', 'bool'];
const I32: Domain = ['int32'];
const BOOL: Domain = ['bool'];
const STR: Domain = [];

const cT = { domain: 'T', const: true } as const;
const cTopt = { domain: 'T', const: true, optional: true } as const;
const cUopt = { domain: 'U', const: true, optional: true } as const;
const cI32 = { domain: I32, const: true } as const;
const cI32opt = { domain: I32, const: true, optional: true } as const;
const cBoolOpt = { domain: BOOL, const: true, optional: true } as const;
const cStr = { domain: STR, const: true } as const;
const cStrOpt = { domain: STR, const: true, optional: true } as const;

function v(since: Target, inputs: Record<string, MilInputSpec>, vars?: Record<string, Domain>): MilOpVersion {
  return vars ? { since, inputs, vars } : { since, inputs };
}

const binary = [v('ios15', { x: { domain: 'T' }, y: { domain: 'T' } }, { T: FI })];
const logical = [v('ios15', { x: { domain: 'T' }, y: { domain: 'T' } }, { T: BOOL })];
const unaryF = [v('ios15', { x: { domain: 'T' } }, { T: F })];
const unaryFI = [v('ios15', { x: { domain: 'T' } }, { T: FI })];
const withEps = [
  v('ios15', { x: { domain: 'T' }, epsilon: cTopt }, { T: F }),
  v('ios17', { x: { domain: 'T' }, epsilon: cUopt }, { T: F, U: F }),
];
const reduce = [v('ios15', { x: { domain: 'T' }, axes: cI32opt, keep_dims: cBoolOpt }, { T: FI })];
const moveData = (extra: Record<string, MilInputSpec>): MilOpVersion[] => [
  v('ios15', { x: { domain: 'T' }, ...extra }, { T: FIB }),
  v('ios17', { x: { domain: 'T' }, ...extra }, { T: A17 }),
];

/** Every MIL op the lowering can emit, by MIL op type. Versions are sorted oldest first. */
export const MIL_OPS: Readonly<Record<string, readonly MilOpVersion[]>> = {
  add: binary, sub: binary, mul: binary, real_div: binary, pow: binary, maximum: binary, minimum: binary,
  equal: binary, not_equal: binary, less: binary, less_equal: binary, greater: binary, greater_equal: binary,
  floor_div: binary, mod: binary,
  logical_and: logical, logical_xor: logical,
  abs: unaryFI,
  exp: unaryF, sqrt: unaryF, tanh: unaryF, erf: unaryF, relu: unaryF, silu: unaryF, sigmoid: unaryF,
  log: withEps,
  rsqrt: withEps,
  gelu: [v('ios15', { x: { domain: 'T' }, mode: cStrOpt }, { T: F })],
  softmax: [v('ios15', { x: { domain: 'T' }, axis: cI32opt }, { T: F })],
  select: [v('ios15', { cond: { domain: BOOL }, a: { domain: 'T' }, b: { domain: 'T' } }, { T: FIB })],
  cast: [
    v('ios15', { x: { domain: 'T' }, dtype: cStr }, { T: FIB }),
    v('ios17', { x: { domain: 'T' }, dtype: cStr }, { T: A17 }),
  ],
  identity: [v('ios15', { x: {} })],
  reduce_mean: reduce, reduce_sum: reduce, reduce_max: reduce,
  batch_norm: [
    v('ios15', { x: { domain: 'T' }, mean: cT, variance: cT, gamma: cTopt, beta: cTopt, epsilon: cTopt }, { T: F }),
    v('ios17', { x: { domain: 'T' }, mean: { domain: 'U', const: true }, variance: { domain: 'U', const: true }, gamma: cUopt, beta: cUopt, epsilon: cUopt }, { T: F, U: F }),
  ],
  layer_norm: [
    v('ios15', { x: { domain: 'T' }, axes: cI32opt, gamma: cTopt, beta: cTopt, epsilon: cTopt }, { T: F }),
    v('ios17', { x: { domain: 'T' }, axes: cI32opt, gamma: cUopt, beta: cUopt, epsilon: cUopt }, { T: F, U: F }),
  ],
  matmul: [
    v('ios15', { x: { domain: 'T' }, y: { domain: 'T' }, transpose_x: cBoolOpt, transpose_y: cBoolOpt }, { T: FI }),
    v('ios17', { x: { domain: 'T' }, y: { domain: 'U' }, transpose_x: cBoolOpt, transpose_y: cBoolOpt }, { T: FI, U: FI }),
  ],
  linear: [
    v('ios15', { x: { domain: 'T' }, weight: cT, bias: cTopt }, { T: FI }),
    v('ios17', { x: { domain: 'T' }, weight: { domain: 'U', const: true }, bias: cUopt }, { T: FI, U: FI }),
  ],
  einsum: [v('ios15', { values: { tuple: true, domain: F }, equation: cStr })],
  conv: [
    v('ios15', { x: { domain: 'T' }, weight: { domain: 'T' }, bias: cTopt, strides: cI32opt, pad_type: cStrOpt, pad: cI32opt, dilations: cI32opt, groups: cI32opt }, { T: F }),
    v('ios17', { x: { domain: 'T' }, weight: { domain: 'U' }, bias: { domain: 'U', optional: true }, strides: cI32opt, pad_type: cStrOpt, pad: cI32opt, dilations: cI32opt, groups: cI32opt }, { T: F, U: F }),
  ],
  avg_pool: [
    v('ios15', { x: { domain: 'T' }, kernel_sizes: cI32, strides: cI32opt, pad_type: cStr, pad: cI32opt, exclude_padding_from_average: cBoolOpt, ceil_mode: cBoolOpt }, { T: F }),
  ],
  reshape: [
    v('ios15', { x: { domain: 'T' }, shape: { domain: I32 } }, { T: FIB }),
    v('ios17', { x: { domain: 'T' }, shape: { domain: ['int8', 'int16', 'int32'] } }, { T: A17 }),
  ],
  transpose: moveData({ perm: cI32 }),
  expand_dims: moveData({ axes: cI32 }),
  squeeze: moveData({ axes: cI32opt }),
  slice_by_index: [
    v('ios15', { x: { domain: 'T' }, begin: { domain: I32 }, end: { domain: I32 }, stride: cI32opt, begin_mask: cBoolOpt, end_mask: cBoolOpt, squeeze_mask: cBoolOpt }, { T: FIB }),
    v('ios17', { x: { domain: 'T' }, begin: { domain: I32 }, end: { domain: I32 }, stride: cI32opt, begin_mask: cBoolOpt, end_mask: cBoolOpt, squeeze_mask: cBoolOpt }, { T: A17 }),
  ],
  concat: [v('ios15', { values: { tuple: true }, axis: cI32, interleave: cBoolOpt })],
  split: [v('ios15', { x: { domain: 'T' }, num_splits: cI32opt, split_sizes: cI32opt, axis: cI32 }, { T: FIB })],
  gather: [
    v('ios15', { x: { domain: 'T' }, indices: { domain: I32 }, axis: cI32opt }, { T: FI }),
    v('ios16', { x: { domain: 'T' }, indices: { domain: ['int32', 'int16'] }, axis: cI32opt, batch_dims: cI32opt }, { T: FI }),
    v('ios17', { x: { domain: 'T' }, indices: { domain: ['int32', 'int16', 'int8', 'uint8'] }, axis: cI32opt, batch_dims: cI32opt, validate_indices: cBoolOpt }, { T: ['fp16', 'fp32', 'int32', 'int16', 'int8', 'uint8'] }),
  ],
  pad: [v('ios15', { x: { domain: 'T' }, pad: { domain: I32 }, mode: cStrOpt, constant_val: cTopt }, { T: F })],
  band_part: [v('ios15', { x: { domain: 'T' }, lower: cI32opt, upper: cI32opt }, { T: FIB })],
  range_1d: [v('ios15', { end: { domain: 'T' }, start: { domain: 'T' }, step: { domain: 'T' } }, { T: FI })],
  fill: [v('ios15', { shape: { domain: I32 }, value: cTopt }, { T: FIB })],
};

/** The definition of `op` in force at `target`, or undefined when the op is newer. */
export function milOpVersion(op: string, target: Target, order: (t: Target) => number): MilOpVersion | undefined {
  const versions = MIL_OPS[op];
  if (!versions) return undefined;
  let found: MilOpVersion | undefined;
  for (const ver of versions) if (order(ver.since) <= order(target)) found = ver;
  return found;
}

/** The domain of one input in a version (type variables resolved); undefined = any dtype. */
export function inputDomain(ver: MilOpVersion, input: string): Domain | undefined {
  const spec = ver.inputs[input];
  if (!spec || spec.domain === undefined) return undefined;
  if (typeof spec.domain === 'string') return ver.vars?.[spec.domain];
  return spec.domain.length === 0 ? undefined : spec.domain;
}
