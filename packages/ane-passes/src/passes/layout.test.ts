import { describe, expect, it } from 'vitest';
import { dropLayout, layoutKey, squeezeLayout, transposeLayout } from './layout.js';

describe('layout helpers', () => {
  it('layoutKey tells apart layouts whose axes run together without a separator (rank 12)', () => {
    const tail = [2, 3, 4, 5, 6, 7, 8, 9];
    const a = [1, 10, 11, 0, ...tail];
    const b = [11, 0, 1, 10, ...tail];
    expect(layoutKey(a)).not.toBe(layoutKey(b));
    expect(layoutKey([0, 2, -1, 1])).toBe(layoutKey([0, 2, -1, 1]));
  });

  it('transpose, squeeze and drop move the logical axes as the definitions say', () => {
    // (B, S, C) stored as (B, C, 1, S); transpose perm [0, 2, 1] makes logical (B, C, S): the
    // old axis p sits at the new position i with perm[i] = p.
    expect(transposeLayout([0, 2, -1, 1], [0, 2, 1])).toEqual([0, 1, -1, 2]);
    // Squeezing S (axis 1) leaves a unit slot where S was; C renumbers to 1.
    expect(squeezeLayout([0, 2, -1, 1], [1])).toEqual([0, 1, -1, -1]);
    // Dropping S removes its physical axis too.
    expect(dropLayout([0, 2, -1, 1], [1])).toEqual([0, 1, -1]);
  });
});
