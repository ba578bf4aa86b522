import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Tensor, Value } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests, runAll, seeded, testInputs } from '../testing/support.js';

describe('rms-norm-for-ane', () => {
  goldenTests('rms-norm-for-ane');

  it('matches rms_norm over any axes, with or without gamma (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
          fc.record({ shape: fc.constant(shape), axes: fc.subarray([...shape.keys()], { minLength: 1 }), gamma: fc.boolean(), eps: fc.constantFrom(1e-6, 1e-2), seed: fc.nat() }),
        ),
        (c) => {
          const t = new TestFn();
          const x = t.input('x', 'fp32', c.shape);
          const gshape = c.axes.map((a) => c.shape[a]!);
          const gamma: Record<string, Value> = c.gamma ? { gamma: t.c('fp32', gshape, seeded(gshape.reduce((a, b) => a * b, 1), c.seed)) } : {};
          const p = t.done([t.op('rms_norm', { x, ...gamma }, { axes: c.axes, epsilon: c.eps }, 'y')]);
          const q = new PassManager().add('rms-norm-for-ane').run(p).program;
          const kinds = countKinds(q);
          expect(kinds.rms_norm).toBeUndefined();
          expect(kinds.layer_norm).toBe(1);
          expectSameOutputs(p, q, { abs: 1e-5, rel: 1e-4 });
        },
      ),
      { numRuns: 80 },
    );
  });

  it('agrees with a naive x / sqrt(mean(x^2) + eps) * gamma over the last axis', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [2, 5]);
    const g = [0.5, 1, 1.5, 2, -1];
    const p = t.done([t.op('rms_norm', { x, gamma: t.c('fp32', [5], g) }, { epsilon: 1e-3 }, 'y')]);
    const q = new PassManager().add('rms-norm-for-ane').run(p).program;
    const ins = testInputs(p, 11);
    const out = runAll(q, ins).get('main')![0]!;
    const xs: Tensor = ins.get('main')!.x!;
    for (let r = 0; r < 2; r++) {
      let ms = 0;
      for (let k = 0; k < 5; k++) ms += xs.data[r * 5 + k]! ** 2 / 5;
      for (let k = 0; k < 5; k++) expect(out.data[r * 5 + k]).toBeCloseTo((xs.data[r * 5 + k]! / Math.sqrt(ms + 1e-3)) * g[k]!, 4);
    }
  });
});
