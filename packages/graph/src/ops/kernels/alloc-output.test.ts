/**
 * Output allocation: sizes beyond the interpreter's limit and allocation failures are coded
 * errors naming the op (the storage allocator is replaced so no test allocates gigabytes).
 */
import { describe, expect, it, vi } from 'vitest';
import { MAX_KERNEL_ELEMENTS, allocOutput } from './alloc-output.js';
import { fastVlmError } from '../../testing/errors.js';

const failing = vi.hoisted(() => ({ at: Number.POSITIVE_INFINITY }));
vi.mock('../../tensor.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../tensor.js')>();
  return {
    ...real,
    allocData: (dtype: Parameters<typeof real.allocData>[0], n: number) => {
      if (n >= failing.at) throw new RangeError('Array buffer allocation failed');
      return real.allocData(dtype, n);
    },
  };
});

describe('allocOutput', () => {
  it('allocates zeroed storage of the dtype up to the limit', () => {
    const d = allocOutput('matmul', 'fp16', 3);
    expect(d).toBeInstanceOf(Float32Array);
    expect([...d]).toEqual([0, 0, 0]);
    expect(allocOutput('cast', 'int32', 2)).toBeInstanceOf(Int32Array);
  });

  it('refuses more than MAX_KERNEL_ELEMENTS elements before allocating, naming the op', () => {
    const e = fastVlmError(() => allocOutput('matmul', 'fp32', MAX_KERNEL_ELEMENTS + 1), 'E_INTERPRET');
    expect(e.detail).toBe(`matmul: the output has ${MAX_KERNEL_ELEMENTS + 1} elements, more than the interpreter's limit of ${MAX_KERNEL_ELEMENTS}`);
    expect(e.where).toBe('matmul');
  });

  it('turns a failed allocation into E_INTERPRET with the cause', () => {
    failing.at = 1000;
    try {
      const e = fastVlmError(() => allocOutput('conv2d', 'fp32', 5000), 'E_INTERPRET');
      expect(e.detail).toBe('conv2d: could not allocate an output of 5000 elements');
      expect(e.where).toBe('conv2d');
      expect(e.cause).toBeInstanceOf(RangeError);
    } finally {
      failing.at = Number.POSITIVE_INFINITY;
    }
  });
});
