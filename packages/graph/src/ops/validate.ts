/**
 * Checks an op application against its definition (input presence and arity, dtype domains,
 * attribute kinds and ranges), applies attribute defaults, then runs the op's type inference.
 * Shared by the DSL, the verifier and the text parser so all three report the same errors.
 * @module
 */
import { isDType } from '../dtype.js';
import { type SourceLoc, FastVlmError, graphError } from '../errors.js';
import type { Attrs, AttrValue, TensorType } from '../ir/types.js';
import { formatShape } from '../shape.js';
import type { AttrSpec, InferInputs, OpDef } from './def.js';

/** Describes input types for error messages: `x: fp32[1,3], y: fp32[3]`. */
export function describeInputs(inputs: InferInputs): string {
  return Object.entries(inputs)
    .filter(([, t]) => t !== undefined)
    .map(([k, t]) => `${k}: ${Array.isArray(t) ? `(${(t as readonly TensorType[]).map(fmtType).join(', ')})` : fmtType(t as TensorType)}`)
    .join(', ');
}

/** `fp32[1,3,224,224]`. */
export function fmtType(t: TensorType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}

function attrOk(spec: AttrSpec, v: AttrValue): boolean {
  const isInt = (x: unknown): boolean => typeof x === 'number' && Number.isSafeInteger(x);
  switch (spec.kind) {
    case 'int':
      return isInt(v);
    case 'float':
      return typeof v === 'number';
    case 'bool':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string' && (spec.oneOf === undefined || spec.oneOf.includes(v));
    case 'dtype':
      return typeof v === 'string' && isDType(v);
    case 'ints':
      return Array.isArray(v) && v.every(isInt);
    case 'floats':
      return Array.isArray(v) && v.every((x) => typeof x === 'number');
    case 'strings':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'dims':
      return Array.isArray(v) && v.every((x) => isInt(x) || (typeof x === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(x)));
  }
}

/** Validates attributes and returns them with defaults applied, in definition order. */
export function resolveAttrs(def: OpDef, attrs: Attrs, where: string, loc?: SourceLoc): Attrs {
  const out: Record<string, AttrValue> = {};
  const opt = loc ? { where, loc } : { where };
  for (const k of Object.keys(attrs)) {
    if (!def.attrs.some((a) => a.name === k)) {
      throw graphError('E_ATTR', `${def.name} has no attribute '${k}' (known: ${def.attrs.map((a) => a.name).join(', ') || 'none'})`, opt);
    }
  }
  for (const spec of def.attrs) {
    const v = attrs[spec.name];
    if (v === undefined) {
      if (spec.default !== undefined) out[spec.name] = spec.default;
      else if (!spec.optional) throw graphError('E_ATTR', `${def.name} needs attribute '${spec.name}' (${spec.kind})`, opt);
      continue;
    }
    if (!attrOk(spec, v)) {
      const allowed = spec.oneOf ? ` one of ${spec.oneOf.join(', ')}` : '';
      throw graphError('E_ATTR', `${def.name} attribute '${spec.name}' must be ${spec.kind}${allowed}, got ${JSON.stringify(v)}`, opt);
    }
    out[spec.name] = v;
  }
  return out;
}

/**
 * Full check of one op application. Returns the resolved attributes and the inferred output
 * types. Errors name the op, its input types and (when given) the source location.
 */
export function checkOp(def: OpDef, inputs: InferInputs, attrs: Attrs, where: string = def.name, loc?: SourceLoc): { attrs: Attrs; outputs: TensorType[] } {
  const opt = loc ? { where, loc } : { where };
  for (const k of Object.keys(inputs)) {
    if (inputs[k] !== undefined && !def.inputs.some((i) => i.name === k)) {
      throw graphError('E_INPUT', `${def.name} has no input '${k}' (inputs: ${def.inputs.map((i) => i.name).join(', ') || 'none'})`, opt);
    }
  }
  for (const spec of def.inputs) {
    const t = inputs[spec.name];
    if (t === undefined) {
      if (!spec.optional) throw graphError('E_INPUT', `${def.name} needs input '${spec.name}'`, opt);
      continue;
    }
    const list = Array.isArray(t) ? (t as readonly TensorType[]) : [t as TensorType];
    if (Array.isArray(t) !== Boolean(spec.variadic)) {
      throw graphError('E_INPUT', `${def.name} input '${spec.name}' must be ${spec.variadic ? 'a list of tensors' : 'a single tensor'}`, opt);
    }
    if (spec.variadic && list.length === 0) throw graphError('E_INPUT', `${def.name} input '${spec.name}' needs at least one tensor`, opt);
    for (const x of list) {
      if (!spec.dtypes.includes(x.dtype)) {
        throw graphError('E_DTYPE_MISMATCH', `${def.name} input '${spec.name}' has dtype ${x.dtype}; accepted: ${spec.dtypes.join(', ')} (inputs: ${describeInputs(inputs)})`, opt);
      }
    }
  }
  const resolved = resolveAttrs(def, attrs, where, loc);
  let outputs: TensorType[];
  try {
    outputs = def.infer(inputs, resolved);
  } catch (e) {
    if (e instanceof FastVlmError) {
      // Re-raise with the op, the input types and the author's location attached.
      throw new FastVlmError(e.code, `${def.name}: ${e.detail} (inputs: ${describeInputs(inputs)})`, { ...opt, details: e.details, cause: e });
    }
    throw e;
  }
  return { attrs: resolved, outputs };
}

