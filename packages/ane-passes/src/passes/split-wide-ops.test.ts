import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Value } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, expectSameOutputs, goldenTests, seeded } from '../testing/support.js';
import { chunkSizes } from './split-wide-ops.js';

describe('split-wide-ops', () => {
  goldenTests('split-wide-ops');

  it('chunk sizes cover the channels, respect the limit, the part count and the alignment (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: 64 }), (total, max, parts, align) => {
        const sizes = chunkSizes(total, { maxChannels: max, parts, align });
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
        expect(sizes.every((s) => s > 0 && s <= max)).toBe(true);
        if (align <= max) expect(sizes.slice(0, -1).every((s) => s % align === 0)).toBe(true);
        const a = align <= max ? align : 1;
        expect(sizes.length).toBeGreaterThanOrEqual(Math.min(parts, Math.ceil(total / a)));
      }),
      { numRuns: 300 },
    );
  });

  it('splits wide linears and convs into ops within the limit, exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.record({ conv: fc.boolean(), o: fc.integer({ min: 1, max: 24 }), c: fc.integer({ min: 1, max: 3 }), max: fc.integer({ min: 1, max: 10 }), parts: fc.integer({ min: 0, max: 4 }), align: fc.integer({ min: 1, max: 4 }), bias: fc.boolean(), seed: fc.nat() }),
        (c) => {
          const t = new TestFn();
          let y: Value;
          if (c.conv) {
            const x = t.input('x', 'fp32', [1, c.c, 2, 2]);
            y = t.op('conv2d', { x, weight: t.c('fp32', [c.o, c.c, 1, 1], seeded(c.o * c.c, c.seed)), ...(c.bias ? { bias: t.c('fp32', [c.o], seeded(c.o, c.seed + 1)) } : {}) }, {}, 'y');
          } else {
            const x = t.input('x', 'fp32', [2, c.c]);
            y = t.op('linear', { x, weight: t.c('fp32', [c.o, c.c], seeded(c.o * c.c, c.seed)), ...(c.bias ? { bias: t.c('fp32', [c.o], seeded(c.o, c.seed + 1)) } : {}) }, {}, 'y');
          }
          const p = t.done([y]);
          const q = new PassManager().add('split-wide-ops', { maxChannels: c.max, parts: c.parts, align: c.align }).run(p).program;
          const wide = q.fn('main').body.ops.filter((o) => o.kind === 'conv2d' || o.kind === 'linear');
          for (const o of wide) expect((o.inputs.weight as Value).type.shape[0]).toBeLessThanOrEqual(c.o > c.max ? c.max : c.o);
          expect(wide.length).toBe(c.o > c.max ? chunkSizes(c.o, { maxChannels: c.max, parts: c.parts, align: c.align }).length : 1);
          expectSameOutputs(p, q, { abs: 0, rel: 0 });
        },
      ),
      { numRuns: 80 },
    );
  });
});
