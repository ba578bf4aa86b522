import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Program, type Tensor, interpret, isFastVlmError, tensor } from '@fastvlm/graph';
import { type LlmConfig, getConfig, withLlm } from './config.js';
import { buildFastVlm } from './build.js';
import { maxRelError } from '../../graph/src/testing/metrics.js';

// A naive float64 Qwen2 written from the architecture description, reading the same weights.
interface RefOut {
  logits: number[];
  keys: number[][][][]; // [layer][kvHead][position][d]
  values: number[][][][];
}

function qwen2Ref(l: LlmConfig, w: (name: string) => Float32Array, ids: readonly number[]): RefOut {
  const H = l.hiddenSize;
  const d = l.headDim;
  const nH = l.numAttentionHeads;
  const nKv = l.numKeyValueHeads;
  const S = ids.length;
  const lin = (x: number[], name: string, out: number, bias: boolean): number[] => {
    const W = w(`${name}.weight`);
    const b = bias ? w(`${name}.bias`) : undefined;
    const inF = x.length;
    return Array.from({ length: out }, (_, o) => {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inF; i++) s += x[i]! * W[o * inF + i]!;
      return s;
    });
  };
  const rms = (x: number[], name: string): number[] => {
    const g = w(name);
    const ms = x.reduce((s, v) => s + v * v, 0) / x.length;
    const r = 1 / Math.sqrt(ms + l.rmsNormEps);
    return x.map((v, i) => v * r * g[i]!);
  };
  const rope = (v: number[], p: number): number[] => {
    const half = d / 2;
    const out = v.slice();
    for (let j = 0; j < half; j++) {
      const a = p / l.ropeTheta ** ((2 * j) / d);
      out[j] = v[j]! * Math.cos(a) - v[j + half]! * Math.sin(a);
      out[j + half] = v[j + half]! * Math.cos(a) + v[j]! * Math.sin(a);
    }
    return out;
  };
  const emb = w('model.embed_tokens.weight');
  let x = ids.map((t) => Array.from(emb.subarray(t * H, (t + 1) * H)));
  const keys: number[][][][] = [];
  const values: number[][][][] = [];
  for (let li = 0; li < l.numHiddenLayers; li++) {
    const p = `model.layers.${li}.`;
    const h = x.map((r) => rms(r, `${p}input_layernorm.weight`));
    const q = h.map((r, s) => Array.from({ length: nH }, (_, hh) => rope(lin(r, `${p}self_attn.q_proj`, nH * d, true).slice(hh * d, (hh + 1) * d), s)));
    const k = h.map((r, s) => Array.from({ length: nKv }, (_, g) => rope(lin(r, `${p}self_attn.k_proj`, nKv * d, true).slice(g * d, (g + 1) * d), s)));
    const v = h.map((r) => Array.from({ length: nKv }, (_, g) => lin(r, `${p}self_attn.v_proj`, nKv * d, true).slice(g * d, (g + 1) * d)));
    keys.push(Array.from({ length: nKv }, (_, g) => k.map((ks) => ks[g]!)));
    values.push(Array.from({ length: nKv }, (_, g) => v.map((vs) => vs[g]!)));
    const rep = nH / nKv;
    x = x.map((row, s) => {
      const ctx: number[] = [];
      for (let hh = 0; hh < nH; hh++) {
        const g = Math.floor(hh / rep);
        const sc = Array.from({ length: s + 1 }, (_, t) => q[s]![hh]!.reduce((a, qv, e) => a + qv * k[t]![g]![e]!, 0) / Math.sqrt(d));
        const m = Math.max(...sc);
        const ex = sc.map((z) => Math.exp(z - m));
        const z = ex.reduce((a, b) => a + b, 0);
        for (let e = 0; e < d; e++) ctx.push(ex.reduce((a, pr, t) => a + (pr / z) * v[t]![g]![e]!, 0));
      }
      const o = lin(ctx, `${p}self_attn.o_proj`, H, false);
      const y = row.map((val, i) => val + o[i]!);
      const h2 = rms(y, `${p}post_attention_layernorm.weight`);
      const gate = lin(h2, `${p}mlp.gate_proj`, l.intermediateSize, false);
      const up = lin(h2, `${p}mlp.up_proj`, l.intermediateSize, false);
      const act = gate.map((gv, i) => (gv / (1 + Math.exp(-gv))) * up[i]!);
      const down = lin(act, `${p}mlp.down_proj`, H, false);
      return y.map((val, i) => val + down[i]!);
    });
  }
  const last = rms(x[S - 1]!, 'model.norm.weight');
  const head = l.tieWordEmbeddings ? 'model.embed_tokens' : 'lm_head';
  return { logits: lin(last, head, l.vocabSize, false), keys, values };
}

/** Cache entries [layer, kvHead, C, d] of positions < n, flattened in that order. */
function cachePrefix(t: Tensor, n: number): number[] {
  const [L, K, Cc, D] = t.shape as [number, number, number, number];
  const out: number[] = [];
  for (let l = 0; l < L; l++) for (let k = 0; k < K; k++) for (let p = 0; p < n; p++) for (let e = 0; e < D; e++) out.push(t.data[((l * K + k) * Cc + p) * D + e]!);
  return out;
}

function cacheTail(t: Tensor, from: number): number[] {
  const [L, K, Cc, D] = t.shape as [number, number, number, number];
  const out: number[] = [];
  for (let l = 0; l < L; l++) for (let k = 0; k < K; k++) for (let p = from; p < Cc; p++) for (let e = 0; e < D; e++) out.push(t.data[((l * K + k) * Cc + p) * D + e]!);
  return out;
}

function runPrefill(p: Program, ids: readonly number[]): Map<string, Tensor> {
  const emb = interpret(p, 'embed', { input_ids: tensor('int32', [1, ids.length], ids) }).get('embeddings')!;
  return interpret(p, 'prefill', { embeddings: emb });
}

const C = 9;

describe('Qwen2 prefill', () => {
  for (const tied of [false, true]) {
    it(`matches a naive float64 reference (${tied ? 'tied' : 'untied'} head)`, () => {
      const cfg = withLlm(getConfig('tiny'), { tieWordEmbeddings: tied });
      const S = 5;
      const built = buildFastVlm(cfg, { parts: ['llm'], contextLength: C, prefillLength: S, seed: 3 });
      const p = built.llm!;
      const w = (n: string): Float32Array => p.weights.read(n).data as Float32Array;
      expect(p.weights.has('lm_head.weight')).toBe(!tied);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: cfg.llm.vocabSize - 1 }), { minLength: S, maxLength: S }), (ids) => {
          const out = runPrefill(p, ids);
          const ref = qwen2Ref(cfg.llm, w, ids);
          expect(out.get('logits')!.shape).toEqual([1, cfg.llm.vocabSize]);
          expect(maxRelError(out.get('logits')!.data, ref.logits)).toBeLessThan(1e-5);
          const kc = out.get('key_cache')!;
          const vc = out.get('value_cache')!;
          expect(kc.shape).toEqual([2, 2, C, 16]);
          expect(maxRelError(cachePrefix(kc, S), ref.keys.flat(3))).toBeLessThan(1e-5);
          expect(maxRelError(cachePrefix(vc, S), ref.values.flat(3))).toBeLessThan(1e-5);
          expect(cacheTail(kc, S).every((x) => x === 0)).toBe(true);
          expect(cacheTail(vc, S).every((x) => x === 0)).toBe(true);
        }),
        { numRuns: 3, seed: 7 },
      );
    });
  }

  it('embed gathers rows of the embedding table', () => {
    const p = buildFastVlm('tiny', { parts: ['llm'], contextLength: C, prefillLength: 4 }).llm!;
    const table = p.weights.read('model.embed_tokens.weight').data;
    const ids = [5, 0, 127, 5];
    const e = interpret(p, 'embed', { input_ids: tensor('int32', [1, 4], ids) }).get('embeddings')!;
    expect(e.shape).toEqual([1, 4, 64]);
    ids.forEach((t, s) => expect(Array.from(e.data.subarray(s * 64, (s + 1) * 64))).toEqual(Array.from(table.subarray(t * 64, (t + 1) * 64))));
  });
});

describe('Qwen2 embed_token', () => {
  const cfg = getConfig('tiny');
  const V = cfg.llm.vocabSize;
  const H = cfg.llm.hiddenSize;
  const S = 5;
  for (const dtype of ['fp32', 'fp16'] as const) {
    it(`returns row id of the embedding table, the same row embed gives at any position (${dtype})`, () => {
      const p = buildFastVlm(cfg, { parts: ['llm'], contextLength: C, prefillLength: S, dtype, seed: 2 }).llm!;
      const table = p.weights.read('model.embed_tokens.weight');
      expect(table.dtype).toBe(dtype);
      const row = (id: number): number[] => Array.from(table.data.subarray(id * H, (id + 1) * H));
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 0, max: V - 1 }), { minLength: S, maxLength: S }), fc.nat(S - 1), (ids, at) => {
          const one = interpret(p, 'embed_token', { input_id: tensor('int32', [1, 1], [ids[at]!]) }).get('embedding')!;
          expect(one.dtype).toBe(dtype);
          expect(one.shape).toEqual([1, 1, H]);
          expect(Array.from(one.data)).toEqual(row(ids[at]!));
          const all = interpret(p, 'embed', { input_ids: tensor('int32', [1, S], ids) }).get('embeddings')!;
          expect(Array.from(one.data)).toEqual(Array.from(all.data.subarray(at * H, (at + 1) * H)));
        }),
        { numRuns: 25, seed: 5 },
      );
      // The ends of the vocabulary.
      for (const id of [0, V - 1]) expect(Array.from(interpret(p, 'embed_token', { input_id: tensor('int32', [1, 1], [id]) }).get('embedding')!.data)).toEqual(row(id));
    });
  }

  it('rejects ids past the vocabulary and other shapes with coded errors (interpreter)', () => {
    const p = buildFastVlm(cfg, { parts: ['llm'], contextLength: C, prefillLength: S }).llm!;
    for (const id of [V, 2 ** 31 - 1]) {
      let e: unknown;
      try {
        interpret(p, 'embed_token', { input_id: tensor('int32', [1, 1], [id]) });
      } catch (err) {
        e = err;
      }
      expect(isFastVlmError(e, 'E_INTERPRET'), String(id)).toBe(true);
      expect(String(e)).toContain(`gather index ${id}`);
    }
    let e: unknown;
    try {
      interpret(p, 'embed_token', { input_id: tensor('int32', [1, 2], [1, 2]) });
    } catch (err) {
      e = err;
    }
    expect(isFastVlmError(e, 'E_INTERPRET')).toBe(true);
    expect((e as { where?: string }).where).toBe('embed_token.input_id');
  });
});

describe('Qwen2 decode', () => {
  const cfg = getConfig('tiny');
  const S = 4;
  const short = buildFastVlm(cfg, { parts: ['llm'], contextLength: C, prefillLength: S, seed: 5 }).llm!;
  const long = buildFastVlm(cfg, { parts: ['llm'], contextLength: C, prefillLength: S + 1, seed: 5 }).llm!;

  it('after a prefill of S equals a prefill of S+1', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: cfg.llm.vocabSize - 1 }), { minLength: S + 1, maxLength: S + 1 }), (ids) => {
        const pre = runPrefill(short, ids.slice(0, S));
        // The generation step as an app runs it: embed_token of the next id feeds decode.
        const embedding = interpret(short, 'embed_token', { input_id: tensor('int32', [1, 1], [ids[S]!]) }).get('embedding')!;
        const dec = interpret(short, 'decode', { embedding, position: tensor('int32', [1], [S]), key_cache: pre.get('key_cache')!, value_cache: pre.get('value_cache')! });
        const full = runPrefill(long, ids);
        expect(maxRelError(dec.get('logits')!.data, full.get('logits')!.data)).toBeLessThan(1e-5);
        expect(maxRelError(dec.get('key_cache_out')!.data, full.get('key_cache')!.data)).toBeLessThan(1e-5);
        expect(maxRelError(dec.get('value_cache_out')!.data, full.get('value_cache')!.data)).toBeLessThan(1e-5);
        expect(cacheTail(dec.get('key_cache_out')!, S + 1).every((x) => x === 0)).toBe(true);
      }),
      { numRuns: 3, seed: 11 },
    );
  });

  it('ignores cache entries after the position and keeps the ones before', () => {
    const ids = [3, 9, 27, 81];
    const pre = runPrefill(short, ids);
    const embedding = tensor('fp32', [1, 1, 64], Array.from({ length: 64 }, (_, i) => Math.cos(i)));
    const run = (k: Tensor, v: Tensor): Map<string, Tensor> => interpret(short, 'decode', { embedding, position: tensor('int32', [1], [S]), key_cache: k, value_cache: v });
    const clean = run(pre.get('key_cache')!, pre.get('value_cache')!);
    const dirty = (t: Tensor): Tensor => {
      const data = Float32Array.from(t.data);
      const [L, K, Cc, D] = t.shape as [number, number, number, number];
      for (let l = 0; l < L; l++) for (let k = 0; k < K; k++) for (let p = S + 1; p < Cc; p++) for (let e = 0; e < D; e++) data[((l * K + k) * Cc + p) * D + e] = 50 * Math.sin(p * 7 + e);
      return tensor('fp32', t.shape, data);
    };
    const noisy = run(dirty(pre.get('key_cache')!), dirty(pre.get('value_cache')!));
    expect(Array.from(noisy.get('logits')!.data)).toEqual(Array.from(clean.get('logits')!.data));
    // Positions < S are passed through unchanged.
    expect(cachePrefix(clean.get('key_cache_out')!, S)).toEqual(cachePrefix(pre.get('key_cache')!, S));
  });

  it('declares the documented inputs and outputs', () => {
    const f = short.fn('decode');
    expect(f.inputs.map((v) => [v.name, v.type.dtype, [...v.type.shape]])).toEqual([
      ['embedding', 'fp32', [1, 1, 64]],
      ['position', 'int32', [1]],
      ['key_cache', 'fp32', [2, 2, C, 16]],
      ['value_cache', 'fp32', [2, 2, C, 16]],
    ]);
    expect(f.outputs.map((v) => [v.name, [...v.type.shape]])).toEqual([
      ['logits', [1, 128]],
      ['key_cache_out', [2, 2, C, 16]],
      ['value_cache_out', [2, 2, C, 16]],
    ]);
    expect(f.body.ops.some((op) => op.kind === 'range')).toBe(true);
    expect(f.body.ops.some((op) => op.kind === 'select')).toBe(true);
  });
});
