import { describe, expect, it } from 'vitest';
import type { Attrs, Op } from '@fastvlm/graph';
import { TestFn } from '../testing/support.js';
import { isUnitReshape, isUnitTranspose, regroupUnits, unitAxes } from './assign-layout-units.js';

/** The op of `kind` applied to an fp32 input of `shape`. */
function opOn(kind: string, shape: readonly number[], attrs: Attrs): Op {
  const t = new TestFn();
  return t.op(kind, { x: t.input('x', 'fp32', shape) }, attrs).producer!;
}

describe('assign-layout size-1 axes', () => {
  it('a unit reshape keeps the non-1 dims in order; any other reshape is not one', () => {
    expect(isUnitReshape(opOn('reshape', [2, 1, 3], { shape: [1, 2, 3, 1] }))).toBe(true);
    expect(isUnitReshape(opOn('reshape', [2, 3], { shape: [3, 2] }))).toBe(false);
    expect(isUnitReshape(opOn('reshape', [2, 3, 4], { shape: [2, 4, 3] }))).toBe(false);
  });

  it('a unit transpose moves only size-1 axes', () => {
    expect(isUnitTranspose(opOn('transpose', [2, 1, 3], { perm: [1, 0, 2] }))).toBe(true);
    expect(isUnitTranspose(opOn('transpose', [2, 1, 1, 3], { perm: [1, 0, 3, 2] }))).toBe(true);
    expect(isUnitTranspose(opOn('transpose', [2, 1, 3], { perm: [2, 1, 0] }))).toBe(false);
  });

  it('the axes a squeeze, expand_dims or unit reshape drops and adds, ascending', () => {
    expect(unitAxes(opOn('squeeze', [1, 3, 1], { axes: [-1, 0] }))).toEqual({ dropped: [0, 2], added: [] });
    expect(unitAxes(opOn('squeeze', [1, 3, 1], { axes: [0] }))).toEqual({ dropped: [0], added: [] });
    expect(unitAxes(opOn('squeeze', [1, 3, 1], {}))).toEqual({ dropped: [0, 2], added: [] });
    expect(unitAxes(opOn('expand_dims', [3], { axes: [-1, 0] }))).toEqual({ dropped: [], added: [0, 2] });
    expect(unitAxes(opOn('reshape', [1, 3], { shape: [3, 1, 1] }))).toEqual({ dropped: [0], added: [1, 2] });
  });

  it('regroupUnits keeps the physical data: each output axis lands where its data is', () => {
    // [1,2,3] -> [2,1,3] (perm [1,0,2]): physical (1,2,3) holds output axes (1,0,2).
    expect(regroupUnits([0, 1, 2], [1, 2, 3], [2, 1, 3])).toEqual([1, 0, 2]);
    // [2,1,1,3] -> [1,2,3,1] (perm [1,0,3,2]): physical (2,1,1,3) holds output axes (1,0,3,2).
    expect(regroupUnits([0, 1, 2, 3], [2, 1, 1, 3], [1, 2, 3, 1])).toEqual([1, 0, 3, 2]);
  });
});
