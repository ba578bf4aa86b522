import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Value } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests } from '../testing/support.js';

function perm(rank: number, seed: number): number[] {
  const p = Array.from({ length: rank }, (_, i) => i);
  let s = seed;
  for (let i = rank - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

describe('cancel-transposes', () => {
  goldenTests('cancel-transposes');

  it('with remove-noops, leaves one transpose per chain, none when the chain is the identity (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 2, max: 4 }), (chains, rank) => {
        const t = new TestFn();
        const shape = [2, 3, 4, 5].slice(0, rank);
        let v: Value = t.input('x', 'fp32', shape);
        let expected = 0;
        for (const chain of chains) {
          // Compose the chain independently to know whether it is the identity.
          let order = Array.from({ length: rank }, (_, i) => i);
          for (const seed of chain) {
            const p = perm(rank, seed);
            v = t.op('transpose', { x: v }, { perm: p });
            order = p.map((i) => order[i]!);
          }
          if (!order.every((a, i) => a === i)) expected++;
          v = t.op('exp', { x: v });
        }
        const p = t.done([v]);
        const q = new PassManager().add('cancel-transposes').add('remove-noops').run(p).program;
        expect(countKinds(q).transpose ?? 0).toBe(expected);
        expectSameOutputs(p, q, { abs: 0, rel: 0 });
      }),
      { numRuns: 100 },
    );
  });
});
