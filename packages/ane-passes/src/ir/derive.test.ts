import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Program, type Tensor, type Value, WeightStore, memorySource, printProgram, tensor } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, expectSameOutputs, seeded } from '../testing/support.js';
import { addDerivedWeight, derivationKey, findDerivedWeight } from './derive.js';

function setup() {
  const store = new WeightStore();
  store.add('w', memorySource(tensor('fp32', [2, 3], seeded(6, 1))));
  // A second name for the same source: the same tensor.
  store.add('alias', store.source('w'));
  store.add('other', memorySource(tensor('fp32', [2, 3], seeded(6, 1))));
  const t = new TestFn();
  const x = t.input('x', 'fp32', [2, 3]);
  const w = t.op('const', {}, { dtype: 'fp32', shape: [2, 3], weight: 'w' }, 'w');
  const alias = t.op('const', {}, { dtype: 'fp32', shape: [2, 3], weight: 'alias' }, 'alias');
  const other = t.op('const', {}, { dtype: 'fp32', shape: [2, 3], weight: 'other' }, 'other');
  const c1 = t.c('fp32', [2], [1, 2]);
  const c2 = t.c('fp32', [2], [1, 2]);
  const c3 = t.c('fp32', [2], [1, -0]);
  const c4 = t.c('fp32', [2], [1, 0]);
  const p = t.done([t.op('add', { x, y: w })], store);
  return { p, x, w, alias, other, c1, c2, c3, c4 };
}

const key = (p: Program, transform: string, inputs: (Value | undefined)[], params = {}, shape = [6]): string | undefined => derivationKey(p, { transform, params, inputs }, 'fp32', shape);

describe('derivationKey', () => {
  it('is equal for the same transform, parameters and source tensors, whatever the names', () => {
    const { p, w, alias, c1, c2 } = setup();
    expect(key(p, 'reshape', [w])).toBeDefined();
    expect(key(p, 'reshape', [w])).toBe(key(p, 'reshape', [alias]));
    expect(key(p, 'clamp', [c1], { floor: -1 })).toBe(key(p, 'clamp', [c2], { floor: -1 }));
    expect(key(p, 'mix', [w, undefined], { perm: [1, 0], on: true })).toBe(key(p, 'mix', [alias, undefined], { on: true, perm: [1, 0] }));
  });

  it('differs when anything the result depends on differs', () => {
    const { p, w, other, c1, c3, c4 } = setup();
    const base = key(p, 'reshape', [w]);
    // Equal values in another source are another tensor as far as the key knows.
    expect(key(p, 'reshape', [other])).not.toBe(base);
    expect(key(p, 'transpose', [w])).not.toBe(base);
    expect(key(p, 'reshape', [w], { perm: [1, 0] })).not.toBe(base);
    expect(key(p, 'reshape', [w], { perm: [0, 1] })).not.toBe(key(p, 'reshape', [w], { perm: [1, 0] }));
    expect(key(p, 'reshape', [w], {}, [3, 2])).not.toBe(base);
    expect(derivationKey(p, { transform: 'reshape', inputs: [w] }, 'fp16', [6])).not.toBe(base);
    expect(key(p, 'add', [w, undefined])).not.toBe(key(p, 'add', [w, c1]));
    expect(key(p, 'add', [c3])).not.toBe(key(p, 'add', [c4]));
    expect(key(p, 'add', [c1])).not.toBe(key(p, 'add', [c4]));
    expect(key(p, 'clamp', [c1], { floor: 0 })).not.toBe(key(p, 'clamp', [c1], { floor: -0 }));
    expect(key(p, 'clamp', [c1], { mode: '1' })).not.toBe(key(p, 'clamp', [c1], { mode: 1 }));
  });

  it('follows the store: a replaced weight is another tensor; non-constants have no key', () => {
    const { p, x, w } = setup();
    const before = key(p, 'reshape', [w]);
    p.weights.replace('w', memorySource(tensor('fp32', [2, 3], seeded(6, 2))));
    expect(key(p, 'reshape', [w])).not.toBe(before);
    expect(key(p, 'reshape', [x])).toBeUndefined();
    p.weights.delete('w');
    expect(key(p, 'reshape', [w])).toBeUndefined();
  });
});

describe('addDerivedWeight', () => {
  it('adds one lazy entry per derivation, named after the first hint', () => {
    const { p, w, alias } = setup();
    let calls = 0;
    const compute = (): Tensor => {
      calls++;
      return tensor('fp32', [6], [1, 2, 3, 4, 5, 6]);
    };
    const size = p.weights.size;
    const k = key(p, 'reshape', [w])!;
    const a = addDerivedWeight(p, k, 'w.flat', 'fp32', [6], compute);
    const b = addDerivedWeight(p, key(p, 'reshape', [alias]), 'alias.flat', 'fp32', [6], compute);
    expect(a).toBe('w.flat');
    expect(b).toBe('w.flat');
    expect(p.weights.size).toBe(size + 1);
    expect(calls).toBe(0);
    expect(Array.from(p.weights.read(a).data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(calls).toBe(1);
    // Another derivation under the same hint gets a fresh name; no key never shares.
    expect(addDerivedWeight(p, key(p, 'transpose', [w]), 'w.flat', 'fp32', [6], compute)).toBe('w.flat.1');
    expect(addDerivedWeight(p, undefined, 'w.flat', 'fp32', [6], compute)).toBe('w.flat.2');
    expect(addDerivedWeight(p, undefined, 'w.flat', 'fp32', [6], compute)).toBe('w.flat.3');
    expect(p.weights.size).toBe(size + 4);
  });

  it('recreates an entry that was pruned or replaced, and finds entries merged from another store', () => {
    const { p, w } = setup();
    const k = key(p, 'reshape', [w])!;
    const compute = (): Tensor => tensor('fp32', [6], [0, 0, 0, 0, 0, 0]);
    const name = addDerivedWeight(p, k, 'd', 'fp32', [6], compute);
    p.weights.delete(name);
    expect(findDerivedWeight(p.weights, k)).toBeUndefined();
    expect(addDerivedWeight(p, k, 'd', 'fp32', [6], compute)).toBe('d');
    p.weights.replace('d', memorySource(tensor('fp32', [6], [1, 1, 1, 1, 1, 1])));
    expect(addDerivedWeight(p, k, 'd', 'fp32', [6], compute)).toBe('d.1');
    // A copy of the store (as PassManager makes) shares the sources, so the entry is found.
    const copy = new WeightStore();
    copy.merge(p.weights);
    expect(findDerivedWeight(copy, k)).toBe('d.1');
  });
});

describe('derived weights across functions', () => {
  /** Functions applying linears with weights from a pool: fn i uses pool[picks[i][j]]. */
  function program(picks: readonly (readonly number[])[], pool: number): Program {
    const store = new WeightStore();
    for (let k = 0; k < pool; k++) store.add(`w${k}`, memorySource(tensor('fp32', [8, 8], seeded(64, 10 + k))));
    const p = new Program(store);
    picks.forEach((ws, i) => {
      const t = new TestFn(`f${i}`);
      let v: Value = t.input('x', 'fp32', [1, 2, 8]);
      for (const k of ws) {
        const w = t.op('const', {}, { dtype: 'fp32', shape: [8, 8], weight: `w${k}` }, `w${k}`);
        v = t.op('linear', { x: v, weight: w });
      }
      t.b.output(v);
      p.addFunction(t.b.fn);
    });
    return p;
  }

  it('gives every function the same derived weight for the same source (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }), (picks) => {
        const p = program(picks, 4);
        const q = new PassManager().add('linear-to-conv').run(p).program;
        const used = new Set(picks.flat());
        // One new entry per distinct source weight, however many functions and ops use it.
        expect(q.weights.size - p.weights.size).toBe(used.size);
        const nameOf = new Map<string, Set<string>>();
        for (const fn of q.functions.values()) {
          for (const op of fn.body.ops) {
            if (op.kind !== 'const') continue;
            const src = /^w\d+/.exec(op.outputs[0]!.name)![0];
            nameOf.set(src, (nameOf.get(src) ?? new Set()).add(op.attrs.weight as string));
          }
        }
        expect([...nameOf.keys()].sort()).toEqual([...used].map((k) => `w${k}`).sort());
        for (const names of nameOf.values()) expect(names.size).toBe(1);
        expectSameOutputs(p, q, { abs: 1e-5, rel: 1e-5 });
      }),
      { numRuns: 40 },
    );
  });

  it('is deterministic: the same input gives the same names, IR and bytes', () => {
    const picks = [[0, 1], [1, 2, 0], [2]];
    const run = () => PassManager.preset('ane').run(program(picks, 3)).program;
    const a = run();
    const b = run();
    expect(printProgram(a)).toBe(printProgram(b));
    expect(a.weights.names()).toEqual(b.weights.names());
    for (const n of a.weights.names()) expect(Array.from(a.weights.read(n).data)).toEqual(Array.from(b.weights.read(n).data));
    // Three source weights, each laid out as a conv and converted to fp16 once.
    expect(a.weights.size).toBe(3);
  });
});
