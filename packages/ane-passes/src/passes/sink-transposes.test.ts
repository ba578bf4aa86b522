import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Attrs, Program, Value } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests, seeded } from '../testing/support.js';

/** A small LCG for test parameters (independent of the code under test). */
function rng(seed: number): (n: number) => number {
  let s = (seed * 2654435761 + 7) >>> 0;
  return (n) => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % n;
  };
}

/** A random permutation of 0..rank-1 (Fisher-Yates). */
function randomPerm(rank: number, seed: number): number[] {
  const next = rng(seed);
  const p = Array.from({ length: rank }, (_, i) => i);
  for (let i = rank - 1; i > 0; i--) {
    const j = next(i + 1);
    [p[i], p[j]] = [p[j]!, p[i]!];
  }
  return p;
}

/** Every transpose left in `p`, and whether each one produces a function output. */
function transposesAtOutputs(p: Program): { count: number; atOutputs: boolean } {
  let count = 0;
  let atOutputs = true;
  for (const fn of p.functions.values()) {
    for (const op of fn.body.ops) {
      if (op.kind !== 'transpose') continue;
      count++;
      if (!fn.outputs.includes(op.outputs[0]!)) atOutputs = false;
    }
  }
  return { count, atOutputs };
}

const MOVES = ['pad', 'slice', 'expand_dims', 'squeeze', 'unit-reshape', 'neg'] as const;

/**
 * One data-movement op on `v` (shape `s`) with parameters drawn from `seed`, chosen so the op
 * is valid: pads within reflect's limit, non-empty slices, squeezes of size-1 axes only.
 */
function move(t: TestFn, v: Value, kind: (typeof MOVES)[number], seed: number): Value {
  const next = rng(seed);
  const s = v.type.shape as readonly number[];
  const rank = s.length;
  switch (kind) {
    case 'pad': {
      const k = 1 + next(rank);
      const mode = (['constant', 'reflect', 'replicate'] as const)[next(3)]!;
      const pad: number[] = [];
      for (let i = rank - k; i < rank; i++) {
        const most = mode === 'reflect' ? s[i]! - 1 : 2;
        pad.push(next(most + 1), next(most + 1));
      }
      const attrs: Attrs = mode === 'constant' ? { pad, constant_val: next(5) - 2 } : { pad, mode };
      return t.op('pad', { x: v }, attrs);
    }
    case 'slice': {
      const begin: number[] = [], end: number[] = [], strides: number[] = [];
      for (const d of s) {
        const b = next(d);
        if (next(4) === 0) {
          // Backwards from b to the start of the axis.
          begin.push(b); end.push(-2147483648); strides.push(-1);
        } else {
          const e = b + 1 + next(d - b);
          begin.push(next(2) === 0 ? b : b - d);
          end.push(e === d && next(2) === 0 ? 2147483647 : e);
          strides.push(1 + next(2));
        }
      }
      return t.op('slice', { x: v }, { begin, end, strides });
    }
    case 'expand_dims': {
      const out = rank + 1 + next(2);
      const axes = new Set<number>();
      while (axes.size < out - rank) axes.add(next(out));
      return t.op('expand_dims', { x: v }, { axes: [...axes].map((a) => (next(2) === 0 ? a : a - out)) });
    }
    case 'squeeze': {
      const units = s.flatMap((d, i) => (d === 1 ? [i] : []));
      // Some axis stays, so the next op has rank 1 at least.
      if (units.length === rank) units.pop();
      if (units.length === 0) return t.op('neg', { x: v });
      if (next(3) === 0 && units.length === s.filter((d) => d === 1).length) return t.op('squeeze', { x: v });
      const axes = units.filter(() => next(2) === 0);
      return t.op('squeeze', { x: v }, { axes: axes.length > 0 ? axes : [units[0]!] });
    }
    case 'unit-reshape': {
      // Drop every size-1 axis, then insert up to two at random places (rank 1 at least).
      const shape = s.filter((d) => d !== 1);
      for (let n = Math.max(next(3), shape.length === 0 ? 1 : 0); n > 0; n--) shape.splice(next(shape.length + 1), 0, 1);
      return t.op('reshape', { x: v }, { shape });
    }
    case 'neg':
      return t.op('neg', { x: v });
  }
}

describe('sink-transposes', () => {
  goldenTests('sink-transposes');

  it('moves a transpose through elementwise chains so its inverse cancels it (property)', () => {
    const step = fc.record({ kind: fc.constantFrom('relu', 'exp', 'cast', 'add-const', 'const-sub', 'mul-scalar', 'max-row'), seed: fc.nat() });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 8 }), (steps) => {
        const t = new TestFn();
        const x = t.input('x', 'fp32', [2, 3, 4]);
        let v: Value = t.op('transpose', { x }, { perm: [2, 0, 1] });
        for (const s of steps) {
          if (s.kind === 'add-const') v = t.op('add', { x: v, y: t.c('fp32', [4, 2, 3], seeded(24, s.seed)) });
          else if (s.kind === 'const-sub') v = t.op('sub', { x: t.c('fp32', [2, 3], seeded(6, s.seed)), y: v });
          else if (s.kind === 'mul-scalar') v = t.op('mul', { x: v, y: t.c('fp32', [1, 1, 1], [1.5]) });
          else if (s.kind === 'max-row') v = t.op('maximum', { x: v, y: t.c('fp32', [3], seeded(3, s.seed)) });
          else if (s.kind === 'cast') v = t.op('cast', { x: t.op('cast', { x: v }, { dtype: 'fp16' }) }, { dtype: 'fp32' });
          else v = t.op(s.kind, { x: v });
        }
        const p = t.done([t.op('transpose', { x: v }, { perm: [1, 2, 0] }, 'y')]);
        const q = new PassManager().add('sink-transposes').add('cancel-transposes').add('fold-constants').run(p).program;
        expect(countKinds(q).transpose ?? 0).toBe(0);
        expectSameOutputs(p, q, { abs: 0, rel: 0 });
      }),
      { numRuns: 80 },
    );
  });

  it('moves a transpose through chains of pad, slice, expand_dims, squeeze and unit reshapes to the output (property)', () => {
    const dims = fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 2, maxLength: 4 });
    const step = fc.record({ kind: fc.constantFrom(...MOVES), seed: fc.nat() });
    fc.assert(
      fc.property(dims, fc.nat(), fc.array(step, { minLength: 1, maxLength: 6 }), (shape, permSeed, steps) => {
        const t = new TestFn();
        const x = t.input('x', 'fp32', shape);
        let v: Value = t.op('transpose', { x }, { perm: randomPerm(shape.length, permSeed) });
        for (const s of steps) {
          // Keep ranks small: expand only up to rank 5.
          const kind = s.kind === 'expand_dims' && v.type.shape.length > 3 ? 'squeeze' : s.kind;
          v = move(t, v, kind, s.seed);
        }
        const p = t.done([t.op('relu', { x: v }, {}, 'y')]);
        const q = new PassManager().add('sink-transposes').run(p, { numericCheck: true }).program;
        const after = transposesAtOutputs(q);
        // One transpose at most, and it has reached the function output.
        expect(after.count).toBeLessThanOrEqual(1);
        expect(after.atOutputs).toBe(true);
        expectSameOutputs(p, q, { abs: 0, rel: 0 });
      }),
      { numRuns: 150 },
    );
  });

  it('merges the transposes of a concat into one when every input has the same perm (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4 }),
        fc.tuple(fc.integer({ min: 2, max: 3 }), fc.integer({ min: 2, max: 3 }), fc.integer({ min: 2, max: 3 })),
        fc.integer({ min: 1, max: 5 }),
        fc.record({ pad: fc.boolean(), expandAt: fc.integer({ min: -4, max: 3 }), axis: fc.integer({ min: -4, max: 3 }), odd: fc.option(fc.nat(), { nil: undefined }) }),
        (layers, base, permIndex, o) => {
          // A perm of rank 3 other than the identity.
          const perms = [[0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
          const perm = perms[permIndex - 1]!;
          const target = perm.map((i) => base[i]!);
          // With one layer an odd perm is still the same perm everywhere.
          const oddLayer = o.odd === undefined || layers < 2 ? -1 : o.odd % layers;
          const oddPerm = perms[permIndex % perms.length]!;
          const t = new TestFn();
          const stacked: Value[] = [];
          for (let l = 0; l < layers; l++) {
            const p = l === oddLayer ? oddPerm : perm;
            // The input shape whose transpose by p is `target`.
            const shape = new Array<number>(3);
            p.forEach((a, i) => (shape[a] = target[i]!));
            let v: Value = t.op('transpose', { x: t.input(`k${l}`, 'fp32', shape) }, { perm: p });
            if (o.pad) v = t.op('pad', { x: v }, { pad: [0, 2, 0, 0] });
            stacked.push(t.op('expand_dims', { x: v }, { axes: [o.expandAt] }));
          }
          const p = t.done([t.op('concat', { values: stacked }, { axis: o.axis }, 'cache')]);
          const q = new PassManager().add('sink-transposes').run(p, { numericCheck: true }).program;
          const after = transposesAtOutputs(q);
          if (oddLayer < 0) {
            expect(after).toEqual({ count: 1, atOutputs: true });
          } else {
            // Mixed perms stop at the concat: one transpose per layer, right before it.
            expect(after.count).toBe(layers);
            for (const op of q.fn('main').body.ops) if (op.kind === 'transpose') expect(q.fn('main').body.ops.find((u) => u.kind === 'concat')!.inputValues()).toContain(op.outputs[0]);
          }
          expectSameOutputs(p, q, { abs: 0, rel: 0 });
        },
      ),
      { numRuns: 120 },
    );
  });
});
