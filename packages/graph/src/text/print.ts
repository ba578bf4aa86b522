/**
 * The IR text printer. Output is deterministic and normalized (inputs and attributes in
 * definition order, attributes equal to their default omitted), and the parser reads it back:
 * `printProgram(parseProgram(printProgram(p))) === printProgram(p)`.
 *
 * ```
 * func main(%x: fp32[1,3,seq]) -> (%y) {
 *   %y = relu(x=%x) : fp32[1,3,seq]
 *   return %y
 * }
 * ```
 * @module
 */
import { hasOp, getOp } from '../ops/registry.js';
import type { AttrKind, OpDef } from '../ops/def.js';
import { formatShape } from '../shape.js';
import { type AttrValue, type Func, type Op, type Program, type TensorType, Value } from '../ir/types.js';

/** `fp32[1,3,seq]`, `bool[]`. */
export function printType(t: TensorType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}

/** A number in its shortest round-tripping form; `inf`, `-inf`, `nan`; `-0` keeps its sign. */
export function printNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

function printScalar(v: number | string | boolean, kind: AttrKind | undefined): string {
  if (typeof v === 'number') return printNumber(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  // Symbols of a shape are bare identifiers, like in types.
  if (kind === 'dims') return v;
  return JSON.stringify(v);
}

/** An attribute value; `kind` (from the op definition) decides how strings are written. */
export function printAttrValue(v: AttrValue, kind?: AttrKind): string {
  if (Array.isArray(v)) return `[${(v as readonly (number | string)[]).map((x) => printScalar(x, kind)).join(',')}]`;
  return printScalar(v as number | string | boolean, kind);
}

function sameValue(a: AttrValue, b: AttrValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return (a as readonly (number | string)[]).every((x, i) => Object.is(x, (b as readonly (number | string)[])[i]));
  }
  return Object.is(a, b);
}

function valueRef(v: Value): string {
  // Broken IR (a pass left a hole) still prints, so it can be looked at.
  return v instanceof Value ? `%${v.name}` : '%<not-a-value>';
}

function printInputs(op: Op, def: OpDef | undefined): string {
  const keys = Object.keys(op.inputs);
  // Definition order first, then any names the definition does not know (a broken op).
  const ordered = def ? [...def.inputs.map((i) => i.name).filter((n) => keys.includes(n)), ...keys.filter((k) => !def.inputs.some((i) => i.name === k))] : keys;
  return ordered
    .map((k) => {
      const v = op.inputs[k]!;
      return `${k}=${Array.isArray(v) ? `(${(v as readonly Value[]).map(valueRef).join(', ')})` : valueRef(v as Value)}`;
    })
    .join(', ');
}

function printAttrs(op: Op, def: OpDef | undefined): string {
  const parts: string[] = [];
  const specs = def?.attrs ?? [];
  for (const spec of specs) {
    const v = op.attrs[spec.name];
    if (v === undefined) continue;
    if (spec.default !== undefined && sameValue(v, spec.default)) continue;
    parts.push(`${spec.name}=${printAttrValue(v, spec.kind)}`);
  }
  for (const [k, v] of Object.entries(op.attrs)) {
    if (v === undefined || specs.some((s) => s.name === k)) continue;
    parts.push(`${k}=${printAttrValue(v)}`);
  }
  return parts.length ? ` {${parts.join(', ')}}` : '';
}

/** One op line without indentation: `%y = relu(x=%x) : fp32[1,3]`. */
export function printOp(op: Op): string {
  const def = hasOp(op.kind) ? getOp(op.kind) : undefined;
  const lhs = op.outputs.length ? `${op.outputs.map(valueRef).join(', ')} = ` : '';
  const types = op.outputs.length ? ` : ${op.outputs.map((o) => printType(o.type)).join(', ')}` : '';
  return `${lhs}${op.kind}(${printInputs(op, def)})${printAttrs(op, def)}${types}`;
}

/** A function block, ending with a newline. */
export function printFunction(fn: Func): string {
  const params = fn.inputs.map((v) => `${valueRef(v)}: ${printType(v.type)}`).join(', ');
  const lines = [`func ${fn.name}(${params}) -> (${fn.outputs.map(valueRef).join(', ')}) {`];
  for (const op of fn.body.ops) lines.push(`  ${printOp(op)}`);
  lines.push(fn.outputs.length ? `  return ${fn.outputs.map(valueRef).join(', ')}` : '  return');
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Every function of `p` in insertion order, separated by blank lines. */
export function printProgram(p: Program): string {
  return [...p.functions.values()].map(printFunction).join('\n');
}
