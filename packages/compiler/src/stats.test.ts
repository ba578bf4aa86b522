import { describe, expect, it } from 'vitest';
import { parseProgram } from '@fastvlm/graph';
import { functionStats } from './stats.js';

const MIXED = `
func main(%x: fp32[2,3,4], %ids: int32[5]) -> (%y, %n, %h) {
  %w = const() {dtype="fp16", shape=[4], value=[1,2,3,4]} : fp16[4]
  %xh = cast(x=%x) {dtype="fp16"} : fp16[2,3,4]
  %a = transpose(x=%xh) {perm=[2,0,1]} : fp16[4,2,3]
  %b = transpose(x=%a) {perm=[1,2,0]} : fp16[2,3,4]
  %m = mul(x=%b, y=%w) : fp16[2,3,4]
  %r = reshape(x=%m) {shape=[1,2,3,4,1]} : fp16[1,2,3,4,1]
  %y = cast(x=%r) {dtype="fp32"} : fp32[1,2,3,4,1]
  %n = add(x=%ids, y=%ids) : int32[5]
  %h = exp(x=%x) : fp32[2,3,4]
  return %y, %n, %h
}`;

describe('functionStats', () => {
  it('counts op kinds, transposes, reshapes, ranks, the largest tensor and the fp16 share', () => {
    const s = functionStats(parseProgram(MIXED).fn('main'));
    expect(s.opCounts).toEqual({ add: 1, cast: 2, const: 1, exp: 1, mul: 1, reshape: 1, transpose: 2 });
    expect(Object.keys(s.opCounts)).toEqual(['add', 'cast', 'const', 'exp', 'mul', 'reshape', 'transpose']);
    expect(s.ops).toBe(8);
    expect(s.consts).toBe(1);
    expect(s.transposes).toBe(2);
    expect(s.reshapes).toBe(1);
    expect(s.highestRank).toBe(5);
    // 24 fp32 elements (exp, the cast back) beat 24 fp16 ones; the first of equal size is kept.
    expect(s.largestIntermediate).toEqual({ bytes: 96, value: 'y', op: 'cast', type: 'fp32[1,2,3,4,1]' });
    // Float compute ops: transpose x2, mul, reshape (fp16) and exp (fp32); casts and the int add are not counted.
    expect(s.floatOps).toBe(5);
    expect(s.fp16Ops).toBe(4);
    expect(s.fp16Share).toBeCloseTo(0.8, 12);
  });

  it('reports a null share for a function of integer ops only', () => {
    const s = functionStats(
      parseProgram(`
func main(%i: int32[3]) -> (%j) {
  %j = add(x=%i, y=%i) : int32[3]
  return %j
}`).fn('main'),
    );
    expect(s.fp16Share).toBeNull();
    expect(s.largestIntermediate).toEqual({ bytes: 12, value: 'j', op: 'add', type: 'int32[3]' });
    expect(s.highestRank).toBe(1);
  });

  it('counts an input rank even when no op has that rank', () => {
    const s = functionStats(
      parseProgram(`
func main(%x: fp16[1,1,1,1,1,2]) -> (%y) {
  %y = reshape(x=%x) {shape=[2]} : fp16[2]
  return %y
}`).fn('main'),
    );
    expect(s.highestRank).toBe(6);
    expect(s.fp16Share).toBe(1);
  });
});
