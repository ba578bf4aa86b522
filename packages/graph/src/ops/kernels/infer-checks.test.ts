/** The shared inference checks: the dtype of the first present input, epsilons, and their messages. */
import { describe, expect, it } from 'vitest';
import { expectSameDtype, nonNegativeAttr } from './infer-checks.js';
import { fastVlmError } from '../../testing/errors.js';

describe('expectSameDtype', () => {
  it('returns the shared dtype, skipping omitted inputs, and names both inputs when they differ', () => {
    expect(expectSameDtype([['x', undefined], ['y', { dtype: 'fp16', shape: [2] }], ['z', { dtype: 'fp16', shape: [] }]])).toBe('fp16');
    const e = fastVlmError(() => expectSameDtype([['x', { dtype: 'fp32', shape: [2, 3] }], ['bias', undefined], ['y', { dtype: 'fp16', shape: [3] }]]), 'E_DTYPE_MISMATCH');
    expect(e.detail).toBe("input 'y' is fp16[3] but 'x' is fp32[2,3]; they must have the same dtype");
    expect(fastVlmError(() => expectSameDtype([['x', undefined]]), 'E_INPUT').detail).toBe('no tensor input to take the dtype from');
  });
});

describe('nonNegativeAttr', () => {
  it('accepts 0 and positive finite numbers, names the attribute otherwise', () => {
    expect(nonNegativeAttr(0, 'epsilon')).toBe(0);
    expect(nonNegativeAttr(1e-5, 'epsilon')).toBe(1e-5);
    for (const v of [-1e-9, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(fastVlmError(() => nonNegativeAttr(v, 'epsilon'), 'E_ATTR').detail, String(v)).toBe(`attribute 'epsilon' must be a finite number >= 0, got ${v}`);
    }
  });
});
