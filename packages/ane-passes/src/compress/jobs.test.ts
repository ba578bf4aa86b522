import { describe, expect, it } from 'vitest';
import { codesSource } from './jobs.js';

describe('codesSource', () => {
  const codes = (): Int8Array => Int8Array.from([-1, 2, -3, 4, 5, -6, 7]);

  it('hands the codes back once they are read', () => {
    const back: (Uint8Array | Int8Array)[] = [];
    const src = codesSource('int8', [7], codes, 'codes', (c) => back.push(c));
    expect(Array.from(src.read().data)).toEqual([-1, 2, -3, 4, 5, -6, 7]);
    expect(back.length).toBe(1);
  });

  it('hands the codes back after the last chunk is streamed, or when the reader stops early', () => {
    const back: (Uint8Array | Int8Array)[] = [];
    const src = codesSource('int4', [7], codes, 'codes', (c) => back.push(c));
    const it = src.stream!(2)[Symbol.iterator]();
    const chunks: number[] = [];
    for (let r = it.next(); !r.done; r = it.next()) {
      expect(back.length).toBe(0);
      chunks.push(...r.value);
    }
    // int4 packed low nibble first: 0xf | 2 << 4, 0xd | 4 << 4, 5 | 0xa << 4, 7.
    expect(chunks).toEqual([0x2f, 0x4d, 0xa5, 0x07]);
    expect(back.length).toBe(1);
    for (const c of src.stream!(1)) {
      expect(c.length).toBe(1);
      break;
    }
    expect(back.length).toBe(2);
  });

  it('streams without a release callback as before', () => {
    const src = codesSource('int8', [7], codes, 'codes');
    expect(Array.from(src.stream!(4), (c) => Array.from(c))).toEqual([[255, 2, 253, 4], [5, 250, 7]]);
  });
});
