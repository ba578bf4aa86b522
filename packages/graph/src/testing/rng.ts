/**
 * Seeded generators shared by the tests: reproducible data without fast-check (weights, inputs,
 * proposer choices). Two classic generators, so that data drawn before they were shared keeps
 * its exact values (pinned counterexamples and measured bounds depend on them). Test-only (not
 * exported from the package entry).
 * @module
 */

/** 2^32: maps a uint32 to [0, 1). */
const TWO_32 = 4294967296;

/**
 * Marsaglia's xorshift32 (shifts 13, 17, 5): a stream of uint32 values. Zero is its fixed
 * point, so a zero seed starts from 1 instead.
 */
export function xorshift32(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** The Numerical Recipes LCG s' = 1664525 s + 1013904223 (mod 2^32): a stream of uint32 values. */
export function lcg32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

/** Floats in [0, 1) from a uint32 stream (default: {@link xorshift32} of `seed`). */
export function uniform(seed: number, stream: (seed: number) => () => number = xorshift32): () => number {
  const next = stream(seed);
  return () => next() / TWO_32;
}
