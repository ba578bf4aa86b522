import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SharedBufferPool } from './buffers.js';

describe('SharedBufferPool', () => {
  it('serves a released buffer again to a request it fits, and a new one otherwise', () => {
    const pool = new SharedBufferPool();
    const a = pool.acquire(1000);
    expect(a.byteLength).toBeGreaterThanOrEqual(1000);
    const b = pool.acquire(1000);
    expect(b).not.toBe(a);
    pool.release(a);
    expect(pool.idleSize).toBe(a.byteLength);
    expect(pool.acquire(500)).toBe(a);
    expect(pool.idleSize).toBe(0);
    // Too small for a larger request.
    pool.release(a);
    const c = pool.acquire(a.byteLength + 1);
    expect(c).not.toBe(a);
    expect(c.byteLength).toBeGreaterThan(a.byteLength);
  });

  it('keeps a much larger buffer for a weight of its size', () => {
    const pool = new SharedBufferPool();
    const big = pool.acquire(10 << 20);
    pool.release(big);
    expect(pool.acquire(100)).not.toBe(big);
    expect(pool.acquire(9 << 20)).toBe(big);
  });

  it('ignores plain ArrayBuffers and double releases', () => {
    const pool = new SharedBufferPool();
    pool.release(new ArrayBuffer(100));
    expect(pool.idleSize).toBe(0);
    const a = pool.acquire(100);
    pool.release(a);
    pool.release(a);
    expect(pool.idleSize).toBe(a.byteLength);
    expect(pool.acquire(100)).toBe(a);
    expect(pool.acquire(100)).not.toBe(a);
  });

  it('never hands one buffer to two holders and stays within its idle bound (model check)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.record({ get: fc.integer({ min: 1, max: 1 << 20 }) }), fc.record({ put: fc.nat() })), { maxLength: 60 }), (steps) => {
        const cap = 3 << 20;
        const pool = new SharedBufferPool(cap);
        const held: { buf: SharedArrayBuffer; size: number }[] = [];
        for (const s of steps) {
          if ('get' in s) {
            const buf = pool.acquire(s.get);
            expect(buf.byteLength).toBeGreaterThanOrEqual(s.get);
            expect(held.some((h) => h.buf === buf)).toBe(false);
            held.push({ buf, size: s.get });
          } else if (held.length > 0) {
            pool.release(held.splice(s.put % held.length, 1)[0]!.buf);
          }
          expect(pool.idleSize).toBeLessThanOrEqual(cap);
        }
      }),
      { numRuns: 200 },
    );
  });
});
