import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Value } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests } from '../testing/support.js';

const NOOPS = ['add0', 'add0-left', 'sub0', 'mul1', 'mul1-left', 'div1', 'pow1', 'reshape', 'transpose', 'cast', 'slice', 'concat', 'split', 'pad'] as const;

describe('remove-noops', () => {
  goldenTests('remove-noops');

  it('removes every no-op of random chains, keeping real ops and outputs exactly (property)', () => {
    const step = fc.oneof(fc.constantFrom(...NOOPS), fc.constantFrom('exp', 'tanh', 'scale'));
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), fc.constantFrom('fp32' as const, 'fp16' as const), (steps, dtype) => {
        const t = new TestFn();
        let v: Value = t.input('x', dtype, [2, 3]);
        let real = 0;
        for (const s of steps) {
          switch (s) {
            case 'add0': v = t.op('add', { x: v, y: t.scalar(0, dtype) }); break;
            case 'add0-left': v = t.op('add', { x: t.c(dtype, [1, 3], [0, 0, 0]), y: v }); break;
            case 'sub0': v = t.op('sub', { x: v, y: t.scalar(-0, dtype) }); break;
            case 'mul1': v = t.op('mul', { x: v, y: t.scalar(1, dtype) }); break;
            case 'mul1-left': v = t.op('mul', { x: t.c(dtype, [2, 1], [1, 1]), y: v }); break;
            case 'div1': v = t.op('div', { x: v, y: t.scalar(1, dtype) }); break;
            case 'pow1': v = t.op('pow', { x: v, y: t.scalar(1, dtype) }); break;
            case 'reshape': v = t.op('reshape', { x: v }, { shape: [2, 3] }); break;
            case 'transpose': v = t.op('transpose', { x: v }, { perm: [0, 1] }); break;
            case 'cast': v = t.op('cast', { x: v }, { dtype }); break;
            case 'slice': v = t.op('slice', { x: v }, { begin: [0, -3], end: [5, 3] }); break;
            case 'concat': v = t.op('concat', { values: [v] }, { axis: 1 }); break;
            case 'split': v = t.ops('split', { x: v }, { axis: 0, num_splits: 1 })[0]!; break;
            case 'pad': v = t.op('pad', { x: v }, { pad: [0, 0] }); break;
            case 'scale': v = t.op('mul', { x: v, y: t.scalar(1.5, dtype) }); real += 2; break;
            default: v = t.op(s, { x: v }); real++;
          }
        }
        const p = t.done([t.op('relu', { x: v }, {}, 'y')]);
        const q = new PassManager().add('remove-noops').run(p).program;
        const kinds = countKinds(q);
        const total = Object.values(kinds).reduce((a, b) => a + b, 0);
        expect(total).toBe(real + 1);
        expectSameOutputs(p, q, { abs: 0, rel: 0 });
      }),
      { numRuns: 80 },
    );
  });

  it('keeps ops whose constant is not exactly the identity or that broadcast wider', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [3]);
    const a = t.op('mul', { x, y: t.scalar(1.0000001) });
    const b = t.op('add', { x: a, y: t.c('fp32', [2, 1], [0, 0]) });
    const c = t.op('slice', { x }, { begin: [2], end: [0], strides: [-1] });
    const p = t.done([b, c]);
    const q = new PassManager().add('remove-noops').run(p).program;
    expect(countKinds(q)).toEqual(countKinds(p));
  });
});
