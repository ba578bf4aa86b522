import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Value, interpret } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests } from '../testing/support.js';
import { type LayoutStep, foldLayoutSteps } from './fold-layout-chains.js';

// ---- naive reference: index maps by moving integers around -------------------------------

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Transposes row-major `data` of `shape` by `perm` with plain nested index arithmetic. */
function naiveTranspose(data: readonly number[], shape: readonly number[], perm: readonly number[]): number[] {
  const outShape = perm.map((p) => shape[p]!);
  const out: number[] = [];
  for (let k = 0; k < data.length; k++) {
    // Decompose k in outShape, then compose the source index in shape.
    let rest = k;
    const oidx: number[] = new Array<number>(outShape.length).fill(0);
    for (let j = outShape.length - 1; j >= 0; j--) {
      oidx[j] = rest % outShape[j]!;
      rest = Math.floor(rest / outShape[j]!);
    }
    const iidx: number[] = new Array<number>(shape.length).fill(0);
    perm.forEach((p, j) => (iidx[p] = oidx[j]!));
    let src = 0;
    for (let j = 0; j < shape.length; j++) src = src * shape[j]! + iidx[j]!;
    out.push(data[src]!);
  }
  return out;
}

/** The index map of steps on `input`: which input element each output element holds. */
function naiveMap(input: readonly number[], steps: readonly LayoutStep[]): number[] {
  let data = Array.from({ length: prod(input) }, (_, i) => i);
  let shape = input;
  for (const s of steps) {
    if (s.kind === 'reshape') shape = s.shape;
    else {
      data = naiveTranspose(data, shape, s.perm);
      shape = s.perm.map((p) => shape[p]!);
    }
  }
  return data;
}

function orderedFactorizations(n: number, maxLen: number): number[][] {
  if (n === 1) return [[]];
  if (maxLen === 0) return [];
  const out: number[][] = [];
  for (let d = 2; d <= n; d++) if (n % d === 0) for (const rest of orderedFactorizations(n / d, maxLen - 1)) out.push([d, ...rest]);
  return out;
}

function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

/**
 * Brute force: is `map` the identity, or transpose(reshape(iota, F), p) for some factorization
 * F (factors >= 2) and permutation p? Returns the smallest such rank.
 */
function classify(map: readonly number[]): { kind: 'identity' } | { kind: 'transpose'; rank: number } | { kind: 'none' } {
  if (map.every((v, i) => v === i)) return { kind: 'identity' };
  const iota = map.map((_, i) => i);
  for (let len = 2; len <= 6; len++) {
    for (const f of orderedFactorizations(map.length, len)) {
      if (f.length !== len) continue;
      for (const p of permutations(len)) {
        const m = naiveTranspose(iota, f, p);
        if (m.every((v, i) => v === map[i])) return { kind: 'transpose', rank: len };
      }
    }
  }
  return { kind: 'none' };
}

// ---- tests ------------------------------------------------------------------------------

describe('fold-layout-chains', () => {
  goldenTests('fold-layout-chains');

  describe('foldLayoutSteps', () => {
    const headSplit = (c: number, heads: number, s: number): LayoutStep[] => [
      { kind: 'transpose', perm: [0, 2, 3, 1] },
      { kind: 'reshape', shape: [s, heads, c / heads] },
      { kind: 'transpose', perm: [1, 2, 0] },
      { kind: 'reshape', shape: [heads, c / heads, 1, s] },
    ];

    it('finds that the vision qkv head split is one reshape', () => {
      expect(foldLayoutSteps([1, 192, 1, 16], headSplit(192, 12, 16))).toEqual({ kind: 'reshape' });
      expect(naiveMap([1, 192, 1, 16], headSplit(192, 12, 16)).every((v, i) => v === i)).toBe(true);
    });

    it('finds that the prefill key head split is one transpose of [heads, head dim, S]', () => {
      const steps: LayoutStep[] = [
        { kind: 'transpose', perm: [0, 2, 3, 1] },
        { kind: 'reshape', shape: [6, 2, 16] },
        { kind: 'transpose', perm: [1, 0, 2] },
        { kind: 'reshape', shape: [2, 6, 1, 16] },
      ];
      const f = foldLayoutSteps([1, 32, 1, 6], steps);
      expect(f).toEqual({ kind: 'transpose', factors: [2, 16, 6], perm: [0, 2, 1] });
      const iota = Array.from({ length: 192 }, (_, i) => i);
      expect(naiveTranspose(iota, [2, 16, 6], [0, 2, 1])).toEqual(naiveMap([1, 32, 1, 6], steps));
    });

    it('reads a chain whose middle reshape cuts a factor unevenly off its explicit index map', () => {
      const steps: LayoutStep[] = [
        { kind: 'transpose', perm: [1, 0] },
        { kind: 'reshape', shape: [2, 3, 2, 2] },
        { kind: 'transpose', perm: [3, 1, 2, 0] },
      ];
      const f = foldLayoutSteps([6, 4], steps);
      expect(f?.kind).toBe('transpose');
      if (f?.kind !== 'transpose') return;
      const iota = Array.from({ length: 24 }, (_, i) => i);
      expect(naiveTranspose(iota, f.factors, f.perm)).toEqual(naiveMap([6, 4], steps));
      // Without the explicit map (limit 0) the factor tracking alone cannot tell.
      expect(foldLayoutSteps([6, 4], steps, 0)).toBeUndefined();
    });

    it('rejects a chain that is no permutation of axes, and steps that do not fit', () => {
      const steps: LayoutStep[] = [
        { kind: 'transpose', perm: [1, 0] },
        { kind: 'reshape', shape: [2, 3] },
        { kind: 'transpose', perm: [1, 0] },
      ];
      expect(classify(naiveMap([2, 3], steps)).kind).toBe('none');
      expect(foldLayoutSteps([2, 3], steps)).toBeUndefined();
      expect(foldLayoutSteps([2, 3], [{ kind: 'transpose', perm: [0, 1, 2] }])).toBeUndefined();
      expect(foldLayoutSteps([2, 3], [{ kind: 'transpose', perm: [0, 0] }])).toBeUndefined();
      expect(foldLayoutSteps([2, 3], [{ kind: 'reshape', shape: [5] }])).toBeUndefined();
    });

    it('treats empty tensors and transposes of unit axes as reshapes', () => {
      expect(foldLayoutSteps([0, 3], [{ kind: 'transpose', perm: [1, 0] }])).toEqual({ kind: 'reshape' });
      expect(foldLayoutSteps([1, 5, 1], [{ kind: 'transpose', perm: [2, 1, 0] }])).toEqual({ kind: 'reshape' });
    });
  });

  // Shapes by element count; 6 = 2 x 3 gives many chains that are no permutation of axes.
  const SHAPES: Readonly<Record<number, readonly (readonly number[])[]>> = {
    6: [[6], [2, 3], [3, 2], [1, 6], [2, 1, 3], [3, 2, 1]],
    12: [[12], [2, 6], [6, 2], [3, 4], [4, 3], [2, 2, 3], [3, 2, 2], [2, 3, 2], [1, 12], [1, 3, 1, 4]],
    24: [[24], [4, 6], [6, 4], [2, 12], [3, 8], [8, 3], [2, 3, 4], [4, 3, 2], [2, 2, 6], [6, 2, 2], [2, 6, 2], [1, 4, 6], [2, 3, 2, 2]],
  };
  const step = fc.record({ kind: fc.constantFrom('transpose', 'transpose', 'reshape', 'reshape', 'expand', 'squeeze'), s: fc.nat() });

  it('keeps every output exactly and leaves 0 transposes for an identity chain, 1 for a permutation of axes, >= 2 otherwise (property)', () => {
    const seen = { identity: 0, transpose: 0, none: 0, rankTooHigh: 0 };
    fc.assert(
      fc.property(fc.constantFrom(6, 12, 24), fc.nat(), fc.array(step, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.boolean(), (n0, s0, steps0, asOutput, alternate) => {
        // Half of the chains alternate transposes and reshapes between [2,3] and [3,2]: most of
        // those are no permutation of axes.
        const n = alternate ? 6 : n0;
        const shapes = alternate ? [[2, 3], [3, 2]] : SHAPES[n]!;
        const steps = alternate ? steps0.map((st, i) => ({ kind: i % 2 === 0 ? 'transpose' : 'reshape', s: st.s })) : steps0;
        const start = shapes[s0 % shapes.length]!;
        const t = new TestFn();
        const x = t.input('x', 'fp32', start);
        let v: Value = x;
        const chain: LayoutStep[] = [];
        let rank = start.length;
        for (const st of steps) {
          const shape = v.type.shape as readonly number[];
          if (st.kind === 'transpose') {
            const all = permutations(shape.length);
            const perm = alternate ? [1, 0] : all[st.s % all.length]!;
            v = t.op('transpose', { x: v }, { perm });
            chain.push({ kind: 'transpose', perm });
          } else if (st.kind === 'reshape') {
            v = t.op('reshape', { x: v }, { shape: [...shapes[st.s % shapes.length]!] });
          } else if (st.kind === 'expand' && shape.length < 5) {
            v = t.op('expand_dims', { x: v }, { axes: [st.s % (shape.length + 1)] });
          } else if (st.kind === 'squeeze' && shape.includes(1)) {
            v = t.op('squeeze', { x: v });
          } else {
            continue;
          }
          if (st.kind !== 'transpose') chain.push({ kind: 'reshape', shape: v.type.shape as number[] });
          rank = Math.max(rank, v.type.shape.length);
        }
        const before = chain.filter((c) => c.kind === 'transpose').length;
        const p = t.done([asOutput ? v : t.op('relu', { x: v }, {}, 'y')]);
        // The reference interpreter on an iota input gives the chain's index map.
        const iota = { dtype: 'fp32' as const, shape: start, data: Float32Array.from({ length: n }, (_, i) => i) };
        const out = [...interpret(p, 'main', { x: iota }).values()][0]!;
        const map = Array.from(out.data);
        expect(map).toEqual(naiveMap(start, chain));
        const q = new PassManager().add('fold-layout-chains').run(p).program;
        const after = countKinds(q).transpose ?? 0;
        const c = classify(map);
        expect(after).toBeLessThanOrEqual(before);
        if (before === 0 || c.kind === 'identity') {
          seen.identity++;
          expect(after).toBe(0);
        } else if (c.kind === 'transpose' && c.rank <= rank) {
          seen.transpose++;
          expect(after).toBe(1);
          expect(q.fn('main').body.ops.length).toBeLessThanOrEqual(asOutput ? 3 : 4);
        } else {
          if (c.kind === 'none') seen.none++;
          else seen.rankTooHigh++;
          expect(after).toBeGreaterThanOrEqual(2);
        }
        // No tensor of higher rank than the chain had.
        for (const op of q.fn('main').body.ops) for (const o of op.outputs) expect(o.type.shape.length).toBeLessThanOrEqual(rank);
        expectSameOutputs(p, q, { abs: 0, rel: 0 });
      }),
      { numRuns: 300 },
    );
    // The generator reaches every case (else the property would prove little).
    expect(seen.identity).toBeGreaterThan(10);
    expect(seen.transpose).toBeGreaterThan(10);
    expect(seen.none).toBeGreaterThan(10);
  });

  it('folds each chain once: a second run changes nothing', () => {
    const t = new TestFn();
    const x = t.input('x', 'fp32', [1, 32, 1, 6]);
    const a = t.op('transpose', { x }, { perm: [0, 2, 3, 1] });
    const b = t.op('reshape', { x: a }, { shape: [6, 2, 16] });
    const c = t.op('transpose', { x: b }, { perm: [1, 0, 2] });
    const p = t.done([t.op('relu', { x: c })]);
    const once = new PassManager().add('fold-layout-chains').run(p).program;
    const twice = new PassManager().add('fold-layout-chains').add('fold-layout-chains').run(p).program;
    expect(countKinds(once)).toEqual({ reshape: 1, transpose: 1, relu: 1 });
    expect(countKinds(twice)).toEqual(countKinds(once));
  });
});
