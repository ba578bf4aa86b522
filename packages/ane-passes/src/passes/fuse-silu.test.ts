import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests } from '../testing/support.js';

describe('fuse-silu', () => {
  goldenTests('fuse-silu');

  it('fuses x * sigmoid(x) in either order inside random chains (property)', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.constantFrom('fp32' as const, 'fp16' as const), fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), (swap, dtype, shape) => {
        const t = new TestFn();
        const x = t.op('tanh', { x: t.input('x', dtype, shape) });
        const s = t.op('sigmoid', { x });
        const m = swap ? t.op('mul', { x: s, y: x }) : t.op('mul', { x, y: s });
        const p = t.done([t.op('exp', { x: m }, {}, 'y')]);
        const q = new PassManager().add('fuse-silu').run(p).program;
        expect(countKinds(q)).toEqual({ tanh: 1, silu: 1, exp: 1 });
        // silu and the decomposed product are both computed in fp32 then rounded: fp16 may
        // differ by one ulp of the product (and exp spreads it).
        expectSameOutputs(p, q, dtype === 'fp32' ? { abs: 1e-6, rel: 1e-6 } : { abs: 1e-3, rel: 2e-3 });
      }),
      { numRuns: 60 },
    );
  });
});
