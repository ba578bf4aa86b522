import { describe, expect, it } from 'vitest';
import { type Program, WeightStore, parseProgram } from '@fastvlm/graph';
import { interiorFloatCasts, maxRank, nonFp16Values, opKinds, transposeSites } from './structure.js';
import { opDepth } from '../../packages/graph/src/testing/metrics.js';

const parse = (text: string): Program => parseProgram(text, new WeightStore());

// An ANE-shaped function: a boundary transpose after the input cast, a per-head key transpose
// feeding an einsum, a transpose between two convs (neither), and one before the output cast.
const PROGRAM = parse(`func main(%x: fp32[1,2,4], %w: fp16[2,2,1,1]) -> (%y) {
  %x16 = cast(x=%x) {dtype="fp16"} : fp16[1,2,4]
  %t_in = transpose(x=%x16) {perm=[0,2,1]} : fp16[1,4,2]
  %r = reshape(x=%t_in) {shape=[1,4,1,2]} : fp16[1,4,1,2]
  %q = exp(x=%r) : fp16[1,4,1,2]
  %k = transpose(x=%q) {perm=[0,3,2,1]} : fp16[1,2,1,4]
  %s = einsum(values=(%q, %k)) {equation="bchq,bkhc->bkhq"} : fp16[1,2,1,2]
  %c = conv2d(x=%s, weight=%w) : fp16[1,2,1,2]
  %mid = transpose(x=%c) {perm=[0,1,3,2]} : fp16[1,2,2,1]
  %e = exp(x=%mid) : fp16[1,2,2,1]
  %c2 = conv2d(x=%e, weight=%w) : fp16[1,2,2,1]
  %t_out = transpose(x=%c2) {perm=[0,2,1,3]} : fp16[1,2,2,1]
  %y = cast(x=%t_out) {dtype="fp32"} : fp32[1,2,2,1]
  return %y
}
`);

describe('structural measures', () => {
  const fn = PROGRAM.fn('main');

  it('depth and rank', () => {
    // cast, transpose, reshape, exp, transpose, einsum, conv, transpose, exp, conv, transpose, cast.
    expect(opDepth(fn)).toBe(12);
    expect(maxRank(fn)).toBe(4);
    expect(opKinds(fn)).toEqual(new Map([['cast', 2], ['conv2d', 2], ['einsum', 1], ['exp', 2], ['reshape', 1], ['transpose', 4]]));
  });

  it('classifies transposes by site', () => {
    const s = transposeSites(fn);
    const names = (ops: readonly { output: { name: string } }[]) => ops.map((o) => o.output.name);
    expect(names(s.boundary)).toEqual(['t_in', 't_out']);
    expect(names(s.attention)).toEqual(['k']);
    expect(names(s.other)).toEqual(['mid']);
  });

  it('counts a matmul of two activations as an attention product, a matmul with a weight as a projection', () => {
    const mm = parse(`func main(%x: fp16[1,1,2,3]) -> (%y, %z) {
  %w = const() {dtype="fp16", shape=[2,2], value=[1,2,3,4]} : fp16[2,2]
  %e = exp(x=%x) : fp16[1,1,2,3]
  %kt = transpose(x=%e) {perm=[0,1,3,2]} : fp16[1,1,3,2]
  %s = matmul(x=%kt, y=%e) : fp16[1,1,3,3]
  %y = softmax(x=%s) {axis=2} : fp16[1,1,3,3]
  %wt = transpose(x=%e) {perm=[0,1,3,2]} : fp16[1,1,3,2]
  %p = matmul(x=%wt, y=%w) : fp16[1,1,3,2]
  %z = exp(x=%p) : fp16[1,1,3,2]
  return %y, %z
}
`).fn('main');
    const s = transposeSites(mm);
    expect(s.attention.map((o) => o.output.name)).toEqual(['kt']);
    expect(s.other.map((o) => o.output.name)).toEqual(['wt']);
    expect(s.boundary).toEqual([]);
  });

  it('finds the float values that are not fp16', () => {
    expect(nonFp16Values(fn).map((n) => [n.value.name, n.site])).toEqual([['x', 'input'], ['y', 'output cast']]);
    expect(interiorFloatCasts(fn)).toEqual([]);
    const bad = parse(`func main(%x: fp32[2]) -> (%z) {
  %e = exp(x=%x) : fp32[2]
  %h = cast(x=%e) {dtype="fp16"} : fp16[2]
  %z = cast(x=%h) {dtype="fp32"} : fp32[2]
  return %z
}
`).fn('main');
    expect(nonFp16Values(bad).map((n) => [n.value.name, n.site])).toEqual([['x', 'interior'], ['e', 'interior'], ['z', 'output cast']]);
    expect(interiorFloatCasts(bad).map((op) => op.output.name)).toEqual(['h']);
  });
});
