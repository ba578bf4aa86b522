import { describe, expect, it } from 'vitest';
import { printProgram, verifyProgram } from '@fastvlm/graph';
import { FunctionEditor } from './editor.js';
import { TestFn } from '../testing/support.js';
import { fastVlmError } from '../../../graph/src/testing/errors.js';

function sample() {
  const t = new TestFn();
  const x = t.input('x', 'fp32', [4]);
  const a = t.op('exp', { x }, {}, 'a');
  const b = t.op('mul', { x: a, y: a }, {}, 'b');
  const y = t.op('relu', { x: b }, {}, 'y');
  const p = t.done([y]);
  return { p, fn: p.fn('main'), x, a, b, y };
}

describe('FunctionEditor', () => {
  it('counts uses per slot, including repeated inputs and function outputs', () => {
    const { p, fn, x, a, b, y } = sample();
    const ed = new FunctionEditor(p, fn);
    expect(ed.useCount(a)).toBe(2);
    expect(ed.users(a)).toEqual([b.producer]);
    expect(ed.useCount(x)).toBe(1);
    expect(ed.useCount(y)).toBe(1);
    expect(ed.isOutput(y)).toBe(true);
    expect(ed.isFunctionInput(x)).toBe(true);
    expect(ed.size).toBe(3);
  });

  it('inserts before any op and commits the order', () => {
    const { p, fn, a, y } = sample();
    const ed = new FunctionEditor(p, fn);
    const n = ed.add('neg', { x: a }, {}, y.producer, { hint: 'n' });
    ed.commit();
    expect(fn.body.ops.map((o) => o.outputs[0]!.name)).toEqual(['a', 'b', 'n', 'y']);
    expect(ed.useCount(a)).toBe(3);
    ed.erase(n);
    ed.commit();
    expect(fn.body.ops.length).toBe(3);
    expect(ed.useCount(a)).toBe(2);
  });

  it('replaces uses; a new value takes over an output name', () => {
    const { p, fn, x, b, y } = sample();
    const ed = new FunctionEditor(p, fn);
    const s = ed.add('sigmoid', { x: b }, {}, y.producer, { hint: 'tmp' });
    const r = ed.replaceAllUses(y, s.outputs[0]!);
    expect(r).toEqual({ moved: 1, outputKept: false });
    expect(s.outputs[0]!.name).toBe('y');
    expect(y.name).toBe('tmp');
    ed.eraseDead([y.producer!]);
    ed.commit();
    verifyProgram(p);
    expect(printProgram(p)).toContain('%y = sigmoid(x=%b)');
    // An output cannot become a function input: the output keeps its value.
    const r2 = ed.replaceAllUses(fn.outputs[0]!, x as never);
    expect(r2.outputKept).toBe(true);
  });

  it('refuses type changes and erasing used ops with coded errors', () => {
    const { p, fn, a, b } = sample();
    const ed = new FunctionEditor(p, fn);
    const other = ed.add('reduce_sum', { x: a }, {}, null);
    expect(fastVlmError(() => ed.replaceAllUses(b, other.outputs[0]!), 'E_REWRITE_INVALID').message).toContain('fp32[4]');
    expect(fastVlmError(() => ed.erase(a.producer!), 'E_REWRITE_INVALID').message).toContain('%a');
  });

  it('validates created ops like the DSL', () => {
    const { p, fn, x } = sample();
    const ed = new FunctionEditor(p, fn);
    const bad = ed.add('const', {}, { dtype: 'fp32', shape: [3], value: [1, 2, 3] }, null);
    const e = fastVlmError(() => ed.add('add', { x, y: bad.outputs[0]! }, {}, null), 'E_SHAPE_MISMATCH');
    expect(e.message).toContain('add');
  });

  it('eraseDead removes whole dead chains but keeps used values', () => {
    const { p, fn, b, y } = sample();
    const ed = new FunctionEditor(p, fn);
    const other = ed.add('neg', { x: b }, {}, null);
    ed.replaceOutput(y, other.outputs[0]!);
    const gone = ed.eraseDead([y.producer!]);
    expect(gone.map((o) => o.kind)).toEqual(['relu']);
    ed.commit();
    verifyProgram(p);
    expect(fn.outputs[0]!.name).toBe('y');
  });
});
