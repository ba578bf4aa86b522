/**
 * A pass made of patterns: the few lines a custom pass needs.
 * @module
 */
import { definePass, type Pass, type PassContext } from '../pass.js';
import type { OptionSchema, OptionsOf } from '../options.js';
import { applyPatterns } from './driver.js';
import type { RewritePattern } from './pattern.js';

/** Definition of a pattern pass. */
export interface PatternPassDefinition<S extends OptionSchema> {
  readonly name: string;
  readonly summary: string;
  readonly doc: string;
  readonly options?: S;
  /** The patterns, or a function building them from the pass options. */
  readonly patterns: readonly RewritePattern[] | ((options: OptionsOf<S>) => readonly RewritePattern[]);
  /** Cap on rewrites per function (default: see applyPatternsToFunction). */
  readonly maxRewrites?: number;
}

/**
 * Declares a pass that applies `patterns` greedily to a fixpoint in every function, noting
 * how often each pattern fired.
 */
export function patternPass<const S extends OptionSchema = Record<never, never>>(def: PatternPassDefinition<S>): Pass<S> {
  return definePass<S>({
    name: def.name,
    summary: def.summary,
    doc: def.doc,
    options: (def.options ?? {}) as S,
    run(program, ctx: PassContext<OptionsOf<S>>) {
      const patterns = typeof def.patterns === 'function' ? def.patterns(ctx.options) : def.patterns;
      const counts = applyPatterns(program, patterns, {
        owner: def.name,
        ...(def.maxRewrites !== undefined ? { maxRewrites: def.maxRewrites } : {}),
      });
      for (const [name, n] of counts) ctx.note(`${name}: ${n}`);
    },
  });
}
