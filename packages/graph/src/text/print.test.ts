import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import '../ops/index.js';
import { FunctionBuilder } from '../ir/build.js';
import { Op, Program, Value } from '../ir/types.js';
import { registerFixtureOps } from '../testing/fixture-ops.js';
import { WeightStore } from '../weights/store.js';
import { printAttrValue, printFunction, printNumber, printOp, printProgram, printType } from './print.js';

registerFixtureOps();

describe('printNumber', () => {
  it('writes integers, shortest floats and the non-finite words', () => {
    expect(printNumber(3)).toBe('3');
    expect(printNumber(-12)).toBe('-12');
    expect(printNumber(0.1)).toBe('0.1');
    expect(printNumber(1e-7)).toBe('1e-7');
    expect(printNumber(1e21)).toBe('1e+21');
    expect(printNumber(2 ** 53 - 1)).toBe('9007199254740991');
    expect(printNumber(Infinity)).toBe('inf');
    expect(printNumber(-Infinity)).toBe('-inf');
    expect(printNumber(NaN)).toBe('nan');
    expect(printNumber(-0)).toBe('-0');
    expect(printNumber(0)).toBe('0');
  });

  it('round-trips every double through Number()', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        expect(Object.is(Number(printNumber(x)), x)).toBe(true);
      }),
    );
  });
});

describe('printAttrValue and printType', () => {
  it('writes each attribute kind', () => {
    expect(printAttrValue(true, 'bool')).toBe('true');
    expect(printAttrValue('same', 'string')).toBe('"same"');
    expect(printAttrValue('a"b\\c\n', 'string')).toBe('"a\\"b\\\\c\\n"');
    expect(printAttrValue('fp16', 'dtype')).toBe('"fp16"');
    expect(printAttrValue([1, -2, 3], 'ints')).toBe('[1,-2,3]');
    expect(printAttrValue([0.5, Infinity, NaN], 'floats')).toBe('[0.5,inf,nan]');
    expect(printAttrValue(['a', 'b'], 'strings')).toBe('["a","b"]');
    expect(printAttrValue([1, 'seq', 4], 'dims')).toBe('[1,seq,4]');
    expect(printAttrValue([], 'ints')).toBe('[]');
  });

  it('writes types with symbols and scalars', () => {
    expect(printType({ dtype: 'fp32', shape: [1, 3, 'seq'] })).toBe('fp32[1,3,seq]');
    expect(printType({ dtype: 'bool', shape: [] })).toBe('bool[]');
  });
});

describe('printOp / printFunction / printProgram', () => {
  function sample(): Program {
    const b = new FunctionBuilder('main');
    const x = b.input('x', { dtype: 'fp32', shape: [4, 'seq'] });
    const g = b.input('g', { dtype: 'fp32', shape: [4, 'seq'] });
    const [s] = b.add('test_scale', { x }, { bias: 0, factor: 2 }, { names: ['s'] });
    const [a0, a1] = b.add('test_split', { x: s! }, { num_splits: 2, axis: 0 }, { names: ['a0', 'a1'] });
    const [c] = b.add('test_concat', { values: [a1!, a0!] }, { axis: 0 }, { names: ['c'] });
    // Inputs given out of definition order.
    const [y] = b.add('test_attrs', { gate: g, x: c! }, { ds: [4, 'seq'], b: true, i: 0 }, { names: ['y'] });
    const [k] = b.add('const', {}, { dtype: 'fp16', shape: [2], value: [0.5, -1] }, { names: ['k'] });
    b.output(y!, k!);
    const p = new Program(new WeightStore());
    p.addFunction(b.fn);
    const f = new FunctionBuilder('f');
    const z = f.input('z', { dtype: 'fp16', shape: [] });
    f.output(f.add('test_relu', { x: z }, {}, { names: ['r'] })[0]!);
    p.addFunction(f.fn);
    return p;
  }

  it('prints the exact normalized text', () => {
    expect(printProgram(sample())).toBe(
      [
        'func main(%x: fp32[4,seq], %g: fp32[4,seq]) -> (%y, %k) {',
        '  %s = test_scale(x=%x) {factor=2} : fp32[4,seq]',
        '  %a0, %a1 = test_split(x=%s) {num_splits=2} : fp32[2,seq], fp32[2,seq]',
        '  %c = test_concat(values=(%a1, %a0)) {axis=0} : fp32[4,seq]',
        '  %y = test_attrs(x=%c, gate=%g) {b=true, ds=[4,seq]} : fp32[4,seq]',
        '  %k = const() {dtype="fp16", shape=[2], value=[0.5,-1]} : fp16[2]',
        '  return %y, %k',
        '}',
        '',
        'func f(%z: fp16[]) -> (%r) {',
        '  %r = test_relu(x=%z) : fp16[]',
        '  return %r',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('prints a single function and an empty program', () => {
    const p = sample();
    expect(printFunction(p.fn('f'))).toBe('func f(%z: fp16[]) -> (%r) {\n  %r = test_relu(x=%z) : fp16[]\n  return %r\n}\n');
    expect(printProgram(new Program(new WeightStore()))).toBe('');
  });

  it('is deterministic and independent of attribute insertion order', () => {
    const p = sample();
    const op = p.fn('main').body.ops[3]!;
    const reversed = Object.fromEntries(Object.entries(op.attrs).reverse());
    const before = printProgram(p);
    op.attrs = reversed;
    expect(printProgram(p)).toBe(before);
  });

  it('prints broken ops without failing (unknown kind, unknown attribute, no results)', () => {
    const x = new Value('x', { dtype: 'fp32', shape: [2] });
    const y = new Value('y', { dtype: 'fp32', shape: [2] });
    expect(printOp(new Op('mystery', { b: x, a: x }, { z: 1, s: 'q', l: [1, 'n'] }, [y]))).toBe('%y = mystery(b=%x, a=%x) {z=1, s="q", l=[1,"n"]} : fp32[2]');
    expect(printOp(new Op('test_relu', { x, extra: x }, { factor: 3 }, []))).toBe('test_relu(x=%x, extra=%x) {factor=3}');
  });
});
