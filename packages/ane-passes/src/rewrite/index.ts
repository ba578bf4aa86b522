/**
 * Declarative rewriting: patterns, the matcher, the greedy driver and pattern passes.
 * @module
 */
export * from './pattern.js';
export { Match, matchOp, matchValue } from './match.js';
export { RewriteBuilder, DEFAULT_INLINE_LIMIT } from './builder.js';
export { applyPatterns, applyPatternsToFunction, type ApplyPatternsOptions, type RewriteCounts } from './driver.js';
export { patternPass, type PatternPassDefinition } from './pattern-pass.js';
