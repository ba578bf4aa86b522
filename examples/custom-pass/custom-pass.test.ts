import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Tensor, graph, interpret, parseProgram, printProgram } from '@fastvlm/graph';
import { PassManager } from '@fastvlm/ane-passes';
import { pipeline, simplifySwish } from './custom-pass.js';

const BEFORE = `func main(%x: fp32[4]) -> (%y) {
  %one = const() {dtype="fp32", shape=[], value=[1]} : fp32[]
  %a = mul(x=%one, y=%x) : fp32[4]
  %s = sigmoid(x=%a) : fp32[4]
  %y = mul(x=%s, y=%a) : fp32[4]
  return %y
}
`;

describe('examples/custom-pass', () => {
  it('rewrites the IR of its doc: text in, text out', () => {
    const out = new PassManager().add(simplifySwish).run(parseProgram(BEFORE)).program;
    expect(printProgram(out)).toBe('func main(%x: fp32[4]) -> (%y) {\n  %y = silu(x=%x) : fp32[4]\n  return %y\n}\n');
  });

  it('keeps the outputs of DSL-built programs and leaves no mul by one (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('one', 'swish', 'tanh'), { minLength: 1, maxLength: 8 }), fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 6, maxLength: 6 }), (steps, xs) => {
        const g = graph();
        const f = g.function('main');
        let v = f.input('x', 'fp32', [2, 3]);
        for (const s of steps) {
          if (s === 'one') v = f.mul(v, f.scalar(1, 'fp32'));
          else if (s === 'swish') v = f.mul(v, f.sigmoid(v));
          else v = f.tanh(v);
        }
        // (A function output that is just `input * 1` keeps its mul: the output name must stay.)
        f.output({ y: f.tanh(v) });
        const p = g.build();
        const { program, stats } = pipeline().run(p, { numericCheck: true });
        const kinds = program.fn('main').body.ops.map((o) => o.kind);
        expect(kinds).not.toContain('sigmoid');
        expect(kinds.filter((k) => k === 'mul')).toEqual([]);
        expect(stats.map((s) => s.name)).toEqual(['fold-constants', 'simplify-swish', 'eliminate-dead-code']);
        const x: Tensor = { dtype: 'fp32', shape: [2, 3], data: Float32Array.from(xs) };
        const a = interpret(p, 'main', { x }).get('y')!.data;
        const b = interpret(program, 'main', { x }).get('y')!.data;
        // silu(x) computes x * sigmoid(x) in one op: equal up to fp32 rounding.
        a.forEach((e, i) => expect(Math.abs(b[i]! - e)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(e))));
      }),
      { numRuns: 50 },
    );
  });
});
