import { describe, expect, it } from 'vitest';
import { parseProgram } from '@fastvlm/graph';
import { type FunctionReport, functionStats } from '@fastvlm/compiler';
import { formatReport } from './report.js';

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

describe('formatReport', () => {
  it('shows one row per function and op counts as before -> after', () => {
    const before = functionStats(parseProgram(MIXED).fn('main'));
    const after = functionStats(
      parseProgram(`
func main(%x: fp32[2,3,4]) -> (%h) {
  %h = exp(x=%x) : fp32[2,3,4]
  return %h
}`).fn('main'),
    );
    const r: FunctionReport = { part: 'vision', package: 'm-vision.mlpackage', function: 'main', before, after };
    const text = formatReport([r]);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^function\s+ops before\s+ops after\s+transposes\s+reshapes\s+max rank\s+largest intermediate\s+fp16 share$/);
    expect(lines[2]).toMatch(/^vision\/main\s+8\s+1\s+2 -> 0\s+1 -> 0\s+5 -> 3\s+96 B fp32\[2,3,4\]\s+0\.000$/);
    expect(text).toContain('Op counts by type (before -> after the passes):');
    expect(text).toMatch(/\nexp\s+1\n/);
    expect(text).toMatch(/\ntranspose\s+2 -> 0\n/);
  });
});
