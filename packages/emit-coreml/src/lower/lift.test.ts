import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FunctionBuilder, Program, WeightStore, interpret, isFastVlmError, printProgram, tensor } from '@fastvlm/graph';
import { blobValue, constOp, milFunction, milOp, mlProgramModel, stringValue } from '../mil/build.js';
import { namedValue, tensorType } from '../mil/types.js';
import { immediateTensor } from '../mil/values.js';
import type { MilBlock, MilOperation } from '../proto/mil-types.js';
import type { CoreMLModel } from '../proto/model-types.js';
import { liftProgram } from './lift.js';
import { lowerProgram } from './program.js';
import { errorCode } from '../../../graph/src/testing/errors.js';

function model(ops: MilOperation[], outputs: string[], inputs = [namedValue('x', tensorType('fp32', [2, 3]))]): CoreMLModel {
  return mlProgramModel({
    specificationVersion: 8,
    functions: { main: milFunction({ inputs, opset: 'CoreML7', operations: ops, outputs }) },
    input: [],
    output: [],
  });
}

function op(type: string, name: string, inputs: Record<string, string | string[] | import('../proto/mil-types.js').MilValue>, shape: number[], dtype: 'fp32' | 'int32' = 'fp32'): MilOperation {
  return milOp(type, { name, inputs, outputs: [namedValue(name, tensorType(dtype, shape))] });
}

function liftCode(m: CoreMLModel, weights?: string): string {
  return errorCode(() => liftProgram(m, weights));
}

describe('liftProgram', () => {
  it('turns const parameters into attributes and const tensors into IR consts', () => {
    const m = model(
      [
        constOp('perm', immediateTensor('int32', [2], [1, 0])),
        constOp('k', immediateTensor('fp32', [], [2])),
        op('transpose', 't', { x: 'x', perm: 'perm' }, [3, 2]),
        op('mul', 'y', { x: 't', y: 'k' }, [3, 2]),
        op('softmax', 'z', { x: 'y', axis: immediateTensor('int32', [], [0]) }, [3, 2]),
      ],
      ['z'],
    );
    const p = liftProgram(m);
    expect(printProgram(p)).toBe(
      [
        'func main(%x: fp32[2,3]) -> (%z) {',
        '  %t = transpose(x=%x) {perm=[1,0]} : fp32[3,2]',
        '  %k = const() {dtype="fp32", shape=[], value=[2]} : fp32[]',
        '  %y = mul(x=%t, y=%k) : fp32[3,2]',
        '  %z = softmax(x=%y) {axis=0} : fp32[3,2]',
        '  return %z',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('lifts what the lowering emits back to a program computing the same values', () => {
    const p = new Program(new WeightStore());
    const f = new FunctionBuilder('main');
    const x = f.input('x', { dtype: 'fp32', shape: [2, 3] });
    const [n] = f.add('neg', { x }, {}, { names: ['n'] });
    const [s] = f.add('slice', { x: n! }, { begin: [0, -1], end: [2, -2147483648], strides: [1, -1] }, { names: ['s'] });
    f.output(f.add('rms_norm', { x: s! }, {}, { names: ['r'] })[0]!);
    p.addFunction(f.fn);
    const lifted = liftProgram(lowerProgram(p));
    const input = { x: tensor('fp32', [2, 3], [1, -2, 3, 0.5, 4, -6]) };
    const want = interpret(p, 'main', input).get('r')!;
    const got = interpret(lifted, 'main', input).get('r')!;
    expect(got.shape).toEqual(want.shape);
    Array.from(want.data).forEach((v, i) => expect(got.data[i]).toBeCloseTo(v, 5));
  });

  it('maps identity to the value itself and squeeze_mask to slice + squeeze', () => {
    const m = model(
      [
        op('identity', 'i', { x: 'x' }, [2, 3]),
        milOp('slice_by_index', {
          name: 'row',
          inputs: {
            x: 'i',
            begin: immediateTensor('int32', [2], [1, 0]),
            end: immediateTensor('int32', [2], [2, 0]),
            squeeze_mask: immediateTensor('bool', [2], [true, false]),
            end_mask: immediateTensor('bool', [2], [false, true]),
          },
          outputs: [namedValue('row', tensorType('fp32', [3]))],
        }),
      ],
      ['row'],
    );
    const p = liftProgram(m);
    expect(p.fn('main').body.ops.map((o) => o.kind)).toEqual(['slice', 'squeeze']);
    expect(interpret(p, 'main', { x: tensor('fp32', [2, 3], [1, 2, 3, 4, 5, 6]) }).get('row')!.data).toEqual(Float32Array.from([4, 5, 6]));
  });

  it('reports unliftable programs with E_LIFT', () => {
    expect(liftCode({ specificationVersion: 8 })).toBe('E_LIFT');
    expect(liftCode(model([op('tile', 't', { x: 'x', reps: immediateTensor('int32', [2], [1, 1]) }, [2, 3])], ['t']))).toBe('E_LIFT');
    // A parameter that is computed at run time cannot become an attribute.
    expect(liftCode(model([op('reshape', 'r', { x: 'x', shape: 'x' }, [6])], ['r']))).toBe('E_LIFT');
    // A weight reference without a weight file.
    expect(liftCode(model([constOp('w', blobValue('fp32', [2, 3], 64)), op('add', 'y', { x: 'x', y: 'w' }, [2, 3])], ['y']))).toBe('E_LIFT');
    // Declared output type differs from what the IR infers.
    expect(liftCode(model([op('relu', 'y', { x: 'x' }, [3, 2])], ['y']))).toBe('E_LIFT');
    // Use before definition; unknown output.
    expect(liftCode(model([op('relu', 'y', { x: 'nope' }, [2, 3])], ['y']))).toBe('E_LIFT');
    expect(liftCode(model([op('relu', 'y', { x: 'x' }, [2, 3])], ['zz']))).toBe('E_LIFT');
    // gather with batch_dims has no IR counterpart; 1-D conv neither.
    expect(liftCode(model([op('gather', 'g', { x: 'x', indices: immediateTensor('int32', [1], [0]), batch_dims: immediateTensor('int32', [], [1]) }, [2, 1])], ['g']))).toBe('E_LIFT');
    const conv1d = model(
      [constOp('w', immediateTensor('fp32', [1, 2, 1], [1, 1])), op('conv', 'c', { x: 'x', weight: 'w', pad_type: stringValue('valid') }, [1, 1, 3])],
      ['c'],
      [namedValue('x', tensorType('fp32', [1, 2, 3]))],
    );
    expect(liftCode(conv1d)).toBe('E_LIFT');
    // A string constant used as a tensor.
    expect(liftCode(model([constOp('s', stringValue('a')), op('relu', 'y', { x: 's' }, [2, 3])], ['y']))).toBe('E_LIFT');
  });

  describe('int32 division', () => {
    const INT_MIN = -2147483648;
    const INT_MAX = 2147483647;
    const i32 = (name: string, n: number): ReturnType<typeof namedValue> => namedValue(name, tensorType('int32', [n]));
    const floorRef = (a: number, b: number): number => {
      const q = BigInt(a) / BigInt(b);
      const r = BigInt(a) % BigInt(b);
      return Number(r !== 0n && r < 0n !== BigInt(b) < 0n ? q - 1n : q);
    };
    const pairs = fc.array(
      fc.tuple(fc.oneof(fc.integer({ min: INT_MIN, max: INT_MAX }), fc.integer({ min: -20, max: 20 })), fc.oneof(fc.integer({ min: INT_MIN, max: INT_MAX }), fc.integer({ min: -20, max: 20 })))
        .filter(([a, b]) => b !== 0 && !(a === INT_MIN && b === -1)),
      { minLength: 1, maxLength: 12 },
    );

    function divModel(n: number): CoreMLModel {
      const p = new Program(new WeightStore());
      const f = new FunctionBuilder('main');
      const x = f.input('x', { dtype: 'int32', shape: [n] });
      const y = f.input('y', { dtype: 'int32', shape: [n] });
      f.output(f.add('div', { x, y }, {}, { names: ['q'] })[0]!);
      p.addFunction(f.fn);
      return lowerProgram(p);
    }
    const blockOf = (m: CoreMLModel): MilBlock => {
      const fn = m.mlProgram!.functions!['main']!;
      return fn.blockSpecializations![fn.opset!]!;
    };

    it('the composition the lowering emits folds back into one div; a broken or shared group lifts op by op', () => {
      const kinds = (m: CoreMLModel): string[] => liftProgram(m).fn('main').body.ops.map((o) => o.kind);
      expect(kinds(divModel(4))).toEqual(['div']);
      // An intermediate also returned: not folded, and the function returns both values.
      const shared = divModel(4);
      blockOf(shared).outputs!.push('q_floor');
      expect(kinds(shared)).not.toContain('floor_div');
      expect(kinds(shared).filter((k) => k === 'div')).toHaveLength(2);
      const ins = { x: tensor('int32', [4], [-7, 7, -6, 0]), y: tensor('int32', [4], [2, -2, 3, -5]) };
      const out = interpret(liftProgram(shared), 'main', ins);
      expect(Array.from(out.get('q')!.data)).toEqual([-3, -3, -2, 0]);
      expect(Array.from(out.get('q_floor')!.data)).toEqual([-4, -4, -2, 0]);
      // A zero that is not zero, a cast to another dtype, swapped operands: not the pattern.
      const variants: ((ops: MilOperation[]) => void)[] = [
        (ops) => {
          const z = ops.find((o) => o.outputs![0]!.name === 'q_zero')!;
          z.attributes!.val = immediateTensor('int32', [], [1]);
        },
        (ops) => {
          const d = ops.find((o) => o.outputs![0]!.name === 'q_dtype')!;
          d.attributes!.val = stringValue('fp32');
        },
        (ops) => {
          const m = ops.find((o) => o.type === 'mod')!;
          m.inputs = { x: m.inputs!.y!, y: m.inputs!.x! };
        },
      ];
      for (const change of variants) {
        const m = divModel(4);
        change(blockOf(m).operations!);
        expect(codeOrKinds(m)).not.toEqual(['div']);
      }
    });

    function codeOrKinds(m: CoreMLModel): string[] | string {
      try {
        return liftProgram(m).fn('main').body.ops.map((o) => o.kind);
      } catch (e) {
        return isFastVlmError(e) ? e.code : `uncoded: ${String(e)}`;
      }
    }

    it('lone int32 floor_div and mod lift to compositions around the truncating div (Python floor semantics)', () => {
      fc.assert(
        fc.property(pairs, (ps) => {
          const n = ps.length;
          const m = model(
            [
              milOp('floor_div', { name: 'fd', inputs: { x: 'x', y: 'y' }, outputs: [i32('fd', n)] }),
              milOp('mod', { name: 'md', inputs: { x: 'x', y: 'y' }, outputs: [i32('md', n)] }),
            ],
            ['fd', 'md'],
            [i32('x', n), i32('y', n)],
          );
          const out = interpret(liftProgram(m), 'main', { x: tensor('int32', [n], ps.map((p) => p[0])), y: tensor('int32', [n], ps.map((p) => p[1])) });
          expect(Array.from(out.get('fd')!.data)).toEqual(ps.map(([a, b]) => floorRef(a, b)));
          expect(Array.from(out.get('md')!.data)).toEqual(ps.map(([a, b]) => Number(BigInt(a) - BigInt(floorRef(a, b)) * BigInt(b))));
        }),
        { numRuns: 150 },
      );
    });

    it('float floor_div and mod have no IR form (E_LIFT naming the op)', () => {
      for (const t of ['floor_div', 'mod']) {
        const m = model([op(t, 'o', { x: 'x', y: 'x' }, [2, 3])], ['o']);
        expect(liftCode(m)).toBe('E_LIFT');
        expect(() => liftProgram(m)).toThrow(`${t} on fp32 has no IR form`);
      }
    });

    it('logical ops lift to select / comparisons with their truth tables', () => {
      const b = (name: string): ReturnType<typeof namedValue> => namedValue(name, tensorType('bool', [4]));
      const m = model(
        [
          constOp('zero', immediateTensor('int32', [], [0])),
          milOp('less', { name: 'a', inputs: { x: 'x', y: 'zero' }, outputs: [b('a')] }),
          milOp('less', { name: 'c', inputs: { x: 'y', y: 'zero' }, outputs: [b('c')] }),
          ...['logical_and', 'logical_or', 'logical_xor'].map((t) => milOp(t, { name: t, inputs: { x: 'a', y: 'c' }, outputs: [b(t)] })),
          milOp('logical_not', { name: 'logical_not', inputs: { x: 'a' }, outputs: [b('logical_not')] }),
        ],
        ['logical_and', 'logical_or', 'logical_xor', 'logical_not'],
        [i32('x', 4), i32('y', 4)],
      );
      const out = interpret(liftProgram(m), 'main', { x: tensor('int32', [4], [-1, -1, 1, 1]), y: tensor('int32', [4], [-1, 1, -1, 1]) });
      expect(Array.from(out.get('logical_and')!.data)).toEqual([1, 0, 0, 0]);
      expect(Array.from(out.get('logical_or')!.data)).toEqual([1, 1, 1, 0]);
      expect(Array.from(out.get('logical_xor')!.data)).toEqual([0, 1, 1, 0]);
      expect(Array.from(out.get('logical_not')!.data)).toEqual([0, 0, 1, 1]);
    });
  });
});
