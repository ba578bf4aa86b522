import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Program, type Value, printProgram, verifyProgram } from '@fastvlm/graph';
import { FunctionEditor } from '../ir/editor.js';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs } from '../testing/support.js';
import { applyPatterns } from './driver.js';
import { Match, matchOp } from './match.js';
import { absent, any, capture, constant, oneOf, op, pattern } from './pattern.js';
import { patternPass } from './pattern-pass.js';
import { fastVlmError } from '../../../graph/src/testing/errors.js';

function matchAt(p: Program, root: Value, pat: ReturnType<typeof op>): Match | undefined {
  const ed = new FunctionEditor(p, p.fn('main'));
  const m = new Match(ed, root.producer!, 'test');
  return matchOp(pat, root.producer!, m) ? m : undefined;
}

describe('matching', () => {
  it('binds captures consistently and tries commutative operands both ways', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [3]);
    const w = t.input('w', 'fp32', [3]);
    const s = t.op('sigmoid', { x });
    const a = t.op('mul', { x: s, y: x });
    const b = t.op('mul', { x: s, y: w });
    const p = t.done([a, b]);
    const pat = op('mul', { x: capture('v'), y: op('sigmoid', { x: capture('v') }) });
    expect(matchAt(p, a, pat)?.value('v')).toBe(x);
    expect(matchAt(p, b, pat)).toBeUndefined();
    // Without commutativity the swapped form does not match.
    expect(matchAt(p, a, op('mul', { x: capture('v'), y: op('sigmoid', { x: capture('v') }) }, { commutative: false }))).toBeUndefined();
  });

  it('checks attributes, single use, absent inputs, constants and alternatives', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [2, 3]);
    const tr = t.op('transpose', { x }, { perm: [1, 0] });
    const r1 = t.op('relu', { x: tr });
    const r2 = t.op('exp', { x: tr });
    const two = t.c('fp32', [1], [2]);
    const m = t.op('mul', { x, y: two });
    const p = t.done([r1, r2, m]);
    expect(matchAt(p, r1, op('relu', { x: op('transpose', {}, { attrs: { perm: [1, 0] } }) }))).toBeDefined();
    expect(matchAt(p, r1, op('relu', { x: op('transpose', {}, { attrs: { perm: [0, 1] } }) }))).toBeUndefined();
    expect(matchAt(p, r1, op('relu', { x: op('transpose', {}, { attrs: { perm: (v) => Array.isArray(v) && v[0] === 1 } }) }))).toBeDefined();
    expect(matchAt(p, r1, op('relu', { x: op('transpose', {}, { singleUse: true }) }))).toBeUndefined();
    expect(matchAt(p, m, op('mul', { x: any(), y: constant({ splat: 2 }) }))).toBeDefined();
    expect(matchAt(p, m, op('mul', { x: any(), y: constant({ splat: 2.001, rel: 0 }) }))).toBeUndefined();
    expect(matchAt(p, m, op('mul', { y: oneOf(op('relu'), constant({ name: 'k' })) }))?.value('k')).toBe(two);
    const t2 = new TestFn();
    const xi = t2.input('x', 'fp32', [2, 3]);
    const wi = t2.input('w', 'fp32', [4, 3]);
    const l = t2.op('linear', { x: xi, weight: wi });
    const p2 = t2.done([l]);
    expect(matchAt(p2, l, op('linear', { bias: absent() }))).toBeDefined();
    expect(matchAt(p2, l, op('linear', { bias: capture('b') }))).toBeUndefined();
  });

  it('reports unknown captures and malformed patterns with coded errors', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [3]);
    const r = t.op('relu', { x });
    const p = t.done([r]);
    const m = matchAt(p, r, op('relu', { x: capture('x') }))!;
    const e = fastVlmError(() => m.value('nope'), 'E_PATTERN');
    expect(e.message).toContain("'nope'");
    expect(() => pattern({ name: 'bad', root: op('relu', { x: capture('a') }, { as: 'a' }), rewrite: () => null })).toThrow(/names both/);
  });
});

describe('the greedy driver', () => {
  const mulOne = pattern({
    name: 'mul-one',
    root: op('mul', { x: capture('x'), y: constant({ splat: 1, rel: 0 }) }),
    where: (m) => m.value('x').type.shape.join() === m.root.outputs[0]!.type.shape.join(),
    rewrite: (m) => m.value('x'),
  });

  it('rewrites to a fixpoint and erases what became dead', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [3]);
    const one = t.scalar(1);
    const a = t.op('mul', { x, y: one });
    const b = t.op('mul', { x: one, y: a });
    const y = t.op('exp', { x: b }, {}, 'y');
    const p = t.done([y]);
    const counts = applyPatterns(p, [mulOne]);
    expect(counts.get('mul-one')).toBe(2);
    verifyProgram(p);
    expect(printProgram(p)).toBe('func main(%x: fp32[3]) -> (%y) {\n  %y = exp(x=%x) : fp32[3]\n  return %y\n}\n');
  });

  it('stops with E_REWRITE_LIMIT when patterns undo each other', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [3]);
    const y = t.op('relu', { x }, {}, 'y');
    const p = t.done([y]);
    const flip = pattern({ name: 'relu-to-exp', root: op('relu', { x: capture('x') }), rewrite: (m, b) => b.op('exp', { x: m.value('x') }) });
    const flop = pattern({ name: 'exp-to-relu', root: op('exp', { x: capture('x') }), rewrite: (m, b) => b.op('relu', { x: m.value('x') }) });
    const e = fastVlmError(() => applyPatterns(p, [flip, flop], { owner: 'ping-pong', maxRewrites: 50 }), 'E_REWRITE_LIMIT');
    expect(e.message).toContain('ping-pong');
    expect(e.message).toContain('50');
  });

  it('discards the ops of a declined rewrite', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [3]);
    const y = t.op('relu', { x }, {}, 'y');
    const p = t.done([y]);
    const before = printProgram(p);
    const decline = pattern({ name: 'decline', root: op('relu'), rewrite: (m, b) => (b.op('exp', { x: m.root.inputs.x as Value }), null) });
    expect(applyPatterns(p, [decline]).size).toBe(0);
    expect(printProgram(p)).toBe(before);
  });

  it('rejects a replacement of another type with E_REWRITE_INVALID naming the pattern', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [3]);
    const y = t.op('relu', { x }, {}, 'y');
    const p = t.done([y]);
    const bad = pattern({ name: 'to-sum', root: op('relu'), rewrite: (m, b) => b.op('reduce_sum', { x: m.root.inputs.x as Value }) });
    const e = fastVlmError(() => applyPatterns(p, [bad]), 'E_REWRITE_INVALID');
    expect(e.message).toContain("'to-sum'");
    expect(e.message).toContain('fp32[]');
  });

  it('a pattern pass runs in a PassManager and notes how often each pattern fired', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [3]);
    const one = t.scalar(1);
    const y = t.op('mul', { x: t.op('exp', { x }), y: one }, {}, 'y');
    const p = t.done([y]);
    const pass = patternPass({ name: 'drop-mul-one', summary: 's', doc: 'd', patterns: [mulOne] });
    const res = new PassManager().add(pass).run(p);
    expect(res.stats[0]!.notes).toEqual(['mul-one: 1']);
    expect(countKinds(res.program)).toEqual({ exp: 1 });
  });

  it('removes every x * 1 of random chains and keeps the outputs (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('exp', 'neg', 'one', 'one-left', 'tanh'), { minLength: 1, maxLength: 12 }), (steps) => {
        const t = new TestFn();
        let v = t.input('x', 'fp32', [2, 3]);
        for (const s of steps) {
          if (s === 'one') v = t.op('mul', { x: v, y: t.scalar(1) });
          else if (s === 'one-left') v = t.op('mul', { x: t.c('fp32', [1, 1], [1]), y: v });
          else v = t.op(s, { x: v });
        }
        const p = t.done([t.op('relu', { x: v }, {}, 'out')]);
        const q = new PassManager().add(patternPass({ name: 'drop-mul-one', summary: 's', doc: 'd', patterns: [mulOne] })).run(p).program;
        expect(countKinds(q).mul ?? 0).toBe(0);
        expect(countKinds(q).const ?? 0).toBe(0);
        expectSameOutputs(p, q, { abs: 0, rel: 0 });
      }),
      { numRuns: 60 },
    );
  });
});
