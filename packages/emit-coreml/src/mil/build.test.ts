import { describe, expect, it } from 'vitest';

import { decodeModel, encodeModel } from '../proto/codec.js';
import { programValues } from './walk.js';
import { blobValue, buildInfoValue, constOp, listValue, milFunction, milOp, mlProgramModel, opsetOf, scalarValue, stringValue } from './build.js';
import { arrayFeature, describeTensorType, namedValue, stateFeature, stateType, tensorType } from './types.js';
import { errorCode } from '../../../graph/src/testing/errors.js';

const STR = { tensorType: { dataType: 2, rank: 0, dimensions: [] } };

describe('MIL constructors', () => {
  it('maps specification versions to opsets', () => {
    expect([6, 7, 8, 9, 10].map(opsetOf)).toEqual(['CoreML5', 'CoreML6', 'CoreML7', 'CoreML8', 'CoreML9']);
    expect(errorCode(() => opsetOf(5))).toBe('E_VALUE');
  });

  it('builds tensor, state and symbolic types', () => {
    expect(tensorType('fp32', [2, 'seq'])).toEqual({ tensorType: { dataType: 11, rank: 2, dimensions: [{ constant: { size: 2 } }, { unknown: { variadic: false } }] } });
    expect(stateType('fp16', [1, 4])).toEqual({ stateType: { wrappedType: { tensorType: { dataType: 10, rank: 2, dimensions: [{ constant: { size: 1 } }, { constant: { size: 4 } }] } } } });
    expect(describeTensorType(tensorType('int4', [3, 's']))).toEqual({ dtype: 'int4', shape: [3, null] });
    expect(errorCode(() => tensorType('fp32', [-1]))).toBe('E_VALUE');
  });

  it('gives every op a name attribute and binds inputs by name, list or value', () => {
    const v = scalarValue('fp32', 2);
    const o = milOp('concat', { name: 'cat', inputs: { values: ['a', 'b'], axis: 'ax', interleave: v }, outputs: [namedValue('cat', tensorType('fp32', [4]))] });
    expect(o).toEqual({
      type: 'concat',
      inputs: { values: { arguments: [{ name: 'a' }, { name: 'b' }] }, axis: { arguments: [{ name: 'ax' }] }, interleave: { arguments: [{ value: v }] } },
      outputs: [{ name: 'cat', type: tensorType('fp32', [4]) }],
      attributes: { name: { type: STR, immediateValue: { tensor: { strings: { values: ['cat'] } } } } },
    });
    const c = constOp('k', listValue([0, 2, 1]));
    expect(c.attributes!.val).toEqual({ type: { tensorType: { dataType: 23, rank: 1, dimensions: [{ constant: { size: 3 } }] } }, immediateValue: { tensor: { ints: { values: Int32Array.from([0, 2, 1]) } } } });
    expect(c.outputs).toEqual([{ name: 'k', type: c.attributes!.val!.type }]);
    expect(Object.keys(c.inputs!)).toEqual([]);
  });

  it('rejects invalid names, empty variadic inputs, missing outputs and bad blob offsets', () => {
    expect(errorCode(() => milOp('add', { name: '1x', outputs: [namedValue('y', tensorType('fp32', []))] }))).toBe('E_VALUE');
    expect(errorCode(() => milOp('add', { name: 'y', inputs: { x: 'a-b' }, outputs: [namedValue('y', tensorType('fp32', []))] }))).toBe('E_VALUE');
    expect(errorCode(() => milOp('concat', { name: 'y', inputs: { values: [] }, outputs: [namedValue('y', tensorType('fp32', []))] }))).toBe('E_VALUE');
    expect(errorCode(() => milOp('add', { name: 'y', outputs: [] }))).toBe('E_VALUE');
    expect(errorCode(() => namedValue('a b', tensorType('fp32', [])))).toBe('E_VALUE');
    expect(errorCode(() => blobValue('fp32', [1], 100))).toBe('E_VALUE');
    expect(errorCode(() => blobValue('fp32', [1], 0))).toBe('E_VALUE');
    expect(errorCode(() => arrayFeature('x', 'int4', [1]))).toBe('E_VALUE');
  });

  it('wraps functions and models the way coremltools lays them out', () => {
    const fn = milFunction({ inputs: [namedValue('x', tensorType('fp16', [2]))], opset: 'CoreML8', operations: [], outputs: ['x'] });
    expect(fn).toEqual({ inputs: [{ name: 'x', type: tensorType('fp16', [2]) }], opset: 'CoreML8', blockSpecializations: { CoreML8: { outputs: ['x'], operations: [] } } });
    const m = mlProgramModel({
      specificationVersion: 9,
      functions: { main: fn },
      input: [arrayFeature('x', 'fp16', [2], { enumeratedShapes: [[2], [4]] })],
      output: [arrayFeature('y', 'fp32', [2], { shapeRange: [[1, -1]] })],
      state: [stateFeature('kv', [1, 2])],
      buildInfo: { b: '2', a: '1' },
    });
    expect(m.description).toEqual({
      input: [{ name: 'x', type: { multiArrayType: { shape: [2], dataType: 65552, enumeratedShapes: { shapes: [{ shape: [2] }, { shape: [4] }] } } } }],
      output: [{ name: 'y', type: { multiArrayType: { shape: [2], dataType: 65568, shapeRange: { sizeRanges: [{ lowerBound: 1, upperBound: -1 }] } } } }],
      state: [{ name: 'kv', type: { stateType: { arrayType: { shape: [1, 2], dataType: 65552 } } } }],
    });
    // buildInfo entries sorted by key, as a string -> string dictionary.
    const dict = m.mlProgram!.attributes!.buildInfo!.immediateValue!.dictionary!.values!;
    expect(dict.map((kv) => [kv.key!.immediateValue!.tensor!.strings!.values![0], kv.value!.immediateValue!.tensor!.strings!.values![0]])).toEqual([['a', '1'], ['b', '2']]);
    expect(buildInfoValue({}).type).toEqual({ dictionaryType: { keyType: STR, valueType: STR } });
    expect(decodeModel(encodeModel(m)).description!.state![0]!.name).toBe('kv');
  });

  it('visits every value of a program, nested ones included', () => {
    const inner = milOp('add', { name: 'z', inputs: { x: 'a', y: scalarValue('fp32', 1) }, outputs: [namedValue('z', tensorType('fp32', []))] });
    const loop = milOp('while_loop', { name: 'w', inputs: {}, outputs: [namedValue('w', tensorType('fp32', []))], blocks: [{ outputs: ['z'], operations: [inner] }] });
    const prog = mlProgramModel({
      specificationVersion: 8,
      functions: { main: milFunction({ inputs: [], opset: 'CoreML7', operations: [constOp('c', blobValue('fp16', [4], 64)), loop], outputs: ['w'] }) },
      input: [],
      output: [],
      buildInfo: { k: 'v' },
    }).mlProgram!;
    const paths = [...programValues(prog)].map((v) => v.path);
    expect(paths).toContain('main/CoreML7/ops[0](const c).attributes.val');
    expect(paths).toContain('main/CoreML7/ops[1](while_loop w).blocks[0]/ops[0](add z).inputs.y[0]');
    expect(paths).toContain('program.attributes.buildInfo{0}.key');
    expect([...programValues(prog)].filter((v) => v.value.blobFileValue).length).toBe(1);
    expect(stringValue('s').type).toEqual(STR);
  });
});
