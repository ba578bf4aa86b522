/**
 * The op registry: every op definition, by name. Family files register their ops on import.
 * @module
 */
import { graphError } from '../errors.js';
import type { OpDef } from './def.js';

const REGISTRY = new Map<string, OpDef>();

/** Registers op definitions; a name can be registered once. */
export function registerOps(...defs: OpDef[]): void {
  for (const d of defs) {
    if (REGISTRY.has(d.name)) throw graphError('E_OP_DUPLICATE', `op '${d.name}' is registered twice`, { where: d.name });
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
