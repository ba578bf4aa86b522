import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { roundToFp16 } from '@fastvlm/graph';
import { arbProgram } from '../../../graph/src/testing/random-graph.js';
import { PassManager } from '../manager.js';
import { TestFn, expectSameOutputs, goldenTests } from '../testing/support.js';

const KINDS = ['add', 'sub', 'relu', 'sigmoid', 'tanh', 'softmax', 'transpose', 'reshape', 'concat', 'reduce_sum', 'split', 'const'];

describe('to-fp16', () => {
  goldenTests('to-fp16');

  it('leaves no fp32 value and stays within fp16 tolerance on random programs (property)', () => {
    fc.assert(
      fc.property(arbProgram({ kinds: KINDS, dtypes: ['fp32'], maxOps: 6, maxFunctions: 2 }), fc.boolean(), (p, keepIO) => {
        const q = new PassManager().add('to-fp16', { keepIO }).run(p).program;
        for (const [name, fn] of q.functions) {
          const orig = p.fn(name);
          for (const op of fn.body.ops) {
            for (const o of op.outputs) {
              const isBoundaryCast = keepIO && op.kind === 'cast' && fn.outputs.includes(o);
              expect(o.type.dtype === 'fp32' && !isBoundaryCast, `${op.kind} -> %${o.name}`).toBe(false);
            }
          }
          fn.inputs.forEach((v, i) => expect(v.type.dtype).toBe(keepIO ? orig.inputs[i]!.type.dtype : 'fp16'));
          expect(fn.outputs.map((v) => v.name)).toEqual(orig.outputs.map((v) => v.name));
          if (keepIO) expect(fn.outputs.map((v) => v.type.dtype)).toEqual(orig.outputs.map((v) => v.type.dtype));
        }
        expectSameOutputs(p, q, { abs: 0.05, rel: 0.02 });
      }),
      { numRuns: 60 },
    );
  });

  it('rounds constants to fp16 and clamps finite values beyond the fp16 range', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [3]);
    const c = t.c('fp32', [3], [0.1, -1e9, Infinity]);
    const p = t.done([t.op('maximum', { x, y: c }, {}, 'y')]);
    const q = new PassManager().add('to-fp16').run(p).program;
    const k = q.fn('main').body.ops.find((o) => o.kind === 'const')!;
    expect(k.attrs.value).toEqual([roundToFp16(0.1), -65504, Infinity]);
    const r = new PassManager().add('to-fp16', { clampConstants: false }).run(p).program;
    expect(r.fn('main').body.ops.find((o) => o.kind === 'const')!.attrs.value).toEqual([roundToFp16(0.1), -Infinity, Infinity]);
  });
});
