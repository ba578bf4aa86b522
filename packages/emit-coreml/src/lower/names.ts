/**
 * MIL identifiers. Value, op and function names in a MIL program match
 * `[A-Za-z_][A-Za-z0-9_@]*`; IR value names may also hold `.` or start with a digit, so they are
 * rewritten deterministically and without collisions.
 * @module
 */

/** A valid MIL identifier. */
export const MIL_NAME_RE = /^[A-Za-z_][A-Za-z0-9_@]*$/;

/** True when `s` is a valid MIL identifier. */
export function isMilName(s: string): boolean {
  return MIL_NAME_RE.test(s);
}

/** The identifier closest to `s`: invalid characters become `_`, a leading digit gets a `_` prefix. */
export function sanitizeMilName(s: string): string {
  let out = s.replace(/[^A-Za-z0-9_@]/g, '_');
  if (out === '' || !/^[A-Za-z_]/.test(out)) out = `_${out}`;
  return out;
}

/**
 * Hands out unique MIL names inside one function. Names that are already valid are claimed
 * first (so they survive unchanged); others and generated helper names get the first free
 * `base`, `base_1`, `base_2`, ... in the order they are asked for, which is deterministic.
 */
export class MilNameScope {
  private readonly used = new Set<string>();
  private readonly next = new Map<string, number>();

  /** Claims `name` exactly; false when it is taken or invalid. */
  tryClaim(name: string): boolean {
    if (!isMilName(name) || this.used.has(name)) return false;
    this.used.add(name);
    return true;
  }

  /** A fresh name derived from `hint` (sanitized). */
  fresh(hint: string): string {
    const base = sanitizeMilName(hint);
    if (this.tryClaim(base)) return base;
    let i = this.next.get(base) ?? 1;
    for (;;) {
      const cand = `${base}_${i++}`;
      if (this.tryClaim(cand)) {
        this.next.set(base, i);
        return cand;
      }
    }
  }

  has(name: string): boolean {
    return this.used.has(name);
  }
}
