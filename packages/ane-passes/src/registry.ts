/**
 * Pass registries: passes by name, so pipelines can be written as lists of names.
 * @module
 */
import { passError } from './errors.js';
import type { AnyPass } from './pass.js';

/** A set of passes by name. */
export class PassRegistry {
  private readonly passes = new Map<string, AnyPass>();

  constructor(passes: Iterable<AnyPass> = []) {
    for (const p of passes) this.register(p);
  }

  /** Adds a pass; a name can be registered once (E_PASS_DUPLICATE). */
  register(pass: AnyPass): this {
    if (this.passes.has(pass.name)) throw passError('E_PASS_DUPLICATE', `a pass named '${pass.name}' is already registered`, { where: pass.name });
    this.passes.set(pass.name, pass);
    return this;
  }

  has(name: string): boolean {
    return this.passes.has(name);
  }

  /** The pass of that name; E_PASS_UNKNOWN lists close names. */
  get(name: string): AnyPass {
    const p = this.passes.get(name);
    if (!p) {
      const close = [...this.passes.keys()].filter((k) => k.includes(name) || name.includes(k) || k.split('-').some((w) => name.includes(w) && w.length > 3));
      throw passError('E_PASS_UNKNOWN', `no pass named '${name}'${close.length ? `; did you mean ${close.slice(0, 5).join(', ')}?` : ''}`, { where: name });
    }
    return p;
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.passes.keys()].sort();
  }

  /** Every registered pass, sorted by name. */
  all(): AnyPass[] {
    return this.names().map((n) => this.passes.get(n)!);
  }

  /** A copy that can be extended without touching this one. */
  clone(): PassRegistry {
    return new PassRegistry(this.passes.values());
  }
}
