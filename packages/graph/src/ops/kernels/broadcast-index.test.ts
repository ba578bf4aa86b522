/** numpy broadcasting of the kernels: index maps against naive index arithmetic, and the errors. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { broadcastIndex, inferBroadcast, staticBroadcast } from './broadcast-index.js';
import { fastVlmError } from '../../testing/errors.js';

describe('broadcastIndex', () => {
  it('maps each output element to the input element numpy reads (property)', () => {
    // An output shape and an input made of a suffix of it with some axes set to 1.
    const pair = fc
      .array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 4 })
      .chain((out) => fc.tuple(fc.constant(out), fc.nat({ max: out.length }), fc.array(fc.boolean(), { minLength: out.length, maxLength: out.length })));
    fc.assert(
      fc.property(pair, ([out, drop, ones]) => {
        const shape = out.slice(drop).map((d, i) => (ones[i] ? 1 : d));
        const map = broadcastIndex(shape, out);
        const n = out.reduce((a, b) => a * b, 1);
        const want = Array.from({ length: n }, (_, e) => {
          let rest = e;
          let flat = 0;
          let stride = 1;
          for (let i = out.length - 1; i >= 0; i--) {
            const v = rest % out[i]!;
            rest = Math.floor(rest / out[i]!);
            const j = i - (out.length - shape.length);
            if (j >= 0) {
              flat += (shape[j] === 1 ? 0 : v) * stride;
              stride *= shape[j]!;
            }
          }
          return flat;
        });
        const same = shape.length === out.length && shape.every((d, i) => d === out[i]);
        // Equal shapes give no map (callers skip the lookup); otherwise exactly n entries.
        if (same) expect(map).toBeUndefined();
        else expect([...map!]).toEqual(want);
      }),
      { numRuns: 300 },
    );
    expect(broadcastIndex([2, 3], [2, 3])).toBeUndefined();
    expect([...broadcastIndex([3], [2, 3])!]).toEqual([0, 1, 2, 0, 1, 2]);
  });
});

describe('broadcast errors', () => {
  it('name every input shape', () => {
    const e = fastVlmError(
      () =>
        inferBroadcast([
          ['x', [2, 3]],
          ['y', [4]],
        ]),
      'E_SHAPE_MISMATCH',
    );
    expect(e.detail).toBe("shapes 'x' [2,3], 'y' [4] do not broadcast (aligned on the right, each dim must be equal or 1)");
    expect(inferBroadcast([['x', [2, 1]], ['y', [3]]])).toEqual([2, 3]);
    expect(staticBroadcast([[2, 1], [3]])).toEqual([2, 3]);
    expect(fastVlmError(() => staticBroadcast([[2, 3], [4]]), 'E_INTERPRET').detail).toBe('kernel inputs [2,3], [4] do not broadcast');
  });
});
