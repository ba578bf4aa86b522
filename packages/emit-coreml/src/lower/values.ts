/**
 * Bridges between IR types and MIL types/values used by the lowering and the lifting, on top
 * of the package's MIL value constructors (`mil/values.ts`, `mil/types.ts`): which constants go
 * to weight.bin, and MIL tensor types back to IR types.
 * @module
 */
import { type DType, type Dim, type Shape, type Tensor, type TensorType } from '@fastvlm/graph';
import { graphDTypeOfMil, milDTypeOfCode } from '../mil/dtypes.js';
import { tensorType } from '../mil/types.js';
import { immediateFromTensor } from '../mil/values.js';
import type { MilValue, MilValueType } from '../proto/mil-types.js';
import { lowerError } from './errors.js';
import { type Target, atLeast } from './target.js';

export { stringValue } from '../mil/build.js';

/** The MIL tensor type of an IR type; symbolic dims become unknown (non-variadic) dimensions. */
export function tensorValueType(t: { readonly dtype: DType; readonly shape: Shape }): MilValueType {
  return tensorType(t.dtype, t.shape);
}

/** An inline tensor value holding `t`, encoded as coremltools encodes that dtype. */
export function immediateValue(t: Tensor): MilValue {
  return immediateFromTensor(t);
}

/** Short MIL name of a data type code (`fp32`, `int32`, `string`...), `dtype<code>` when unknown. */
export function milTypeName(code: number | undefined): string {
  try {
    return milDTypeOfCode(code ?? 0);
  } catch {
    return `dtype${code ?? 0}`;
  }
}

/** The IR dtype of a MIL data type code, or undefined when the IR has no such type. */
export function dtypeOfMil(code: number | undefined): DType | undefined {
  try {
    return graphDTypeOfMil(milDTypeOfCode(code ?? 0));
  } catch {
    return undefined;
  }
}

/**
 * Dtypes coremltools moves to weight.bin (>= 10 elements) for a target: fp16, fp32, uint8 and
 * int8, and the sub-byte types (numpy holds them as uint8/int8, so they pass the same test);
 * from ios18 also int16 and int32.
 */
export function blobDtypes(target: Target): readonly DType[] {
  const base: DType[] = ['fp16', 'fp32', 'uint8', 'int8', 'int4', 'uint1', 'uint2', 'uint3', 'uint4', 'uint6'];
  return atLeast(target, 'ios18') ? [...base, 'int16', 'int32'] : base;
}

/** True when a constant of `dtype` with `count` elements belongs in weight.bin. */
export function usesBlob(dtype: DType, count: number, target: Target): boolean {
  return count >= 10 && blobDtypes(target).includes(dtype);
}

/** The IR type of a MIL value type; unknown dims get the names `symbol(i)`. */
export function irTypeOf(vt: MilValueType | undefined, symbol: (i: number) => string, where: string): TensorType {
  const tt = vt?.tensorType;
  if (!tt) throw lowerError('E_LIFT', `expected a tensor type, found ${vt ? Object.keys(vt).join(', ') || 'an empty type' : 'no type'}`, { where });
  const dtype = dtypeOfMil(tt.dataType);
  if (dtype === undefined) throw lowerError('E_LIFT', `data type ${milTypeName(tt.dataType)} has no IR equivalent`, { where });
  const dims = tt.dimensions ?? [];
  if ((tt.rank ?? 0) !== dims.length) throw lowerError('E_LIFT', `tensor type has rank ${tt.rank ?? 0} but ${dims.length} dimensions`, { where });
  const shape: Dim[] = dims.map((d, i) => {
    if (d.constant) return d.constant.size ?? 0;
    if (d.unknown && !d.unknown.variadic) return symbol(i);
    throw lowerError('E_LIFT', `dimension ${i} is variadic or empty`, { where });
  });
  return { dtype, shape };
}
