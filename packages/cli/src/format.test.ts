import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatBytes, formatMs, formatTable, groupDigits } from './format.js';

describe('format', () => {
  it('groups digits like Intl in en-US', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e15, max: 1e15 }), (n) => {
        expect(groupDigits(n)).toBe(new Intl.NumberFormat('en-US').format(n));
      }),
    );
  });

  it('prints bytes in decimal units with three significant digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.00 kB');
    expect(formatBytes(12_345)).toBe('12.3 kB');
    expect(formatBytes(252_651_776)).toBe('253 MB');
    expect(formatBytes(1_260_747_008)).toBe('1.26 GB');
    expect(formatMs(850.4)).toBe('850 ms');
    expect(formatMs(12_400)).toBe('12.4 s');
  });

  it('aligns table columns', () => {
    expect(formatTable(['a', 'bb'], [['xyz', '1'], ['q', '22']])).toBe('a    bb\n---  --\nxyz   1\nq    22\n');
  });
});
