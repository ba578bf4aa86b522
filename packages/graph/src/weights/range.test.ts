import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isFastVlmError } from '../errors.js';
import { fillTensor } from '../testing/arb.js';
import { loadSafetensors } from './safetensors.js';
import { writeSafetensors } from './safetensors-write.js';
import { memorySource, WeightStore } from './store.js';
import { syntheticSource } from './synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'fvlm-range-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every source kind: a range read equals the same elements of a full read. */
describe('WeightStore.readRange', () => {
  const t32 = fillTensor('fp32', [37, 11], 7);
  const t16 = fillTensor('fp16', [5, 64], 9);
  const file = join(dir, 'w.safetensors');
  writeSafetensors(file, [['a', t32], ['b', t16]], { dtypes: { fp32: 'BF16' } });
  const store = new WeightStore();
  store.add('mem', memorySource(t32));
  store.add('syn', syntheticSource('syn', 'fp16', [300, 17], { seed: 3 }));
  store.add('syn8', syntheticSource('syn8', 'int8', [40, 9], { seed: 1 }));
  store.merge(loadSafetensors(file, { floatDtype: 'fp16' }));

  for (const name of ['mem', 'syn', 'syn8', 'a', 'b']) {
    it(`${name}: any range equals the slice of a full read`, () => {
      const full = store.read(name);
      const n = full.data.length;
      fc.assert(
        fc.property(fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: n }), (x, y) => {
          const [s, e] = x <= y ? [x, y] : [y, x];
          const r = store.readRange(name, s, e - s);
          expect(r.dtype).toBe(full.dtype);
          expect(r.shape).toEqual([e - s]);
          expect(Array.from(r.data)).toEqual(Array.from(full.data.slice(s, e)));
        }),
        { numRuns: 60 },
      );
    });
  }

  it('rejects ranges outside the weight with a coded error', () => {
    expect(() => store.readRange('syn', 5000, 200)).toThrow(expect.objectContaining({ code: 'E_ATTR' }));
    let err: unknown;
    try { store.readRange('mem', -1, 2); } catch (e) { err = e; }
    expect(isFastVlmError(err, 'E_ATTR')).toBe(true);
  });
});
