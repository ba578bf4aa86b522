import { describe, expect, it } from 'vitest';
import { type Program, type Tensor, type TensorType, interpret, parseProgram, printProgram, roundToFp16, tensor } from '@fastvlm/graph';
import { buildFastVlm } from '@fastvlm/models';
import { type IoChange, applyIoPrecision, wantedIoDtype } from './io-precision.js';
import { uniform } from '../../graph/src/testing/rng.js';

/** Deterministic inputs: fp values already fp16-representable, ints small and in range. */
function inputFor(t: TensorType, seed: number): Tensor {
  const shape = t.shape as number[];
  const n = shape.reduce((a, b) => a * b, 1);
  const rand = uniform(seed);
  const vals = Array.from({ length: n }, (_, i) => (t.dtype === 'int32' ? (i * 3 + seed) % 5 : roundToFp16(rand() - 0.5)));
  return tensor(t.dtype, shape, vals);
}

function ioSignature(p: Program): string[] {
  return [...p.functions.values()].flatMap((f) => [
    ...f.inputs.map((v) => `${f.name} in ${v.name} ${v.type.dtype}[${v.type.shape.join(',')}]`),
    ...f.outputs.map((v) => `${f.name} out ${v.name} ${v.type.dtype}[${v.type.shape.join(',')}]`),
  ]);
}

describe('wantedIoDtype', () => {
  it('keeps fp32, int32 and non-logits fp16 on ios16+, and makes every fp16 fp32 on ios15', () => {
    expect(wantedIoDtype('output', 'logits', 'fp16', 'ios18')).toBe('fp32');
    expect(wantedIoDtype('input', 'logits', 'fp16', 'ios18')).toBe('fp16');
    expect(wantedIoDtype('output', 'key_cache', 'fp16', 'ios16')).toBe('fp16');
    expect(wantedIoDtype('input', 'embeddings', 'fp16', 'ios15')).toBe('fp32');
    expect(wantedIoDtype('input', 'images', 'fp32', 'ios15')).toBe('fp32');
    expect(wantedIoDtype('input', 'position', 'int32', 'ios15')).toBe('int32');
  });
});

describe('applyIoPrecision on the tiny FastVLM', () => {
  const built = buildFastVlm('tiny', { dtype: 'fp16' });

  for (const target of ['ios18', 'ios15'] as const) {
    it(`changes only dtypes at the boundary and keeps the outputs (${target})`, () => {
      for (const part of ['vision', 'llm'] as const) {
        const original = built[part]!;
        const copy = buildFastVlm('tiny', { dtype: 'fp16', parts: [part] })[part]!;
        const changes: IoChange[] = applyIoPrecision(copy, target);
        const before = ioSignature(original);
        const after = ioSignature(copy);
        expect(after.length).toBe(before.length);
        // Same names and shapes in the same order; the dtype is the policy's.
        before.forEach((line, i) => {
          const [fn, kind, name, type] = line.split(' ') as [string, 'in' | 'out', string, string];
          const dtype = type.slice(0, type.indexOf('['));
          const want = wantedIoDtype(kind === 'in' ? 'input' : 'output', name, dtype as 'fp16', target);
          expect(after[i]).toBe(`${fn} ${kind} ${name} ${want}${type.slice(type.indexOf('['))}`);
        });
        expect(changes.length).toBe(before.filter((l, i) => l !== after[i]).length);
        for (const fn of copy.functions.values()) {
          const origFn = original.fn(fn.name);
          const inputs: Record<string, Tensor> = {};
          const origInputs: Record<string, Tensor> = {};
          fn.inputs.forEach((v, k) => {
            const t = inputFor(origFn.inputs[k]!.type, k + 1);
            origInputs[v.name] = t;
            // The same (fp16-exact) values in the input's new dtype.
            inputs[v.name] = v.type.dtype === t.dtype ? t : tensor(v.type.dtype, t.shape, Array.from(t.data));
          });
          const want = interpret(original, fn.name, origInputs);
          const got = interpret(copy, fn.name, inputs);
          expect([...got.keys()]).toEqual([...want.keys()]);
          for (const [name, w] of want) {
            const g = got.get(name)!;
            expect(g.shape).toEqual(w.shape);
            // fp16 -> fp32 is exact, so the values are equal.
            expect(Array.from(g.data)).toEqual(Array.from(w.data));
          }
        }
        // A second application changes nothing.
        const text = printProgram(copy);
        expect(applyIoPrecision(copy, target)).toEqual([]);
        expect(printProgram(copy)).toBe(text);
      }
    });
  }
});

describe('applyIoPrecision edge cases', () => {
  it('gives fresh internal names and keeps a returned input as is', () => {
    const p = parseProgram(`
func main(%x: fp16[2], %x_fp16: fp16[2]) -> (%logits, %x) {
  %logits = add(x=%x, y=%x_fp16) : fp16[2]
  return %logits, %x
}`);
    const changes = applyIoPrecision(p, 'ios15');
    expect(changes.map((c) => `${c.kind} ${c.name} ${c.from}->${c.to}`)).toEqual(['input x fp16->fp32', 'input x_fp16 fp16->fp32', 'output logits fp16->fp32']);
    const text = printProgram(p);
    expect(text).toContain('func main(%x: fp32[2], %x_fp16: fp32[2]) -> (%logits, %x)');
    expect(text).toContain('  %x_fp16_1 = cast(x=%x) {dtype="fp16"} : fp16[2]\n  %x_fp16_fp16 = cast(x=%x_fp16) {dtype="fp16"} : fp16[2]\n');
    expect(text).toContain('%logits_fp16 = add(x=%x_fp16_1, y=%x_fp16_fp16)');
    expect(text).toContain('%logits = cast(x=%logits_fp16)');
  });

  it('casts an output listed twice once', () => {
    const p = parseProgram(`
func main(%a: fp16[2]) -> (%logits, %logits) {
  %logits = exp(x=%a) : fp16[2]
  return %logits, %logits
}`);
    expect(applyIoPrecision(p, 'ios18').length).toBe(1);
    expect(p.fn('main').body.ops.filter((o) => o.kind === 'cast').length).toBe(1);
    expect(p.fn('main').outputs.map((o) => `${o.name}:${o.type.dtype}`)).toEqual(['logits:fp32', 'logits:fp32']);
  });
});
