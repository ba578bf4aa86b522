import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DType, FastVlmError, Func, FunctionBuilder, Op, Program, Value, WeightStore, registerOps, syntheticSource } from '@fastvlm/graph';
import { arbProgram } from '../../../graph/src/testing/random-graph.js';
import { encodeModel } from '../proto/codec.js';
import type { MilOperation } from '../proto/mil-types.js';
import { checkMilOp, layoutBlobOffsets, type MilVal } from './context.js';
import { MIL_NAME_RE, MilNameScope, sanitizeMilName } from './names.js';
import { lowerProgram, lowerProgramPlan } from './program.js';
import { TARGETS, type Target, parseTarget, targetInfo } from './target.js';
import { usesBlob } from './values.js';
import { errorCode, fastVlmError } from '../../../graph/src/testing/errors.js';

function ops(p: Program, opts: Parameters<typeof lowerProgram>[1] = {}): MilOperation[] {
  const m = lowerProgram(p, opts);
  const fn = Object.values(m.mlProgram!.functions!)[0]!;
  return fn.blockSpecializations![fn.opset!]!.operations!;
}

function opName(o: MilOperation): string {
  return o.attributes!.name!.immediateValue!.tensor!.strings!.values![0]!;
}

function single(build: (f: FunctionBuilder) => Value[], store = new WeightStore(), name = 'main'): Program {
  const p = new Program(store);
  const f = new FunctionBuilder(name);
  f.output(...build(f));
  p.addFunction(f.fn);
  return p;
}

describe('targets', () => {
  it('map to specification versions 6..9 and opsets CoreML5..CoreML8', () => {
    expect(TARGETS.map((t) => [targetInfo(t).specVersion, targetInfo(t).opset])).toEqual([
      [6, 'CoreML5'],
      [7, 'CoreML6'],
      [8, 'CoreML7'],
      [9, 'CoreML8'],
    ]);
    expect(errorCode(() => parseTarget('ios14'))).toBe('E_LOWER_OPTION');
    expect(errorCode(() => lowerProgram(single((f) => [f.input('x', { dtype: 'fp32', shape: [1] })]), { target: 'ios26' as Target }))).toBe('E_LOWER_OPTION');
  });

  it('default to ios18', () => {
    expect(lowerProgram(single((f) => [f.add('relu', { x: f.input('x', { dtype: 'fp32', shape: [2] }) })[0]!])).specificationVersion).toBe(9);
  });
});

describe('MIL names', () => {
  it('sanitize to valid, collision-free identifiers, keeping valid names', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Za-z0-9_.@]{1,6}$/), { maxLength: 30 }), (names) => {
        const scope = new MilNameScope();
        const valid = names.filter((x, i) => MIL_NAME_RE.test(x) && names.indexOf(x) === i);
        for (const v of valid) expect(scope.tryClaim(v)).toBe(true);
        const out = names.filter((x) => !valid.includes(x)).map((x) => scope.fresh(x));
        for (const o of out) expect(o).toMatch(MIL_NAME_RE);
        expect(new Set([...valid, ...out]).size).toBe(valid.length + out.length);
      }),
    );
    expect(sanitizeMilName('vision.stem.weight')).toBe('vision_stem_weight');
    expect(sanitizeMilName('0x')).toBe('_0x');
    expect(sanitizeMilName('')).toBe('_');
  });

  it('rewrite IR value names deterministically without collisions', () => {
    const p = single((f) => {
      const x = f.input('a.b', { dtype: 'fp32', shape: [2] });
      const [y] = f.add('relu', { x }, {}, { names: ['a_b'] });
      const [z] = f.add('relu', { x: y! }, {}, { names: ['0z'] });
      return [z!];
    });
    const m = lowerProgram(p);
    expect(m.description!.input![0]!.name).toBe('a_b_1');
    expect(ops(p).map(opName)).toEqual(['a_b', '_0z']);
    expect(m.description!.output![0]!.name).toBe('_0z');
    expect(encodeModel(lowerProgram(p))).toEqual(encodeModel(m));
  });

  it('a function name that is not a MIL identifier, or an unknown or repeated one, is E_LOWER_NAME', () => {
    const p = single((f) => [f.add('relu', { x: f.input('x', { dtype: 'fp32', shape: [2] }) })[0]!]);
    expect(errorCode(() => lowerProgram(p, { functions: ['main', 'main'] }))).toBe('E_LOWER_NAME');
    expect(errorCode(() => lowerProgram(p, { functions: ['other'] }))).toBe('E_LOWER_NAME');
    expect(errorCode(() => lowerProgram(p, { functions: ['1main'] }))).toBe('E_LOWER_NAME');
    expect(errorCode(() => lowerProgram(p, { functions: [] }))).toBe('E_LOWER_PROGRAM');
    expect(errorCode(() => lowerProgram(p, { defaultFunction: 'nope' }))).toBe('E_LOWER_NAME');
    expect(errorCode(() => lowerProgram(p, { inputs: { nope: {} } }))).toBe('E_LOWER_NAME');
  });

  it('a value name used twice in a function is E_VERIFY, or E_LOWER_NAME without the verifier', () => {
    const x = new Value('x', { dtype: 'fp32', shape: [2] });
    const y = new Value('x', { dtype: 'fp32', shape: [2] });
    const fn = new Func('main', [x]);
    fn.body.ops.push(new Op('relu', { x }, {}, [y]));
    fn.body.outputs = [y];
    const p = new Program(new WeightStore());
    p.addFunction(fn);
    expect(errorCode(() => lowerProgram(p))).toBe('E_VERIFY');
    expect(errorCode(() => lowerProgram(p, { verify: false }))).toBe('E_LOWER_NAME');
  });
});

describe('ops', () => {
  it('carry attributes.name, bind inputs by name, and keep MIL parameters as const inputs', () => {
    const store = new WeightStore();
    store.add('w', syntheticSource('w', 'fp32', [4, 3, 3, 3]));
    const p = single((f) => {
      const x = f.input('x', { dtype: 'fp32', shape: [1, 3, 8, 8] });
      const [w] = f.add('const', {}, { dtype: 'fp32', shape: [4, 3, 3, 3], weight: 'w' }, { names: ['w'] });
      return f.add('conv2d', { x, weight: w! }, { pad_type: 'custom', pad: [1, 1, 0, 2], strides: [2, 1] }, { names: ['y'] });
    }, store);
    const o = ops(p, { target: 'ios17' });
    expect(o.map((x) => `${x.type}:${opName(x)}`)).toEqual([
      'const:w', 'const:y_strides', 'const:y_pad_type', 'const:y_pad', 'const:y_dilations', 'const:y_groups', 'conv:y',
    ]);
    const conv = o.at(-1)!;
    expect(Object.fromEntries(Object.entries(conv.inputs!).map(([k, v]) => [k, v.arguments!.map((a) => a.name)]))).toEqual({
      x: ['x'], weight: ['w'], strides: ['y_strides'], pad_type: ['y_pad_type'], pad: ['y_pad'], dilations: ['y_dilations'], groups: ['y_groups'],
    });
    for (const x of o) {
      expect(Object.keys(x.attributes!).sort()).toEqual(x.type === 'const' ? ['name', 'val'] : ['name']);
      if (x.type === 'const') expect(x.inputs).toBeUndefined();
    }
    expect(o[1]!.attributes!.val!.immediateValue!.tensor!.ints!.values).toEqual(Int32Array.from([2, 1]));
    expect(o[2]!.attributes!.val!.immediateValue!.tensor!.strings!.values).toEqual(['custom']);
    expect(o[0]!.attributes!.val!.blobFileValue).toEqual({ fileName: '@model_path/weights/weight.bin', offset: 64 });
  });

  it('map fp32 div to real_div, slice to slice_by_index, range to range_1d(end, start, step), neg to mul by -1', () => {
    const p = single((f) => {
      const x = f.input('x', { dtype: 'fp32', shape: [4] });
      const [d] = f.add('div', { x, y: x });
      const [s] = f.add('slice', { x: d! }, { begin: [1], end: [3] });
      const [r] = f.add('range', {}, { start: 0, end: 2, step: 1, dtype: 'fp32' });
      const [a] = f.add('add', { x: s!, y: r! });
      return f.add('neg', { x: a! });
    });
    const o = ops(p).filter((x) => x.type !== 'const');
    expect(o.map((x) => x.type)).toEqual(['real_div', 'slice_by_index', 'range_1d', 'add', 'mul']);
    expect(Object.keys(o[2]!.inputs!)).toEqual(['end', 'start', 'step']);
  });

  it('map int32 div to floor_div + 1 where inexact with opposite signs, on every target (no int32 real_div)', () => {
    const p = single((f) => f.add('div', { x: f.input('x', { dtype: 'int32', shape: [2, 3] }), y: f.input('y', { dtype: 'int32', shape: [3] }) }, {}, { names: ['q'] }));
    const args = (x: MilOperation): string[] =>
      Object.entries(x.inputs ?? {}).map(([k, a]) => `${k}=${a.arguments!.map((b) => b.name).join(',')}`);
    for (const target of TARGETS) {
      const all = ops(p, { target });
      const consts = new Map(all.filter((x) => x.type === 'const').map((x) => [opName(x), x.attributes!.val!.immediateValue!.tensor!]));
      const o = all.filter((x) => x.type !== 'const');
      // Dataflow, by output name: the composition of the module doc of ops/int-div.ts.
      expect(o.map((x) => `${opName(x)} = ${x.type}(${args(x).join(' ')})`), target).toEqual([
        'q_floor = floor_div(x=x y=y)',
        'q_rem = mod(x=x y=y)',
        'q_inexact = not_equal(x=q_rem y=q_zero)',
        'q_x_neg = less(x=x y=q_zero)',
        'q_y_neg = less(x=y y=q_zero)',
        'q_signs_differ = logical_xor(x=q_x_neg y=q_y_neg)',
        'q_round_up = logical_and(x=q_inexact y=q_signs_differ)',
        'q_inc = cast(x=q_round_up dtype=q_dtype)',
        'q = add(x=q_floor y=q_inc)',
      ]);
      expect(consts.get('q_zero')!.ints!.values).toEqual(Int32Array.from([0]));
      expect(consts.get('q_dtype')!.strings!.values).toEqual(['int32']);
      // Declared types: int32 values broadcast to [2,3]; the masks bool of their operand's shape.
      const types = Object.fromEntries(o.map((x) => [opName(x), x.outputs![0]!.type!.tensorType!]));
      expect(types['q_rem']!.dimensions!.map((d) => d.constant!.size)).toEqual([2, 3]);
      expect(types['q_y_neg']!.dimensions!.map((d) => d.constant!.size)).toEqual([3]);
      expect(types['q_round_up']!.dimensions!.map((d) => d.constant!.size)).toEqual([2, 3]);
    }
    // fp16 / fp32 div stay one real_div.
    for (const dtype of ['fp32', 'fp16'] as const) {
      const pf = single((f) => {
        const [x, y] = ['x', 'y'].map((n) => f.add('cast', { x: f.input(n, { dtype: 'fp32', shape: [3] }) }, { dtype })[0]!);
        return f.add('cast', { x: f.add('div', { x: x!, y: y! })[0]! }, { dtype: 'fp32' });
      });
      expect(ops(pf).filter((x) => x.type !== 'const').map((x) => x.type), dtype).toEqual(['cast', 'cast', 'real_div', 'cast']);
    }
  });

  it('rms_norm decomposes into mul, reduce_mean, add, rsqrt, mul', () => {
    const p = single((f) => f.add('rms_norm', { x: f.input('x', { dtype: 'fp16', shape: [1, 8] }) }));
    expect(ops(p).filter((x) => x.type !== 'const').map((x) => x.type)).toEqual(['mul', 'reduce_mean', 'add', 'rsqrt', 'mul']);
  });

  it('einsum: native for the Core ML form (either operand order), transpose + matmul otherwise', () => {
    const mk = (eq: string, a: number[], b: number[]): string[] =>
      ops(single((f) => f.add('einsum', { values: [f.input('a', { dtype: 'fp16', shape: a }), f.input('b', { dtype: 'fp16', shape: b })] }, { equation: eq })))
        .filter((x) => x.type !== 'const')
        .map((x) => x.type!);
    expect(mk('nchw,nwhu->nchu', [1, 2, 3, 4], [1, 4, 3, 5])).toEqual(['einsum']);
    expect(mk('bchq,bkhc->bkhq', [1, 8, 2, 6], [1, 5, 2, 8])).toEqual(['einsum']);
    expect(mk('chw,whr->chr', [2, 3, 4], [4, 3, 5])).toEqual(['einsum']);
    expect(mk('bij,bjk->bik', [2, 3, 4], [2, 4, 5])).toEqual(['matmul']);
    expect(mk('ij,kj->ik', [3, 4], [5, 4])).toEqual(['matmul']);
    expect(mk('ij,jk->ki', [3, 4], [4, 5])).toEqual(['matmul', 'transpose']);
    // A contracted size broadcast from 1 cannot run natively.
    expect(mk('nchw,nwhu->nchu', [1, 2, 3, 1], [1, 4, 3, 5])).toEqual(['reduce_sum', 'transpose', 'transpose', 'matmul', 'transpose']);
  });

  it('linear with a computed weight becomes matmul(transpose_y) + add', () => {
    const p = single((f) => {
      const x = f.input('x', { dtype: 'fp32', shape: [2, 3] });
      const w = f.input('w', { dtype: 'fp32', shape: [4, 3] });
      const b = f.input('b', { dtype: 'fp32', shape: [4] });
      return f.add('linear', { x, weight: w, bias: b });
    });
    expect(ops(p).filter((x) => x.type !== 'const').map((x) => x.type)).toEqual(['matmul', 'add']);
  });
});

describe('constants', () => {
  it('go to weight.bin from 10 elements for the dtypes coremltools moves there (more on ios18)', () => {
    const ref = (d: DType, count: number, t: Target): boolean =>
      count >= 10 && (['fp16', 'fp32', 'uint8', 'int8', 'int4', 'uint1', 'uint2', 'uint3', 'uint4', 'uint6'].includes(d) || (t === 'ios18' && ['int16', 'int32'].includes(d)));
    fc.assert(
      fc.property(fc.constantFrom<DType>('fp32', 'fp16', 'int32', 'int16', 'int8', 'uint8', 'bool', 'int4', 'uint3'), fc.integer({ min: 0, max: 40 }), fc.constantFrom(...TARGETS), (d, count, t) => {
        expect(usesBlob(d, count, t)).toBe(ref(d, count, t));
      }),
    );
    const p = single((f) => {
      const [a] = f.add('const', {}, { dtype: 'int32', shape: [12], value: Array.from({ length: 12 }, (_, i) => i) }, { names: ['a'] });
      return f.add('add', { x: a!, y: f.input('x', { dtype: 'int32', shape: [12] }) });
    });
    const val = (t: Target): object => ops(p, { target: t })[0]!.attributes!.val!;
    expect(val('ios17')).toHaveProperty('immediateValue');
    expect(val('ios18')).toHaveProperty('blobFileValue');
  });

  it('inline encodings follow coremltools: fp32 floats, fp16 bytes, int32 ints, bool bools', () => {
    const p = single((f) => {
      const [a] = f.add('const', {}, { dtype: 'fp16', shape: [2], value: [1, -2] }, { names: ['h'] });
      const [b] = f.add('const', {}, { dtype: 'bool', shape: [2], value: [1, 0] }, { names: ['b'] });
      const x = f.input('x', { dtype: 'fp16', shape: [2] });
      return f.add('select', { cond: b!, a: a!, b: x });
    });
    const o = ops(p);
    const byName = (n: string): MilOperation => o.find((x) => opName(x) === n)!;
    expect(byName('h').attributes!.val!.immediateValue!.tensor).toEqual({ bytes: { values: Uint8Array.from([0x00, 0x3c, 0x00, 0xc0]) } });
    expect(byName('b').attributes!.val!.immediateValue!.tensor).toEqual({ bools: { values: [true, false] } });
  });

  it('blob offsets follow the 64-byte aligned layout', () => {
    expect(layoutBlobOffsets([10, 64, 1])).toEqual([64, 192, 320]);
  });
});

describe('unsupported ops and dtypes are coded errors naming the op and the lowest target', () => {
  it('an op without lowering is E_LOWER_OP naming it', () => {
    registerOps({
      name: 'test_unlowerable',
      family: 'test',
      traits: { layout: 'fixed', commutative: false },
      doc: 'identity, test only',
      inputs: [{ name: 'x', dtypes: ['fp32'], doc: 'x' }],
      attrs: [],
      outputs: [{ name: 'output', typing: 'same:x' }],
      infer: (inputs) => [inputs.x as { dtype: DType; shape: number[] }],
      kernel: (inputs) => [inputs.x as never],
    });
    const e = fastVlmError(() => lowerProgram(single((f) => f.add('test_unlowerable', { x: f.input('x', { dtype: 'fp32', shape: [1] }) }))), 'E_LOWER_OP');
    expect(e.message).toContain('test_unlowerable');
  });

  it('names the lowest target that has the op or dtype', () => {
    const cases: [string, () => Program, Target, string][] = [
      ['cast to int8', () => single((f) => f.add('cast', { x: f.add('cast', { x: f.input('x', { dtype: 'fp32', shape: [2] }) }, { dtype: 'int8' })[0]! }, { dtype: 'int32' })), 'ios16', 'ios17'],
      ['same_lower', () => {
        const store = new WeightStore();
        store.add('w', syntheticSource('w', 'fp32', [1, 1, 2, 2]));
        return single((f) => f.add('conv2d', { x: f.input('x', { dtype: 'fp32', shape: [1, 1, 4, 4] }), weight: f.add('const', {}, { dtype: 'fp32', shape: [1, 1, 2, 2], weight: 'w' })[0]! }, { pad_type: 'same_lower' }), store);
      }, 'ios15', 'ios16'],
      ['fp16 input', () => single((f) => f.add('relu', { x: f.input('x', { dtype: 'fp16', shape: [2] }) })), 'ios15', 'ios16'],
      ['int8 input', () => single((f) => f.add('cast', { x: f.input('x', { dtype: 'int8', shape: [2] }) }, { dtype: 'int32' })), 'ios18', 'ios26'],
    ];
    for (const [what, mk, target, needs] of cases) {
      const e = fastVlmError(() => lowerProgram(mk(), { target }), 'E_LOWER_TARGET', what);
      expect(e.details.needs, what).toBe(needs);
    }
  });

  it('bool or rank-0 function I/O and function without outputs are rejected', () => {
    expect(errorCode(() => lowerProgram(single((f) => f.add('greater', { x: f.input('x', { dtype: 'fp32', shape: [2] }), y: f.input('y', { dtype: 'fp32', shape: [2] }) }))))).toBe('E_LOWER_DTYPE');
    expect(errorCode(() => lowerProgram(single((f) => f.add('relu', { x: f.input('x', { dtype: 'fp32', shape: [] }) }))))).toBe('E_LOWER_IO');
  });

  it('the MIL op table checks dtype domains, const-ness and input names per target', () => {
    const v = (name: string, dtype: DType, isConst = false, shape: number[] = [2]): MilVal => ({ name, type: { dtype, shape }, isConst });
    const shape = v('s', 'int32', true);
    expect(fastVlmError(() => checkMilOp('reshape', [['x', [v('x', 'int16')]], ['shape', [shape]]], 'ios16', 'w')).details).toMatchObject({ needs: 'ios17' });
    expect(() => checkMilOp('reshape', [['x', [v('x', 'int16')]], ['shape', [shape]]], 'ios17', 'w')).not.toThrow();
    expect(fastVlmError(() => checkMilOp('relu', [['x', [v('x', 'int32')]]], 'ios18', 'w')).code).toBe('E_LOWER_DTYPE');
    expect(fastVlmError(() => checkMilOp('linear', [['x', [v('x', 'fp32')]], ['weight', [v('w', 'fp32')]]], 'ios18', 'w')).code).toBe('E_LOWER_NOT_CONST');
    expect(fastVlmError(() => checkMilOp('add', [['x', [v('x', 'fp32')]], ['y', [v('y', 'fp16')]]], 'ios18', 'w')).code).toBe('E_LOWER_DTYPE');
    expect(fastVlmError(() => checkMilOp('add', [['x', [v('x', 'fp32')]]], 'ios18', 'w')).code).toBe('E_LOWER_OP');
    expect(fastVlmError(() => checkMilOp('add', [['x', [v('x', 'fp32')]], ['y', [v('y', 'fp32')]], ['z', [v('z', 'fp32')]]], 'ios18', 'w')).code).toBe('E_LOWER_OP');
    expect(fastVlmError(() => checkMilOp('no_such_op', [], 'ios18', 'w')).code).toBe('E_LOWER_OP');
    // int32 division helpers: floor_div / mod take fp16, fp32, int32; logical ops bool only, from ios15.
    for (const t of TARGETS) {
      expect(() => checkMilOp('floor_div', [['x', [v('x', 'int32')]], ['y', [v('y', 'int32')]]], t, 'w')).not.toThrow();
      expect(() => checkMilOp('mod', [['x', [v('x', 'int32')]], ['y', [v('y', 'int32')]]], t, 'w')).not.toThrow();
      expect(() => checkMilOp('logical_xor', [['x', [v('x', 'bool')]], ['y', [v('y', 'bool')]]], t, 'w')).not.toThrow();
      expect(() => checkMilOp('logical_and', [['x', [v('x', 'bool')]], ['y', [v('y', 'bool')]]], t, 'w')).not.toThrow();
    }
    expect(fastVlmError(() => checkMilOp('floor_div', [['x', [v('x', 'bool')]], ['y', [v('y', 'bool')]]], 'ios18', 'w')).code).toBe('E_LOWER_DTYPE');
    expect(fastVlmError(() => checkMilOp('logical_and', [['x', [v('x', 'int32')]], ['y', [v('y', 'int32')]]], 'ios18', 'w')).code).toBe('E_LOWER_DTYPE');
  });

  it('metadata keys of this package are reserved', () => {
    const p = single((f) => f.add('relu', { x: f.input('x', { dtype: 'fp32', shape: [2] }) }));
    expect(errorCode(() => lowerProgram(p, { metadata: { userDefined: { 'com.github.fastvlm.package': 'x' } } }))).toBe('E_LOWER_OPTION');
  });
});

describe('random programs', () => {
  it('lower deterministically with every emitted op passing the table checks, or fail with a coded error', () => {
    fc.assert(
      fc.property(arbProgram({ maxFunctions: 2, maxOps: 8, symbolic: true }), fc.constantFrom(...TARGETS), (p, target) => {
        let first: Uint8Array | undefined;
        try {
          first = encodeModel(lowerProgram(p, { target }));
        } catch (e) {
          expect(e).toBeInstanceOf(FastVlmError);
          expect((e as FastVlmError).code).toMatch(/^E_LOWER_/);
          return;
        }
        expect(encodeModel(lowerProgram(p, { target }))).toEqual(first);
      }),
      { numRuns: 60 },
    );
  });

  it('a single-function fp32 program with static shapes always lowers on every target', () => {
    fc.assert(
      fc.property(arbProgram({ maxFunctions: 1, maxOps: 8, dtypes: ['fp32'] }), (p) => {
        const fn = [...p.functions.values()][0]!;
        const rank0 = fn.inputs.some((v) => v.type.shape.length === 0);
        const boolOut = fn.outputs.some((v) => v.type.dtype !== 'fp32' && v.type.dtype !== 'int32');
        for (const t of TARGETS) {
          if (rank0 || boolOut) expect(errorCode(() => lowerProgram(p, { target: t }))).toMatch(/^E_LOWER_(IO|DTYPE)$/);
          else expect(errorCode(() => lowerProgram(p, { target: t }))).toBe('ok');
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('weights in lowering', () => {
  it('an unused constant writes nothing; a constant is emitted right before its first use', () => {
    const store = new WeightStore();
    store.add('dead', syntheticSource('dead', 'fp32', [64]));
    const p = single((f) => {
      const x = f.input('x', { dtype: 'fp32', shape: [4] });
      f.add('const', {}, { dtype: 'fp32', shape: [64], weight: 'dead' }, { names: ['dead'] });
      const [r] = f.add('relu', { x }, {}, { names: ['r'] });
      const [k] = f.add('const', {}, { dtype: 'fp32', shape: [4], value: [1, 2, 3, 4] }, { names: ['k'] });
      return f.add('add', { x: r!, y: k! }, {}, { names: ['y'] });
    }, store);
    const plan = lowerProgramPlan(p);
    expect(plan.blobs).toEqual([]);
    const o = plan.model.mlProgram!.functions!.main!.blockSpecializations!.CoreML8!.operations!;
    expect(o.map(opName)).toEqual(['r', 'k', 'y']);
  });

  it('compressed constants need constant inputs (E_LOWER_NOT_CONST) and ios16 / ios18', () => {
    const mk = (computed: boolean): Program => {
      const store = new WeightStore();
      store.add('idx', syntheticSource('idx', 'uint4', [2, 8]));
      return single((f) => {
        const lut = computed ? f.input('lut', { dtype: 'fp32', shape: [1, 1, 16, 1] }) : f.add('const', {}, { dtype: 'fp32', shape: [1, 1, 16, 1], value: Array.from({ length: 16 }, (_, i) => i) })[0]!;
        const [idx] = f.add('const', {}, { dtype: 'uint4', shape: [2, 8], weight: 'idx' });
        return f.add('lut_dequantize', { lut, indices: idx! });
      }, store);
    };
    expect(errorCode(() => lowerProgram(mk(true)))).toBe('E_LOWER_NOT_CONST');
    expect(errorCode(() => lowerProgram(mk(false), { target: 'ios15' }))).toBe('E_LOWER_TARGET');
    const o16 = ops(mk(false), { target: 'ios16' });
    expect(o16.map((x) => x.type)).toEqual(['constexpr_lut_to_dense', 'identity']);
    expect(Object.keys(o16[0]!.attributes!).sort()).toEqual(['indices', 'lut', 'name', 'shape']);
    const o18 = ops(mk(false), { target: 'ios18' });
    expect(Object.keys(o18[0]!.inputs!).sort()).toEqual(['indices', 'lut']);
    expect(o18[0]!.inputs!.indices!.arguments![0]!.value!.blobFileValue).toBeDefined();
  });

  it('inline small weight-store constants and stream large ones by name, one blob per name', () => {
    const store = new WeightStore();
    store.add('small', { ...syntheticSource('small', 'fp32', [3]) });
    store.add('big', syntheticSource('big', 'fp32', [4, 4]));
    const p = new Program(store);
    for (const name of ['a', 'b']) {
      const f = new FunctionBuilder(name);
      const x = f.input('x', { dtype: 'fp32', shape: [4, 4] });
      const [big] = f.add('const', {}, { dtype: 'fp32', shape: [4, 4], weight: 'big' }, { names: ['big'] });
      const [small] = f.add('const', {}, { dtype: 'fp32', shape: [3], weight: 'small' }, { names: ['small'] });
      const [y] = f.add('mul', { x, y: big! });
      f.output(y!, f.add('add', { x: small!, y: small! })[0]!);
      p.addFunction(f.fn);
    }
    const plan = lowerProgramPlan(p, { target: 'ios18' });
    expect(plan.blobs.map((b) => [b.key, b.refs.length, b.byteLength])).toEqual([['w:big', 2, 64]]);
    // In both functions: 'small' inline with the store's values, 'big' a reference to the blob.
    const fns = Object.entries(plan.model.mlProgram!.functions!);
    expect(fns.map(([n]) => n)).toEqual(['a', 'b']);
    for (const [name, fn] of fns) {
      const ops = fn.blockSpecializations!.CoreML8!.operations!;
      const small = ops.find((o) => opName(o) === 'small')!;
      expect(small.attributes!.val!.immediateValue!.tensor!.floats!.values, name).toEqual(store.read('small').data);
      expect(small.attributes!.val!.blobFileValue, name).toBeUndefined();
      const big = ops.find((o) => opName(o) === 'big')!;
      expect(big.attributes!.val!.immediateValue, name).toBeUndefined();
      expect(big.attributes!.val!.blobFileValue, name).toBeDefined();
    }
  });
});
