import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../ops/index.js';
import { isFastVlmError } from '../errors.js';
import { interpret } from '../interpret/interpreter.js';
import { collectDiagnostics } from '../ir/verify.js';
import { hasOp } from '../ops/registry.js';
import { FIXTURE_KINDS, FIXTURE_PROGRAM_OPTIONS, MIXED_PROGRAM_OPTIONS, registerFixtureOps } from './fixture-ops.js';
import { DEFAULT_KINDS, Rng, arbProgram, availableKinds, buildRandomProgram, randomInputs } from './random-graph.js';

registerFixtureOps();


function kindsUsed(opts: Parameters<typeof arbProgram>[0], runs: number): Map<string, number> {
  const used = new Map<string, number>();
  for (const p of fc.sample(arbProgram(opts), { numRuns: runs, seed: 7 })) {
    for (const fn of p.functions.values()) for (const op of fn.body.ops) used.set(op.kind, (used.get(op.kind) ?? 0) + 1);
  }
  return used;
}

describe('arbProgram', () => {
  it('builds valid programs of 1-3 functions, each with ops and outputs', () => {
    fc.assert(
      fc.property(arbProgram(MIXED_PROGRAM_OPTIONS), (p) => {
        expect(p.functions.size).toBeGreaterThanOrEqual(1);
        expect(p.functions.size).toBeLessThanOrEqual(3);
        for (const fn of p.functions.values()) {
          expect(fn.body.ops.length).toBeGreaterThan(0);
          expect(fn.outputs.length).toBeGreaterThan(0);
        }
        expect(collectDiagnostics(p)).toEqual([]);
      }),
      { numRuns: 80 },
    );
  });

  it('draws a variety of the fixture kinds, including multi-result and variadic ops', () => {
    const used = kindsUsed(FIXTURE_PROGRAM_OPTIONS, 100);
    for (const k of FIXTURE_KINDS) expect(used.get(k) ?? 0).toBeGreaterThan(0);
  });

  it('uses only registered default kinds, and most of those that are registered', () => {
    const registered = DEFAULT_KINDS.filter((k) => hasOp(k));
    expect(availableKinds()).toEqual(registered);
    const used = kindsUsed({}, 150);
    for (const k of used.keys()) expect(registered).toContain(k);
    // `const` always fits; other kinds may reject candidates, but most must appear.
    expect(used.get('const') ?? 0).toBeGreaterThan(0);
    expect(used.size).toBeGreaterThanOrEqual(Math.ceil(registered.length / 2));
  });

  it('is deterministic for a recipe', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ inputs: fc.constant([{ dtype: 'fp32' as const, shape: [2, 3] }]), steps: fc.array(fc.integer({ min: 1, max: 1e9 }), { minLength: 1, maxLength: 6 }), outputs: fc.constant([1]) }), { minLength: 1, maxLength: 2 }), (recipes) => {
        const a = buildRandomProgram(recipes, FIXTURE_PROGRAM_OPTIONS);
        const b = buildRandomProgram(recipes, FIXTURE_PROGRAM_OPTIONS);
        const sig = (p: typeof a): string => [...p.functions.values()].map((f) => f.body.ops.map((o) => `${o.kind}:${o.outputs.map((v) => v.name).join(',')}:${JSON.stringify(o.attrs)}`).join(';')).join('|');
        expect(sig(a)).toBe(sig(b));
      }),
      { numRuns: 30 },
    );
  });

  it('supports symbolic input dims and still interprets', () => {
    let symbolic = 0;
    fc.assert(
      fc.property(arbProgram({ ...FIXTURE_PROGRAM_OPTIONS, symbolic: true }), fc.nat(), (p, seed) => {
        expect(collectDiagnostics(p)).toEqual([]);
        for (const [name, fn] of p.functions) {
          if (fn.inputs.some((v) => v.type.shape.some((d) => typeof d === 'string'))) symbolic++;
          const out = interpret(p, name, randomInputs(fn, seed));
          expect(out.size).toBe(new Set(fn.outputs).size);
        }
      }),
      { numRuns: 60 },
    );
    expect(symbolic).toBeGreaterThan(0);
  });

  it('reports when no requested kind is registered', () => {
    let err: unknown;
    try {
      availableKinds({ kinds: ['no_such_op_a', 'no_such_op_b'] });
    } catch (e) {
      err = e;
    }
    expect(isFastVlmError(err, 'E_OP_UNKNOWN')).toBe(true);
  });
});

describe('randomInputs', () => {
  it('gives seeded tensors matching the declared types, one size per symbol', () => {
    fc.assert(
      fc.property(arbProgram({ ...FIXTURE_PROGRAM_OPTIONS, symbolic: true }), fc.nat(), (p, seed) => {
        for (const fn of p.functions.values()) {
          const a = randomInputs(fn, seed);
          const b = randomInputs(fn, seed);
          expect(Object.keys(a)).toEqual(fn.inputs.map((v) => v.name));
          const sizes = new Map<string, number>();
          for (const v of fn.inputs) {
            const t = a[v.name]!;
            expect(t.dtype).toBe(v.type.dtype);
            expect(t.shape.length).toBe(v.type.shape.length);
            v.type.shape.forEach((d, i) => {
              const n = t.shape[i]!;
              if (typeof d === 'number') expect(n).toBe(d);
              else {
                expect(n).toBeGreaterThanOrEqual(1);
                expect(n).toBeLessThanOrEqual(4);
                if (sizes.has(d)) expect(n).toBe(sizes.get(d));
                sizes.set(d, n);
              }
            });
            expect(t.data.length).toBe(t.shape.reduce((x, y) => x * y, 1));
            expect(Array.from(t.data)).toEqual(Array.from(b[v.name]!.data));
            for (const x of t.data) expect(Math.abs(x)).toBeLessThanOrEqual(2);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('honours given symbol sizes', () => {
    const t = randomInputs({ inputs: [{ name: 'x', type: { dtype: 'fp32', shape: ['n', 2] }, producer: null }] as never }, 3, new Map([['n', 5]]));
    expect(t['x']!.shape).toEqual([5, 2]);
  });
});

describe('Rng', () => {
  it('stays in range and is seed-deterministic', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: -5, max: 5 }), fc.integer({ min: 0, max: 10 }), (seed, lo, span) => {
        const a = new Rng(seed);
        const b = new Rng(seed);
        for (let i = 0; i < 20; i++) {
          const x = a.int(lo, lo + span);
          expect(x).toBe(b.int(lo, lo + span));
          expect(x).toBeGreaterThanOrEqual(lo);
          expect(x).toBeLessThanOrEqual(lo + span);
        }
        const perm = a.perm(span);
        expect([...perm].sort((x, y) => x - y)).toEqual(Array.from({ length: span }, (_, i) => i));
      }),
    );
  });
});
