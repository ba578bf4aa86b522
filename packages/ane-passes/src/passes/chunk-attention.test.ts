import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Value } from '@fastvlm/graph';
import { PassManager } from '../manager.js';
import { TestFn, countKinds, expectSameOutputs, goldenTests, seeded } from '../testing/support.js';

interface Case {
  b: number;
  hkv: number;
  group: number;
  s: number;
  d: number;
  gqa5: boolean;
  split: boolean;
  kT: boolean;
  scale: 'none' | 'mul' | 'div' | 'q';
  mask: 'none' | 'const' | 'input' | 'row';
  budget: number;
  seed: number;
  scores?: 'einsum' | 'matmul';
  /** With `split`: the projections as [B, S, H*D] (3) or [B, 1, S, H*D] (4). */
  projRank?: 3 | 4;
}

/** Builds attention the way the nn DSL or a hand-written model would. */
function attention(c: Case): { t: TestFn; out: Value } {
  const t = new TestFn();
  const h = c.hkv * c.group;
  const heads = (name: string, n: number): Value => {
    if (!c.split) return t.input(name, 'fp32', [c.b, n, c.s, c.d]);
    const x = t.input(name, 'fp32', c.projRank === 4 ? [c.b, 1, c.s, n * c.d] : [c.b, c.s, n * c.d]);
    return t.op('transpose', { x: t.op('reshape', { x }, { shape: [c.b, c.s, n, c.d] }) }, { perm: [0, 2, 1, 3] });
  };
  let q = heads('q', h);
  const k = heads('k', c.hkv);
  const v = heads('v', c.hkv);
  if (c.scale === 'q') q = t.op('mul', { x: q, y: t.scalar(0.7) });
  let scores: Value;
  let p5 = false;
  const kt = (x: Value): Value => t.op('transpose', { x }, { perm: x.type.shape.length === 4 ? [0, 1, 3, 2] : [0, 1, 2, 4, 3] });
  if (c.gqa5 && c.group > 1) {
    const q5 = t.op('reshape', { x: q }, { shape: [c.b, c.hkv, c.group, c.s, c.d] });
    const k5 = t.op('expand_dims', { x: k }, { axes: [2] });
    const s5 = c.kT ? t.op('matmul', { x: q5, y: kt(k5) }) : t.op('matmul', { x: q5, y: k5 }, { transpose_y: true });
    scores = t.op('reshape', { x: s5 }, { shape: [c.b, h, c.s, c.s] });
    p5 = true;
  } else {
    // Keys repeated per group the Hugging Face way (repeat_kv) when grouped.
    const rep = (x: Value): Value => (c.group === 1 ? x : t.op('reshape', { x: t.op('concat', { values: Array(c.group).fill(t.op('expand_dims', { x }, { axes: [2] })) }, { axis: 2 }) }, { shape: [c.b, h, c.s, c.d] }));
    scores = c.kT ? t.op('matmul', { x: q, y: kt(rep(k)) }) : t.op('matmul', { x: q, y: rep(k) }, { transpose_y: true });
  }
  if (c.scale === 'mul') scores = t.op('mul', { x: t.scalar(0.5), y: scores });
  if (c.scale === 'div') scores = t.op('div', { x: scores, y: t.c('fp32', [1], [2]) });
  if (c.mask === 'const') {
    const m = Array.from({ length: c.s * c.s }, (_, i) => (i % c.s > Math.floor(i / c.s) ? -Infinity : 0));
    scores = t.op('add', { x: scores, y: t.c('fp32', [c.s, c.s], m) });
  } else if (c.mask === 'input') {
    scores = t.op('add', { x: t.input('mask', 'fp32', [c.b, 1, c.s, c.s]), y: scores });
  } else if (c.mask === 'row') {
    scores = t.op('add', { x: scores, y: t.c('fp32', [1, h, 1, c.s], seeded(h * c.s, c.seed)) });
  }
  const probs = t.op('softmax', { x: scores }, { axis: -1 });
  let out: Value;
  if (p5) {
    const pr = t.op('reshape', { x: probs }, { shape: [c.b, c.hkv, c.group, c.s, c.s] });
    const o5 = t.op('matmul', { x: pr, y: t.op('expand_dims', { x: v }, { axes: [2] }) });
    out = t.op('reshape', { x: o5 }, { shape: [c.b, h, c.s, c.d] });
  } else {
    const rv = c.group === 1 ? v : t.op('reshape', { x: t.op('concat', { values: Array(c.group).fill(t.op('expand_dims', { x: v }, { axes: [2] })) }, { axis: 2 }) }, { shape: [c.b, h, c.s, c.d] });
    out = t.op('matmul', { x: probs, y: rv });
  }
  return { t, out: t.op('transpose', { x: out }, { perm: [0, 2, 1, 3] }, 'y') };
}

/**
 * Attention without a batch axis as packages/models writes it: heads [H, T, d]; grouped-query
 * heads folded into the query axis ([Hkv, group*T, d] against keys [Hkv, K, d]) when `folded`.
 */
function attention3(c: { hkv: number; group: number; s: number; d: number; folded: boolean; mask: boolean; seed: number }): { t: TestFn; out: Value } {
  const t = new TestFn();
  const h = c.hkv * c.group;
  const proj = (name: string, n: number): Value => {
    const x = t.input(name, 'fp32', [1, c.s, n * c.d]);
    return t.op('transpose', { x: t.op('reshape', { x }, { shape: [c.s, n, c.d] }) }, { perm: [1, 0, 2] });
  };
  const q = t.op('tanh', { x: proj('q', h) });
  const k = proj('k', c.hkv);
  const v = proj('v', c.hkv);
  const scaled = t.op('mul', { x: q, y: t.scalar(0.25) });
  let out: Value;
  if (c.folded) {
    const qs = t.op('reshape', { x: scaled }, { shape: [c.hkv, c.group * c.s, c.d] });
    let scores = t.op('reshape', { x: t.op('matmul', { x: qs, y: k }, { transpose_y: true }) }, { shape: [c.hkv, c.group, c.s, c.s] });
    if (c.mask) scores = t.op('add', { x: scores, y: t.c('fp32', [c.s, c.s], seeded(c.s * c.s, c.seed)) });
    const probs = t.op('softmax', { x: scores }, { axis: -1 });
    const ctx = t.op('matmul', { x: t.op('reshape', { x: probs }, { shape: [c.hkv, c.group * c.s, c.s] }), y: v });
    out = t.op('reshape', { x: ctx }, { shape: [h, c.s, c.d] });
  } else {
    let scores = t.op('matmul', { x: scaled, y: c.hkv === h ? k : t.op('concat', { values: Array(c.group).fill(k) }, { axis: 0 }) }, { transpose_y: true });
    if (c.mask) scores = t.op('add', { x: scores, y: t.c('fp32', [1, c.s, c.s], seeded(c.s * c.s, c.seed)) });
    out = t.op('matmul', { x: t.op('softmax', { x: scores }), y: c.hkv === h ? v : t.op('concat', { values: Array(c.group).fill(v) }, { axis: 0 }) });
  }
  const merged = t.op('reshape', { x: t.op('transpose', { x: out }, { perm: [1, 0, 2] }) }, { shape: [1, c.s, h * c.d] }, 'y');
  return { t, out: merged };
}

describe('chunk-attention', () => {
  it('handles the batch-less and group-folded forms of packages/models; head merges cancel (property)', () => {
    // (Sizes of at least 2: with all-1 shapes transposes are reshapes in disguise and the
    // structural check below does not apply; the numbers are checked in the property above.)
    const arb = fc.record({
      hkv: fc.integer({ min: 1, max: 2 }),
      group: fc.integer({ min: 1, max: 3 }),
      s: fc.integer({ min: 2, max: 4 }),
      d: fc.integer({ min: 2, max: 3 }),
      folded: fc.boolean(),
      mask: fc.boolean(),
      seed: fc.nat(),
      scores: fc.constantFrom('einsum' as const, 'matmul' as const),
    });
    fc.assert(
      fc.property(arb, (c) => {
        const { t, out } = attention3(c);
        const p = t.done([out]);
        const q = new PassManager().add('chunk-attention', { scores: c.scores }).add('remove-noops').add('cancel-reshapes').add('cancel-transposes').add('cancel-reshapes').add('eliminate-dead-code').run(p).program;
        const kinds = countKinds(q);
        // Two products per head, in the chosen form only.
        expect(kinds[c.scores]).toBe(2 * c.hkv * c.group);
        expect(kinds[c.scores === 'einsum' ? 'matmul' : 'einsum']).toBeUndefined();
        expect(kinds.softmax).toBe(c.hkv * c.group);
        // The model's head merge [H, T, d] -> [1, T, H*d] cancels against the per-head form.
        // Between the heads' concat and the output: at most a squeeze (einsum form) or a
        // reshape (matmul form) and a transpose.
        let y = q.fn('main').outputs[0]!;
        let shapeOps = 0;
        while (y.producer && ['reshape', 'transpose', 'squeeze', 'expand_dims'].includes(y.producer.kind)) {
          shapeOps++;
          y = y.producer.inputs.x as Value;
        }
        expect(shapeOps).toBeLessThanOrEqual(2);
        expect(['concat', c.scores]).toContain(y.producer!.kind);
        expectSameOutputs(p, q, { abs: 2e-5, rel: 2e-4 });
      }),
      { numRuns: 80 },
    );
  });


  goldenTests('chunk-attention');

  it('rewrites attention per head (einsum and matmul forms) and keeps the outputs (property)', () => {
    const arb = fc.record({
      b: fc.integer({ min: 1, max: 2 }),
      hkv: fc.integer({ min: 1, max: 2 }),
      group: fc.integer({ min: 1, max: 3 }),
      s: fc.integer({ min: 1, max: 5 }),
      d: fc.integer({ min: 1, max: 4 }),
      gqa5: fc.boolean(),
      split: fc.boolean(),
      kT: fc.boolean(),
      scale: fc.constantFrom('none' as const, 'mul' as const, 'div' as const, 'q' as const),
      mask: fc.constantFrom('none' as const, 'const' as const, 'input' as const, 'row' as const),
      budget: fc.constantFrom(0, 64, 200, 600),
      seed: fc.nat(),
      scores: fc.constantFrom('einsum' as const, 'matmul' as const),
      projRank: fc.constantFrom(3 as const, 4 as const),
    });
    fc.assert(
      fc.property(arb, (c) => {
        const { t, out } = attention(c);
        const p = t.done([out]);
        const q = new PassManager().add('chunk-attention', { maxScoreBytes: c.budget, scores: c.scores }).run(p).program;
        const kinds = countKinds(q);
        const h = c.hkv * c.group;
        const ops = q.fn('main').body.ops;
        const softmaxes = ops.filter((op) => op.kind === 'softmax');
        // Two products per head and query chunk, in the chosen form only; one softmax each, over
        // the keys: axis 1 of [1, Sk, 1, Sq] (einsum form) or axis 2 of [1, 1, Sk, Sq] (matmul form).
        expect(kinds[c.scores]).toBe(2 * softmaxes.length);
        expect(kinds[c.scores === 'einsum' ? 'matmul' : 'einsum']).toBeUndefined();
        expect(softmaxes.length % h).toBe(0);
        const keyAxis = c.scores === 'einsum' ? 1 : 2;
        for (const op of softmaxes) {
          expect(op.attrs.axis).toBe(keyAxis);
          expect(op.outputs[0]!.type.shape[keyAxis]).toBe(c.s);
        }
        if (c.scores === 'matmul') {
          // No transpose per head: no per-unit operand (named <root>.q<u>, .k<i>, .v<i>) comes
          // from a transpose.
          const transposes = ops.filter((op) => op.kind === 'transpose' && !op.outputs[0]!.name.includes('.mask'));
          expect(transposes.filter((op) => /\.[qkv]\d/.test(op.outputs[0]!.name))).toEqual([]);
          // Without repeated KV heads: q, k and v are each transposed once as a whole (the mask
          // once per distinct slice), plus the boundary head split and the model's head merge.
          if (c.group === 1 || c.gqa5) expect(transposes.length).toBeLessThanOrEqual(6);
          for (const op of ops.filter((o) => o.kind === 'matmul')) {
            for (const v of op.inputValues()) expect(v.type.shape.slice(0, 2)).toEqual([1, 1]);
          }
        }
        if (c.budget > 0) {
          // Every chunk's scores fit the budget unless a chunk is a single query.
          for (const op of softmaxes) {
            const shape = op.outputs[0]!.type.shape as number[];
            const [sk, qc] = [shape[keyAxis]!, shape[3]!];
            const bytes = shape[0]! * sk * Math.ceil((qc * 2) / 64) * 64;
            expect(bytes <= c.budget || qc === 1).toBe(true);
          }
        }
        // Masks are clamped to -1e4: no -inf survives.
        expectSameOutputs(p, q, { abs: 2e-5, rel: 2e-4 });
      }),
      { numRuns: 120 },
    );
  });

  it('uses KV head h // group for query head h (grouped-query attention)', () => {
    const c: Case = { b: 1, hkv: 2, group: 2, s: 2, d: 2, gqa5: true, split: false, kT: false, scale: 'none', mask: 'none', budget: 0, seed: 1 };
    const { t, out } = attention(c);
    const q = new PassManager().add('chunk-attention').run(t.done([out])).program;
    const einsums = q.fn('main').body.ops.filter((o) => o.kind === 'einsum' && o.attrs.equation === 'bchq,bkhc->bkhq');
    const kvOf = einsums.map((e) => {
      let v = (e.inputs.values as readonly Value[])[1]!;
      while (v.producer && v.producer.kind !== 'slice') v = v.producer.inputValues()[0]!;
      return (v.producer!.attrs.begin as number[])[1];
    });
    expect(kvOf).toEqual([0, 0, 1, 1]);
  });

  it('uses KV head h // group for query head h in the matmul form too', () => {
    const c: Case = { b: 1, hkv: 2, group: 2, s: 2, d: 2, gqa5: true, split: false, kT: false, scale: 'none', mask: 'none', budget: 0, seed: 1, scores: 'matmul' };
    const { t, out } = attention(c);
    const q = new PassManager().add('chunk-attention', { scores: 'matmul' }).run(t.done([out])).program;
    const scores = q.fn('main').body.ops.filter((o) => o.kind === 'matmul' && o.attrs.transpose_x === true);
    // x is KV head kv's keys: a slice of axis 1 of the keys' [1, Hkv, D, S] view.
    const kvOf = scores.map((e) => ((e.inputs.x as Value).producer!.attrs.begin as number[])[1]);
    expect(kvOf).toEqual([0, 0, 1, 1]);
    // Each KV head is sliced once and shared by its group.
    expect(new Set(scores.map((e) => e.inputs.x)).size).toBe(2);
  });

  it('raises -inf mask entries to the floor', () => {
    const c: Case = { b: 1, hkv: 1, group: 1, s: 3, d: 2, gqa5: false, split: false, kT: false, scale: 'none', mask: 'const', budget: 0, seed: 1 };
    const { t, out } = attention(c);
    const q = new PassManager().add('chunk-attention', { maskFloor: -40000 }).add('fold-constants').run(t.done([out])).program;
    const values = q.fn('main').body.ops.filter((o) => o.kind === 'const').flatMap((o) => (o.attrs.value as number[] | undefined) ?? []);
    expect(values).toContain(-40000);
    expect(values.some((v) => v === -Infinity)).toBe(false);
  });
});
