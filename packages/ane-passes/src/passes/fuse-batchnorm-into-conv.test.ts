import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests, seeded } from '../testing/support.js';

describe('fuse-batchnorm-into-conv', () => {
  goldenTests('fuse-batchnorm-into-conv');

  it('folds the batch norm into regular and depthwise convs (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          c: fc.integer({ min: 1, max: 4 }),
          depthwise: fc.boolean(),
          k: fc.integer({ min: 1, max: 3 }),
          bias: fc.boolean(),
          gamma: fc.boolean(),
          beta: fc.boolean(),
          eps: fc.constantFrom(1e-5, 0.1),
          seed: fc.nat(),
        }),
        (c) => {
          const t = new TestFn();
          const x = t.input('x', 'fp32', [1, c.c, 4, 4]);
          const perOut = c.depthwise ? 1 : c.c;
          const w = t.c('fp32', [c.c, perOut, c.k, c.k], seeded(c.c * perOut * c.k * c.k, c.seed));
          const conv = t.op('conv2d', c.bias ? { x, weight: w, bias: t.c('fp32', [c.c], seeded(c.c, c.seed + 1)) } : { x, weight: w }, { groups: c.depthwise ? c.c : 1, pad_type: 'same' });
          const variance = seeded(c.c, c.seed + 2).map((v) => Math.abs(v) + 0.25);
          const bn = t.op('batch_norm', {
            x: conv,
            mean: t.c('fp32', [c.c], seeded(c.c, c.seed + 3)),
            variance: t.c('fp32', [c.c], variance),
            ...(c.gamma ? { gamma: t.c('fp32', [c.c], seeded(c.c, c.seed + 4)) } : {}),
            ...(c.beta ? { beta: t.c('fp32', [c.c], seeded(c.c, c.seed + 5)) } : {}),
          }, { epsilon: c.eps });
          const p = t.done([t.op('relu', { x: bn }, {}, 'y')]);
          const q = new PassManager().add('fuse-batchnorm-into-conv').run(p).program;
          const kinds = countKinds(q);
          expect(kinds.batch_norm).toBeUndefined();
          expect(kinds.conv2d).toBe(1);
          expectSameOutputs(p, q, { abs: 1e-5, rel: 1e-4 });
        },
      ),
      { numRuns: 60 },
    );
  });

  it('leaves a batch norm whose conv has another use', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [1, 1, 2, 2]);
    const conv = t.op('conv2d', { x, weight: t.c('fp32', [1, 1, 1, 1], [2]) });
    const bn = t.op('batch_norm', { x: conv, mean: t.c('fp32', [1], [0]), variance: t.c('fp32', [1], [1]) });
    const p = t.done([bn, conv]);
    expect(countKinds(new PassManager().add('fuse-batchnorm-into-conv').run(p).program).batch_norm).toBe(1);
  });
});
