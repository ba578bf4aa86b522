import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../ops/index.js';
import { FastVlmError } from '../errors.js';
import { FIXTURE_PROGRAM_OPTIONS, MIXED_PROGRAM_OPTIONS, registerFixtureOps } from '../testing/fixture-ops.js';
import { arbProgram } from '../testing/random-graph.js';
import { tensor } from '../tensor.js';
import { WeightStore, memorySource } from '../weights/store.js';
import { FunctionBuilder } from './build.js';
import { Func, Op, Program, Value } from './types.js';
import { collectDiagnostics, verifyProgram } from './verify.js';

registerFixtureOps();


/** A small valid program: const weight, add, relu (with a loc), split, concat. */
function sample(weights: WeightStore = storeWith('fp32', [2, 3])) {
  const b = new FunctionBuilder('main');
  const x = b.input('x', { dtype: 'fp32', shape: [2, 3] });
  const [w] = b.add('const', {}, { dtype: 'fp32', shape: [2, 3], weight: 'w' }, { names: ['w'] });
  const [s] = b.add('test_add', { x, y: w! }, {}, { names: ['s'] });
  const [r] = b.add('test_relu', { x: s! }, {}, { names: ['r'], loc: { file: 'model.ts', line: 7, col: 3 } });
  const [a, c] = b.add('test_split', { x: r! }, { axis: 0, num_splits: 2 }, { names: ['a', 'c'] });
  const [cat] = b.add('test_concat', { values: [c!, a!] }, { axis: 0 }, { names: ['cat'] });
  b.output(cat!, r!);
  const p = new Program(weights);
  p.addFunction(b.fn);
  const ops = b.fn.body.ops;
  return { p, fn: b.fn, x: x, ops, vals: { w: w!, s: s!, r: r!, a: a!, c: c!, cat: cat! } };
}

function storeWith(dtype: 'fp32' | 'fp16', shape: number[]): WeightStore {
  const ws = new WeightStore();
  ws.add('w', memorySource(tensor(dtype, shape, new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(1))));
  return ws;
}

/** The diagnostics' `check` details, in order. */
function checks(p: Program): string[] {
  return collectDiagnostics(p).map((e) => String(e.details['check']));
}

function only(p: Program, check: string): FastVlmError {
  const ds = collectDiagnostics(p);
  expect(ds.map((d) => d.details['check'])).toEqual([check]);
  const d = ds[0]!;
  expect(d.code).toBe('E_VERIFY');
  expect(() => verifyProgram(p)).toThrow(d.message);
  return d;
}

describe('verifyProgram', () => {
  it('accepts a valid program', () => {
    const { p } = sample();
    expect(collectDiagnostics(p)).toEqual([]);
    expect(() => verifyProgram(p)).not.toThrow();
  });

  it('reports a use before definition, naming function, op, values and loc', () => {
    const { p, fn, ops } = sample();
    // relu (uses %s) now comes before the add that defines %s.
    fn.body.ops = [ops[0]!, ops[2]!, ops[1]!, ops[3]!, ops[4]!];
    const d = only(p, 'ssa-order');
    expect(d.message).toContain("function 'main'");
    expect(d.message).toContain('test_relu');
    expect(d.message).toContain('%r');
    expect(d.message).toContain('%s');
    expect(d.loc).toEqual({ file: 'model.ts', line: 7, col: 3 });
    expect(d.message.startsWith('model.ts:7:3: E_VERIFY')).toBe(true);
  });

  it('reports an op using its own result', () => {
    const { p, ops, vals } = sample();
    ops[2]!.inputs = { x: vals.r };
    expect(checks(p)).toEqual(['ssa-order']);
  });

  it('reports duplicate value names and invalid names', () => {
    const { p, vals } = sample();
    vals.r.name = 's';
    const d = only(p, 'value-name');
    expect(d.message).toContain('%s');
    expect(d.message).toContain('test_relu');
    vals.r.name = 'r';
    vals.a.name = 'bad name';
    expect(only(p, 'value-name').message).toContain("'bad name'");
  });

  it('reports a function input that duplicates a result name', () => {
    const { p, x } = sample();
    x.name = 'cat';
    expect(checks(p)).toEqual(['value-name']);
  });

  it('reports a declared type that differs from inference, with both types', () => {
    const { p, vals } = sample();
    vals.s.type = { dtype: 'fp32', shape: [2, 4] };
    const ds = collectDiagnostics(p);
    // The wrong type also breaks the consumer (relu re-infers from the bad input).
    expect(ds[0]!.details['check']).toBe('output-type');
    expect(ds[0]!.message).toContain('fp32[2,4]');
    expect(ds[0]!.message).toContain('fp32[2,3]');
    expect(ds[0]!.message).toContain('test_add');
    expect(ds[0]!.details['declared']).toBe('fp32[2,4]');
    expect(ds[0]!.details['inferred']).toBe('fp32[2,3]');
  });

  it('reports a dtype change', () => {
    const { p, vals } = sample();
    vals.cat.type = { dtype: 'fp16', shape: [2, 3] };
    expect(checks(p)).toEqual(['output-type']);
  });

  it('reports a wrong number of results', () => {
    const { p, ops } = sample();
    const split = ops[3]!;
    split.outputs = [split.outputs[0]!];
    // %c (dropped) is still used by concat: its producer no longer lists it.
    expect(checks(p)).toEqual(['output-count', 'dangling-use']);
  });

  it('reports missing and foreign function outputs', () => {
    const { p, fn } = sample();
    fn.body.outputs = [];
    expect(only(p, 'function-output').message).toContain('no outputs');
    fn.body.outputs = [new Value('ghost', { dtype: 'fp32', shape: [] })];
    expect(only(p, 'function-output').message).toContain('%ghost');
    const other = sample();
    fn.body.outputs = [other.vals.r];
    expect(checks(p)).toEqual(['function-output']);
  });

  it('reports an unknown op kind', () => {
    const { p, ops } = sample();
    ops[2]!.kind = 'no_such_op';
    const d = only(p, 'op-unknown');
    expect(d.message).toContain('no_such_op');
  });

  it('reports an op whose attributes fail validation, keeping the cause code', () => {
    const { p, ops } = sample();
    ops[4]!.attrs = { axis: 5 };
    const d = only(p, 'op-invalid');
    expect(d.details['cause']).toBe('E_ATTR');
    ops[4]!.attrs = { axis: 0, bogus: 1 };
    expect(only(p, 'op-invalid').details['cause']).toBe('E_ATTR');
  });

  it('reports a dangling weight and a weight of another type', () => {
    const missing = sample(new WeightStore());
    const d = only(missing.p, 'weight');
    expect(d.message).toContain("'w'");
    expect(d.message).toContain('const');
    expect(only(sample(storeWith('fp16', [2, 3])).p, 'weight').message).toContain('fp16[2,3]');
    expect(only(sample(storeWith('fp32', [3, 2])).p, 'weight').message).toContain('fp32[3,2]');
  });

  it('reports uses of values whose producer was removed or that have none', () => {
    const { p, fn, ops } = sample();
    fn.body.ops = ops.filter((_, i) => i !== 1);
    const d = only(p, 'dangling-use');
    expect(d.message).toContain('%s');
    const q = sample();
    q.ops[2]!.inputs = { x: new Value('orphan', { dtype: 'fp32', shape: [2, 3] }) };
    expect(only(q.p, 'dangling-use').message).toContain('%orphan');
  });

  it('reports a value of another function', () => {
    const { p, ops } = sample();
    const other = sample();
    ops[2]!.inputs = { x: other.vals.s };
    expect(checks(p)).toEqual(['dangling-use']);
    ops[2]!.inputs = { x: other.x };
    expect(checks(p)).toEqual(['dangling-use']);
  });

  it('reports broken producer links', () => {
    const { p, ops, vals, x } = sample();
    vals.r.producer = ops[1]!;
    expect(checks(p)).toEqual(['producer-link']);
    vals.r.producer = ops[2]!;
    x.producer = ops[1]!;
    expect(checks(p)).toEqual(['producer-link']);
  });

  it('reports the same op object listed twice', () => {
    const { p, fn, ops } = sample();
    fn.body.ops = [...ops, ops[2]!];
    expect(checks(p)).toContain('ssa-order');
  });

  it('reports bad, mismatched and duplicate function names', () => {
    const { p, fn } = sample();
    fn.name = 'bad-name';
    expect(checks(p)).toEqual(['function-name', 'function-name']); // key differs, invalid name
    const q = new Program(new WeightStore());
    const f = new Func('f', [], undefined);
    const g = new Func('f', [], undefined);
    for (const h of [f, g]) {
      const b = new FunctionBuilder('f', h);
      b.output(b.add('const', {}, { dtype: 'fp32', shape: [], value: [1] })[0]!);
    }
    q.functions.set('f', f);
    q.functions.set('g', g);
    expect(checks(q)).toEqual(['function-name', 'function-name']); // key 'g' != 'f', 'f' twice
  });

  it('collects every problem, in function and body order', () => {
    const { p, ops, vals, fn } = sample();
    ops[1]!.kind = 'nope';
    vals.cat.type = { dtype: 'fp16', shape: [1] };
    fn.body.outputs = [];
    expect(checks(p)).toEqual(['op-unknown', 'output-type', 'function-output']);
    expect(collectDiagnostics(p).every((e) => e instanceof FastVlmError && e.code === 'E_VERIFY')).toBe(true);
  });

  it('accepts random valid programs', () => {
    fc.assert(
      fc.property(arbProgram(MIXED_PROGRAM_OPTIONS), (p) => {
        expect(collectDiagnostics(p)).toEqual([]);
      }),
      { numRuns: 60 },
    );
  });

  it('detects exactly the SSA violations of a reversed body (naive reference)', () => {
    fc.assert(
      fc.property(arbProgram({ ...FIXTURE_PROGRAM_OPTIONS, maxFunctions: 1 }), (p) => {
        const fn = [...p.functions.values()][0]!;
        fn.body.ops.reverse();
        // Reference: an op uses a result of an op placed after it (or not at all).
        let violations = 0;
        fn.body.ops.forEach((op, i) => {
          for (const v of op.inputValues()) {
            const at = fn.body.ops.findIndex((o) => o.outputs.includes(v));
            if (at >= i) violations++;
          }
        });
        const ds = collectDiagnostics(p).filter((d) => d.details['check'] === 'ssa-order');
        expect(ds.length).toBe(violations);
      }),
      { numRuns: 60 },
    );
  });

  it('checks ops built without the builder', () => {
    const p = new Program(new WeightStore());
    const x = new Value('x', { dtype: 'fp32', shape: [3] });
    const y = new Value('y', { dtype: 'fp32', shape: [3] });
    const f = new Func('main', [x]);
    f.body.ops.push(new Op('test_relu', { x }, {}, [y]));
    f.body.outputs = [y];
    p.addFunction(f);
    expect(collectDiagnostics(p)).toEqual([]);
    f.body.ops[0]!.inputs = { x, extra: x };
    expect(collectDiagnostics(p)[0]!.details['cause']).toBe('E_INPUT');
    // Holes left by a buggy pass are diagnosed, not crashed on.
    f.body.ops[0]!.inputs = { x: undefined as unknown as Value };
    f.body.outputs = [y, null as unknown as Value];
    const ds = collectDiagnostics(p);
    expect(ds.map((d) => d.details['check'])).toEqual(['dangling-use', 'function-output']);
    expect(ds[0]!.message).toContain('undefined');
    expect(ds[1]!.message).toContain('null');
  });
});
