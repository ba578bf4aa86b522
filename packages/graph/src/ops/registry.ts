/**
 * The op registry: every op definition, by name. Family files register their ops on import.
 * @module
 */
import { graphError } from '../errors.js';
import { LAYOUT_TRAITS, type OpDef } from './def.js';

const REGISTRY = new Map<string, OpDef>();

/** Throws E_OP_INVALID unless `d` states every trait with a valid value. */
function checkTraits(d: OpDef): void {
  const t = (d as { traits?: unknown }).traits as Partial<OpDef['traits']> | undefined;
  const bad = (msg: string): never => {
    throw graphError('E_OP_INVALID', `op '${d.name}': ${msg}`, { where: d.name });
  };
  if (typeof t !== 'object' || t === null) bad('states no traits (layout, commutative)');
  if (typeof t!.layout !== 'string' || !Object.hasOwn(LAYOUT_TRAITS, t!.layout)) bad(`traits.layout must be one of ${Object.keys(LAYOUT_TRAITS).join(', ')}, found ${String(t!.layout)}`);
  if (typeof t!.commutative !== 'boolean') bad(`traits.commutative must be true or false, found ${String(t!.commutative)}`);
  const tensorInputs = d.inputs.map((i) => i.name).join(',');
  if (t!.commutative && tensorInputs !== 'x,y') bad(`only an op with the inputs x and y can be commutative, this one has (${tensorInputs})`);
}

/** Registers op definitions; a name can be registered once, and each states its traits. */
export function registerOps(...defs: OpDef[]): void {
  for (const d of defs) {
    if (REGISTRY.has(d.name)) throw graphError('E_OP_DUPLICATE', `op '${d.name}' is registered twice`, { where: d.name });
    checkTraits(d);
    REGISTRY.set(d.name, d);
  }
}

/** The definition of `name`; throws `E_OP_UNKNOWN` naming close matches. */
export function getOp(name: string): OpDef {
  const d = REGISTRY.get(name);
  if (!d) {
    const close = [...REGISTRY.keys()].filter((k) => k.includes(name) || name.includes(k)).slice(0, 5);
    throw graphError('E_OP_UNKNOWN', `no op named '${name}'${close.length ? `; did you mean ${close.join(', ')}?` : ''}`, { where: name });
  }
  return d;
}

export function hasOp(name: string): boolean {
  return REGISTRY.has(name);
}

/** All definitions, sorted by name (deterministic order for docs and codegen). */
export function allOps(): OpDef[] {
  return [...REGISTRY.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
