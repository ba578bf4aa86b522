import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../ops/index.js';
import { FastVlmError } from '../errors.js';
import { interpret } from '../interpret/interpreter.js';
import { Program } from '../ir/types.js';
import { collectDiagnostics } from '../ir/verify.js';
import type { Tensor } from '../tensor.js';
import { FIXTURE_PROGRAM_OPTIONS, MIXED_PROGRAM_OPTIONS, registerFixtureOps } from '../testing/fixture-ops.js';
import { arbProgram, randomInputs } from '../testing/random-graph.js';
import { FunctionBuilder } from '../ir/build.js';
import { WeightStore } from '../weights/store.js';
import { parseProgram } from './parse.js';
import { printProgram } from './print.js';

registerFixtureOps();

/** Runs a function, capturing either its outputs or the error code. */
function run(p: Program, fn: string, inputs: Record<string, Tensor>): { code: string } | { out: [string, string, number[], number[]][] } {
  try {
    const out = interpret(p, fn, inputs);
    return { out: [...out].map(([k, t]) => [k, t.dtype, [...t.shape], Array.from(t.data)]) };
  } catch (e) {
    if (e instanceof FastVlmError) return { code: e.code };
    throw e;
  }
}

/** Op-by-op structural comparison (kinds, names, attributes, types, wiring by name). */
function structure(p: Program): unknown {
  return [...p.functions.values()].map((f) => ({
    name: f.name,
    inputs: f.inputs.map((v) => [v.name, v.type]),
    ops: f.body.ops.map((op) => ({
      kind: op.kind,
      inputs: Object.entries(op.inputs).map(([k, v]) => [k, Array.isArray(v) ? v.map((x: { name: string }) => x.name) : (v as { name: string }).name]),
      attrs: op.attrs,
      outputs: op.outputs.map((o) => [o.name, o.type]),
    })),
    outputs: f.outputs.map((v) => v.name),
  }));
}

describe('text round trip', () => {
  for (const [label, opts] of [
    ['fixture ops with symbolic dims', { ...FIXTURE_PROGRAM_OPTIONS, symbolic: true }],
    ['registered default kinds and fixture ops', MIXED_PROGRAM_OPTIONS],
  ] as const) {
    it(`print(parse(print(p))) === print(p) and the structure is kept: ${label}`, () => {
      fc.assert(
        fc.property(arbProgram(opts), (p) => {
          const text = printProgram(p);
          const q = parseProgram(text, p.weights);
          expect(printProgram(q)).toBe(text);
          expect(structure(q)).toEqual(structure(p));
          expect(collectDiagnostics(q)).toEqual([]);
          // Every parsed op carries its line: line numbers increase through each function.
          for (const f of q.functions.values()) {
            const lines = f.body.ops.map((o) => o.loc!.line);
            expect([...lines].sort((a, b) => a - b)).toEqual(lines);
            expect(new Set(lines).size).toBe(lines.length);
          }
        }),
        { numRuns: 60 },
      );
    });

    it(`interpreting the parsed program equals interpreting the original: ${label}`, () => {
      fc.assert(
        fc.property(arbProgram(opts), fc.nat(), (p, seed) => {
          const q = parseProgram(printProgram(p), p.weights);
          for (const [name, f] of p.functions) {
            const inputs = randomInputs(f, seed);
            const a = run(p, name, inputs);
            // Same results bit for bit (NaN-aware), or the same coded failure.
            expect(run(q, name, inputs)).toEqual(a);
            if ('out' in a) expect(a.out.length).toBe(new Set(f.outputs).size);
          }
        }),
        { numRuns: 40 },
      );
    });
  }
});

describe('attribute literals round trip', () => {
  const symbol = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,6}$/);
  it('keeps any string, double, integer list and dims list exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 0x10ffff })), { maxLength: 30 }).map((cs) => String.fromCodePoint(...cs)),
        fc.double(),
        fc.array(fc.double(), { maxLength: 4 }),
        fc.array(fc.maxSafeInteger(), { maxLength: 4 }),
        fc.array(fc.oneof(fc.maxSafeNat(), symbol), { maxLength: 4 }),
        fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
        (free, f, fs, is, ds, ss) => {
          const b = new FunctionBuilder('main');
          const x = b.input('x', { dtype: 'fp32', shape: [1] });
          b.output(b.add('test_attrs', { x }, { free, f, fs, is, ds, ss })[0]!);
          const p = new Program(new WeightStore());
          p.addFunction(b.fn);
          const text = printProgram(p);
          const q = parseProgram(text);
          expect(printProgram(q)).toBe(text);
          const attrs = q.fn('main').body.ops[0]!.attrs;
          expect(attrs['free']).toBe(free);
          expect(Object.is(attrs['f'], f)).toBe(true);
          expect((attrs['fs'] as number[]).every((v, i) => Object.is(v, fs[i]))).toBe(true);
          expect(attrs['is']).toEqual(is);
          expect(attrs['ds']).toEqual(ds);
          expect(attrs['ss']).toEqual(ss);
        },
      ),
      { numRuns: 200 },
    );
  });
});
