import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { DType, Value } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests } from '../testing/support.js';

/** Builds one written form of GELU on x. */
function writeGelu(t: TestFn, x: Value, dtype: DType, form: { kind: 'erf' | 'tanh'; div: boolean; group: number; swaps: number; cube: number }): Value {
  const c = (v: number): Value => t.scalar(v, dtype);
  const mul = (a: Value, b: Value, bit: number): Value => ((form.swaps >> bit) & 1 ? t.op('mul', { x: b, y: a }) : t.op('mul', { x: a, y: b }));
  const add = (a: Value, b: Value, bit: number): Value => ((form.swaps >> bit) & 1 ? t.op('add', { x: b, y: a }) : t.op('add', { x: a, y: b }));
  let term: Value;
  if (form.kind === 'erf') {
    const arg = form.div ? t.op('div', { x, y: c(Math.SQRT2) }) : mul(x, c(Math.SQRT1_2), 0);
    term = add(t.op('erf', { x: arg }), c(1), 1);
  } else {
    const cube = form.cube === 0 ? t.op('pow', { x, y: c(3) }) : form.cube === 1 ? mul(x, mul(x, x, 2), 3) : mul(mul(x, x, 2), x, 3);
    const inner = add(x, mul(cube, c(0.044715), 4), 5);
    term = add(t.op('tanh', { x: mul(inner, c(Math.sqrt(2 / Math.PI)), 6) }), c(1), 1);
  }
  if (form.group === 0) return mul(mul(x, c(0.5), 7), term, 8);
  if (form.group === 1) return mul(x, mul(term, c(0.5), 7), 8);
  return mul(mul(x, term, 7), c(0.5), 8);
}

describe('fuse-gelu', () => {
  goldenTests('fuse-gelu');

  it('fuses every grouping and operand order of the erf and tanh forms (property)', () => {
    fc.assert(
      fc.property(
        fc.record({ kind: fc.constantFrom('erf' as const, 'tanh' as const), div: fc.boolean(), group: fc.integer({ min: 0, max: 2 }), swaps: fc.nat({ max: 511 }), cube: fc.integer({ min: 0, max: 2 }) }),
        fc.constantFrom('fp32' as const, 'fp16' as const),
        (form, dtype) => {
          const t = new TestFn();
          const x = t.op('neg', { x: t.input('x', dtype, [2, 5]) });
          const g = writeGelu(t, x, dtype, form);
          const p = t.done([t.op('relu', { x: g }, {}, 'y')]);
          const q = new PassManager().add('fuse-gelu').run(p).program;
          expect(countKinds(q)).toEqual({ neg: 1, gelu: 1, relu: 1 });
          const gelu = q.fn('main').body.ops.find((o) => o.kind === 'gelu')!;
          expect(gelu.attrs.mode).toBe(form.kind === 'erf' ? 'EXACT' : 'TANH_APPROXIMATION');
          // The formula rounds after every op in fp16; the fused op rounds once.
          expectSameOutputs(p, q, dtype === 'fp32' ? { abs: 1e-5, rel: 1e-5 } : { abs: 4e-3, rel: 4e-3 });
        },
      ),
      { numRuns: 80 },
    );
  });

  it('does not fuse when a constant is off or x differs', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [3]);
    const z = t.input('z', 'fp32', [3]);
    const e = t.op('add', { x: t.op('erf', { x: t.op('mul', { x, y: t.scalar(0.75) }) }), y: t.scalar(1) });
    const a = t.op('mul', { x: t.op('mul', { x, y: t.scalar(0.5) }), y: e });
    const e2 = t.op('add', { x: t.op('erf', { x: t.op('mul', { x: z, y: t.scalar(Math.SQRT1_2) }) }), y: t.scalar(1) });
    const b = t.op('mul', { x: t.op('mul', { x, y: t.scalar(0.5) }), y: e2 });
    const p = t.done([a, b]);
    expect(countKinds(new PassManager().add('fuse-gelu').run(p).program).gelu).toBeUndefined();
  });
});
