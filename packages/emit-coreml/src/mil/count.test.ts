import { describe, expect, it } from 'vitest';
import type { CoreMLModel } from '../proto/model-types.js';
import type { MilBlock, MilFunction, MilOperation } from '../proto/mil-types.js';
import { countMilOps, milFunctionOpCounts, milOpTotals } from './count.js';

const op = (type: string | undefined, blocks?: MilBlock[]): MilOperation => ({ ...(type !== undefined ? { type } : {}), ...(blocks ? { blocks } : {}) });

/** A function whose CoreML7 block holds a `cond` with two nested bodies (one nested again). */
function nestedFunction(): MilFunction {
  const inner: MilBlock = { operations: [op('const'), op('mul')] };
  const thenBody: MilBlock = { operations: [op('add'), op('while_loop', [inner])] };
  const elseBody: MilBlock = { operations: [op('const'), op('sub')] };
  return {
    opset: 'CoreML7',
    blockSpecializations: {
      CoreML7: { operations: [op('const'), op('relu'), op('cond', [thenBody, elseBody]), op(undefined)] },
      // Another specialization Core ML does not run for this opset: not counted.
      CoreML8: { operations: [op('relu'), op('relu')] },
    },
  };
}

describe('MIL op counts', () => {
  it('count the opset block with its nested blocks, in type order', () => {
    const counts = milFunctionOpCounts(nestedFunction());
    expect([...counts]).toEqual([
      ['?', 1],
      ['add', 1],
      ['cond', 1],
      ['const', 3],
      ['mul', 1],
      ['relu', 1],
      ['sub', 1],
      ['while_loop', 1],
    ]);
    expect([...countMilOps(undefined)]).toEqual([]);
    expect([...milFunctionOpCounts({ blockSpecializations: { CoreML7: { operations: [op('relu')] } } })]).toEqual([]);
  });

  it('total ops and consts over every function of a model', () => {
    const model: CoreMLModel = { mlProgram: { functions: { a: nestedFunction(), b: { opset: 'CoreML8', blockSpecializations: { CoreML8: { operations: [op('const'), op('add')] } } } } } };
    // a: 3 consts + 7 others (nested included); b: 1 + 1.
    expect(milOpTotals(model)).toEqual({ ops: 8, consts: 4 });
    expect(milOpTotals({})).toEqual({ ops: 0, consts: 0 });
  });
});
