import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunked, packBits } from './pack.js';

/** Bit i*b+k of the output is bit k of element i (LSB first), written out bit by bit. */
function naivePack(values: readonly number[], bits: number): number[] {
  const out = new Array<number>(Math.ceil((values.length * bits) / 8)).fill(0);
  values.forEach((v, i) => {
    for (let k = 0; k < bits; k++) {
      const bit = i * bits + k;
      if ((v >> k) & 1) out[bit >> 3]! |= 1 << (bit & 7);
    }
  });
  return out;
}

describe('packBits', () => {
  it('packs 1, 2, 3, 4, 6 and 8-bit values LSB first, any length', () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 3, 4, 6, 8), fc.array(fc.nat(255), { maxLength: 70 }), (bits, raw) => {
        const vals = raw.map((v) => v & ((1 << bits) - 1));
        expect(Array.from(packBits(Uint8Array.from(vals), bits))).toEqual(naivePack(vals, bits));
      }),
      { numRuns: 300 },
    );
  });

  it('stores signed 4-bit values in two’s complement (low nibble first)', () => {
    const packed = packBits(Int8Array.from([-1, 2, -8, 7, -3]), 4);
    expect(Array.from(packed)).toEqual([0x2f, 0x78, 0x0d]);
  });

  it('chunks a buffer without copying and covers it exactly', () => {
    const b = Uint8Array.from({ length: 10 }, (_, i) => i);
    const parts = [...chunked(b, 4)];
    expect(parts.map((p) => Array.from(p))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(parts[0]!.buffer).toBe(b.buffer);
  });
});
