import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests, seeded } from '../testing/support.js';

describe('fuse-conv-bias', () => {
  goldenTests('fuse-conv-bias');

  it('folds per-channel constants of every broadcast shape into the bias (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          cin: fc.integer({ min: 1, max: 3 }),
          cout: fc.integer({ min: 1, max: 4 }),
          hw: fc.integer({ min: 1, max: 3 }),
          form: fc.constantFrom('C', '1C11', 'C11', 'scalar', '1'),
          sub: fc.boolean(),
          swap: fc.boolean(),
          bias: fc.boolean(),
          seed: fc.nat(),
        }),
        (c) => {
          const t = new TestFn();
          // A [C] constant broadcasts over W: make W = C so the add is valid; it is per channel
          // only when C = 1.
          const hw = c.form === 'C' ? c.cout : c.hw;
          const x = t.input('x', 'fp32', [1, c.cin, hw, hw]);
          const w = t.c('fp32', [c.cout, c.cin, 1, 1], seeded(c.cout * c.cin, c.seed));
          const conv = t.op('conv2d', c.bias ? { x, weight: w, bias: t.c('fp32', [c.cout], seeded(c.cout, c.seed + 1)) } : { x, weight: w });
          const shape = { C: [c.cout], '1C11': [1, c.cout, 1, 1], C11: [c.cout, 1, 1], scalar: [], '1': [1] }[c.form];
          const perChannel = c.form !== 'C' || c.cout === 1;
          const k = t.c('fp32', shape, seeded(shape.reduce((a, b) => a * b, 1), c.seed + 2));
          const kind = c.sub ? 'sub' : 'add';
          const r = c.swap && !c.sub ? t.op(kind, { x: k, y: conv }) : t.op(kind, { x: conv, y: k });
          const p = t.done([t.op('relu', { x: r }, {}, 'y')]);
          const q = new PassManager().add('fuse-conv-bias').run(p).program;
          const kinds = countKinds(q);
          expect(kinds.add ?? 0).toBe(perChannel ? 0 : c.sub ? 0 : 1);
          expect(kinds.sub ?? 0).toBe(perChannel ? 0 : c.sub ? 1 : 0);
          expectSameOutputs(p, q, { abs: 1e-6, rel: 1e-6 });
        },
      ),
      { numRuns: 100 },
    );
  });
});
