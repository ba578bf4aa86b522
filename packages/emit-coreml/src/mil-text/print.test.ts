import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FunctionBuilder, Program, WeightStore, syntheticSource } from '@fastvlm/graph';
import { lowerProgram } from '../lower/program.js';
import { printMil, printMilType, pyFloat } from './print.js';

function program(): Program {
  const store = new WeightStore();
  store.add('w', syntheticSource('w', 'fp16', [4, 4], { seed: 1 }));
  const p = new Program(store);
  const f = new FunctionBuilder('main');
  const x = f.input('x', { dtype: 'fp16', shape: [1, 4] });
  const ids = f.input('ids', { dtype: 'int32', shape: [2] });
  const [w] = f.add('const', {}, { dtype: 'fp16', shape: [4, 4], weight: 'w' }, { names: ['w'] });
  const [y] = f.add('linear', { x, weight: w! }, {}, { names: ['y'] });
  const [g] = f.add('gelu', { x: y! }, { mode: 'TANH_APPROXIMATION' }, { names: ['g'] });
  const [parts0, parts1] = f.add('split', { x: g! }, { axis: 1, num_splits: 2 }, { names: ['p0', 'p1'] });
  const [s] = f.add('add', { x: ids, y: ids }, {}, { names: ['s'] });
  f.output(parts0!, parts1!, s!);
  p.addFunction(f.fn);
  return p;
}

describe('printMil', () => {
  it('prints functions like coremltools Program.__str__, consts folded into their uses', () => {
    expect(printMil(program(), { target: 'ios16' })).toBe(
      [
        '',
        'main[CoreML6](%x: (1, 4, fp16)(Tensor),',
        '              %ids: (2,int32)(Tensor)) {',
        '  block0() {',
        '    %y: (1, 4, fp16)(Tensor) = linear(x=%x, weight=%w, name="y")',
        '    %g: (1, 4, fp16)(Tensor) = gelu(x=%y, mode="TANH_APPROXIMATION", name="g")',
        '    %p0: (1, 2, fp16)(Tensor), %p1: (1, 2, fp16)(Tensor) = split(x=%g, num_splits=2, axis=1, name="p0")',
        '    %s: (2,int32)(Tensor) = add(x=%ids, y=%ids, name="s")',
        '  } -> (%p0, %p1, %s)',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('prints const ops on request, blobs by offset', () => {
    const text = printMil(lowerProgram(program()), { showConsts: true });
    expect(text).toContain('%w: (4, 4, fp16)(Tensor) = const(val=BLOB(offset=64), name="w")');
    expect(text).toContain('%g_mode: (string)(Scalar) = const(val="TANH_APPROXIMATION", name="g_mode")');
    expect(text).toContain('%p0_axis: (int32)(Scalar) = const(val=1, name="p0_axis")');
  });

  it('prints the functions of a multifunction model default first, then in description order', () => {
    const store = new WeightStore();
    const p = new Program(store);
    for (const name of ['decode', 'prefill']) {
      const f = new FunctionBuilder(name);
      f.output(f.add('relu', { x: f.input('x', { dtype: 'fp32', shape: [2, 2] }) }, {}, { names: ['y'] })[0]!);
      p.addFunction(f.fn);
    }
    const text = printMil(p);
    expect(text.indexOf('decode[CoreML8]')).toBeLessThan(text.indexOf('prefill[CoreML8]'));
    expect(text).toContain('block1()');
  });

  it('is deterministic and the same for a Program and its lowered model', () => {
    expect(printMil(program())).toBe(printMil(lowerProgram(program())));
  });
});

describe('constexpr parameters', () => {
  it('print attributes (iOS16) and inline bindings (iOS18), large ones as blobs', () => {
    const store = new WeightStore();
    store.add('idx', syntheticSource('idx', 'uint4', [4, 8], { seed: 3 }));
    const p = new Program(store);
    const f = new FunctionBuilder('main');
    const [lut] = f.add('const', {}, { dtype: 'fp16', shape: [1, 1, 16, 1], value: Array.from({ length: 16 }, (_, i) => i / 4) }, { names: ['lut'] });
    const [idx] = f.add('const', {}, { dtype: 'uint4', shape: [4, 8], weight: 'idx' }, { names: ['idx'] });
    const [w] = f.add('lut_dequantize', { lut: lut!, indices: idx! }, {}, { names: ['w'] });
    f.output(f.add('add', { x: f.input('x', { dtype: 'fp16', shape: [4, 8] }), y: w! }, {}, { names: ['y'] })[0]!);
    p.addFunction(f.fn);
    expect(printMil(p, { target: 'ios16' })).toContain('%w: (4, 8, fp16)(Tensor) = constexpr_lut_to_dense(indices=BLOB(offset=64), lut=BLOB(offset=192), shape=[4, 8], name="w")');
    expect(printMil(p, { target: 'ios18' })).toContain('%w: (4, 8, fp16)(Tensor) = constexpr_lut_to_dense(indices=BLOB(offset=64), lut=BLOB(offset=192), name="w")');
  });
});

describe('pyFloat', () => {
  it('formats as Python repr does', () => {
    const cases: [number, string][] = [
      [1, '1.0'], [-2, '-2.0'], [0, '0.0'], [-0, '-0.0'], [0.5, '0.5'], [1e-4, '0.0001'], [1.5e-5, '1.5e-05'],
      [9.999999974752427e-7, '9.999999974752427e-07'], [1e16, '1e+16'], [123456789012345.6, '123456789012345.6'], [1.25e22, '1.25e+22'],
      [Infinity, 'inf'], [-Infinity, '-inf'], [NaN, 'nan'], [3.4028234663852886e38, '3.4028234663852886e+38'],
    ];
    for (const [x, want] of cases) expect(pyFloat(x), String(x)).toBe(want);
  });

  it('round-trips every double', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
      expect(Number(pyFloat(x))).toBe(x);
    }));
  });
});

describe('printMilType', () => {
  it('prints tensors, vectors, scalars and unknown dims', () => {
    expect(printMilType({ tensorType: { dataType: 11, rank: 2, dimensions: [{ constant: { size: 1 } }, { unknown: { variadic: false } }] } })).toBe('(1, is1, fp32)(Tensor)');
    expect(printMilType({ tensorType: { dataType: 10, rank: 1, dimensions: [{ constant: { size: 3 } }] } })).toBe('(3,fp16)(Tensor)');
    expect(printMilType({ tensorType: { dataType: 1, rank: 0 } })).toBe('(bool)(Scalar)');
  });
});
