/**
 * Checks, when an op is added, that the static output typing of its definition (which the
 * generated DSL methods turn into TypeScript types) agrees with what inference produced. A
 * disagreement means the handle's compile-time dtype or rank would lie, so it is reported as a
 * bug of the op definition instead of being passed on silently.
 * @module
 */
import { graphError, type SourceLoc } from '../errors.js';
import type { Attrs, TensorType, Value } from '../ir/types.js';
import type { OpDef, OutputTyping } from '../ops/def.js';
import { fmtType } from '../ops/validate.js';

/** What the typing promises: a dtype and a rank, each possibly unknown. */
export interface PromisedType {
  readonly dtype?: string;
  readonly rank?: number;
}

function firstInput(def: OpDef, inputs: Readonly<Record<string, Value | readonly Value[]>>): TensorType | undefined {
  for (const spec of def.inputs) {
    const v = inputs[spec.name];
    if (v === undefined) continue;
    if (Array.isArray(v)) return (v as readonly Value[])[0]?.type;
    return (v as Value).type;
  }
  return undefined;
}

function maxRank(inputs: Readonly<Record<string, Value | readonly Value[]>>): number {
  let r = 0;
  for (const v of Object.values(inputs)) {
    for (const x of Array.isArray(v) ? (v as readonly Value[]) : [v as Value]) r = Math.max(r, x.type.shape.length);
  }
  return r;
}

/** The dtype and rank an output typing promises for the given inputs and resolved attrs. */
export function promisedType(def: OpDef, typing: OutputTyping, inputs: Readonly<Record<string, Value | readonly Value[]>>, attrs: Attrs): PromisedType {
  const first = firstInput(def, inputs);
  if (typing.startsWith('same:')) {
    const v = inputs[typing.slice(5)];
    const t = v === undefined ? undefined : Array.isArray(v) ? (v as readonly Value[])[0]?.type : (v as Value).type;
    return t ? { dtype: t.dtype, rank: t.shape.length } : {};
  }
  if (typing === 'broadcast') return { ...(first ? { dtype: first.dtype } : {}), rank: maxRank(inputs) };
  if (typing.startsWith('broadcast:')) {
    const v = inputs[typing.slice(10)];
    const t = v === undefined || Array.isArray(v) ? undefined : (v as Value).type;
    return { ...(t ? { dtype: t.dtype } : {}), rank: maxRank(inputs) };
  }
  if (typing === 'bool-broadcast') return { dtype: 'bool', rank: maxRank(inputs) };
  if (typing.startsWith('rank:')) return { ...(first ? { dtype: first.dtype } : {}), rank: Number(typing.slice(5)) };
  if (typing.startsWith('attr-dtype:')) {
    const d = attrs[typing.slice(11)];
    return { ...(typeof d === 'string' ? { dtype: d } : {}), ...(first ? { rank: first.shape.length } : {}) };
  }
  // dynamic: dtype of the first input, rank unknown.
  return first ? { dtype: first.dtype } : {};
}

/** Throws E_VERIFY when an inferred output contradicts the definition's output typing. */
export function checkOutputTyping(def: OpDef, inputs: Readonly<Record<string, Value | readonly Value[]>>, attrs: Attrs, outputs: readonly Value[], loc: SourceLoc | undefined): void {
  outputs.forEach((out, i) => {
    const spec = def.variadicOutputs ? def.outputs[0] : def.outputs[i];
    if (!spec) return;
    const p = promisedType(def, spec.typing, inputs, attrs);
    const t = out.type;
    if ((p.dtype !== undefined && p.dtype !== t.dtype) || (p.rank !== undefined && p.rank !== t.shape.length)) {
      const want = `${p.dtype ?? 'any dtype'}, ${p.rank !== undefined ? `rank ${p.rank}` : 'any rank'}`;
      throw graphError(
        'E_VERIFY',
        `op definition bug: ${def.name} output '${spec.name}' has typing '${spec.typing}' (promising ${want}) but inference gave ${fmtType(t)}; the DSL's static type would be wrong`,
        { where: def.name, ...(loc ? { loc } : {}), details: { op: def.name, typing: spec.typing } },
      );
    }
  });
}
