import { describe, expect, it } from 'vitest';
import { encodeTensor, interpret, isFastVlmError, memorySource, printProgram, tensor } from '@fastvlm/graph';
import { buildFastVlm, parameterManifest, syntheticWeights } from './build.js';
import { thrown } from '../../graph/src/testing/errors.js';

describe('buildFastVlm', () => {
  it('builds the parts asked for, with the documented functions', () => {
    const all = buildFastVlm('tiny');
    expect([...all.vision!.functions.keys()]).toEqual(['vision']);
    expect([...all.llm!.functions.keys()]).toEqual(['embed', 'embed_token', 'prefill', 'decode']);
    expect(all).toMatchObject({ resolution: 128, contextLength: 16, prefillLength: 6, imageTokens: 4, dtype: 'fp32' });
    const llmOnly = buildFastVlm('tiny', { parts: ['llm'] });
    expect(llmOnly.vision).toBeUndefined();
    expect(llmOnly.llm).toBeDefined();
    const pre = all.llm!.fn('prefill');
    expect(pre.inputs.map((v) => [v.name, [...v.type.shape]])).toEqual([['embeddings', [1, 6, 64]]]);
    expect(pre.outputs.map((v) => [v.name, [...v.type.shape]])).toEqual([['logits', [1, 128]], ['key_cache', [2, 2, 16, 16]], ['value_cache', [2, 2, 16, 16]]]);
    const emb = all.llm!.fn('embed');
    expect(emb.inputs.map((v) => [v.name, v.type.dtype, [...v.type.shape]])).toEqual([['input_ids', 'int32', [1, 6]]]);
    expect(emb.body.ops.filter((op) => op.kind !== 'const').map((op) => op.kind)).toEqual(['gather']);
    const tok = all.llm!.fn('embed_token');
    expect(tok.inputs.map((v) => [v.name, v.type.dtype, [...v.type.shape]])).toEqual([['input_id', 'int32', [1, 1]]]);
    expect(tok.outputs.map((v) => [v.name, v.type.dtype, [...v.type.shape]])).toEqual([['embedding', 'fp32', [1, 1, 64]]]);
    expect(tok.body.ops.filter((op) => op.kind !== 'const').map((op) => op.kind)).toEqual(['gather']);
    // Its output is what decode takes: same name, dtype and shape.
    const dec = all.llm!.fn('decode').inputs[0]!;
    expect([dec.name, dec.type.dtype, [...dec.type.shape]]).toEqual(['embedding', 'fp32', [1, 1, 64]]);
  });

  it('embed_token has the same shape at every prefill and context length, and follows the dtype', () => {
    for (const [contextLength, prefillLength] of [[2, 1], [16, 6], [40, 33]] as const) {
      const fn = buildFastVlm('tiny', { parts: ['llm'], contextLength, prefillLength, dtype: 'fp16' }).llm!.fn('embed_token');
      expect(fn.inputs.map((v) => [...v.type.shape])).toEqual([[1, 1]]);
      expect(fn.outputs.map((v) => [v.type.dtype, [...v.type.shape]])).toEqual([['fp16', [1, 1, 64]]]);
    }
  });

  it('gives each part only its own tensors and shares LLM weights between functions', () => {
    const { vision, llm } = buildFastVlm('tiny');
    expect(vision!.weights.names().every((n) => n.startsWith('model.vision_tower.') || n.startsWith('model.mm_projector.'))).toBe(true);
    expect(llm!.weights.names().some((n) => n.startsWith('model.vision_tower.'))).toBe(false);
    expect(vision!.weights).not.toBe(llm!.weights);
    // prefill and decode read the same q_proj weight from the one store.
    const uses = ['prefill', 'decode'].map((fn) => llm!.fn(fn).body.ops.some((op) => op.kind === 'const' && op.attrs['weight'] === 'model.layers.1.self_attn.q_proj.weight'));
    expect(uses).toEqual([true, true]);
    // embed and embed_token read the one embedding table: a single store entry, a single manifest row.
    const tables = (fn: string): string[] =>
      llm!.fn(fn).body.ops.flatMap((op) => (op.kind === 'const' && typeof op.attrs['weight'] === 'string' ? [op.attrs['weight']] : []));
    expect(tables('embed')).toEqual(['model.embed_tokens.weight']);
    expect(tables('embed_token')).toEqual(['model.embed_tokens.weight']);
    expect(llm!.weights.names().filter((n) => n.includes('embed_tokens'))).toEqual(['model.embed_tokens.weight']);
    expect(parameterManifest('tiny', { parts: ['llm'] }).filter((e) => e.name.includes('embed_tokens')).map((e) => [e.name, [...e.shape]])).toEqual([['model.embed_tokens.weight', [128, 64]]]);
  });

  it('is deterministic: same IR text and weight bytes', () => {
    const a = buildFastVlm('tiny', { seed: 4 });
    const b = buildFastVlm('tiny', { seed: 4 });
    expect(printProgram(a.vision!)).toBe(printProgram(b.vision!));
    expect(printProgram(a.llm!)).toBe(printProgram(b.llm!));
    const n = 'model.layers.0.mlp.up_proj.weight';
    expect(Buffer.from(encodeTensor(a.llm!.weights.read(n))).equals(Buffer.from(encodeTensor(b.llm!.weights.read(n))))).toBe(true);
    const c = buildFastVlm('tiny', { seed: 5, parts: ['llm'] });
    expect(Array.from(c.llm!.weights.read(n).data)).not.toEqual(Array.from(a.llm!.weights.read(n).data));
  });

  it('rejects bad options with coded errors', () => {
    for (const [opts, where] of [
      [{ parts: [] }, 'parts'],
      [{ parts: ['text'] }, 'parts'],
      [{ dtype: 'int8' }, 'dtype'],
      [{ seed: -1 }, 'seed'],
      [{ contextLength: 4, prefillLength: 5 }, 'prefillLength'],
      [{ resolution: 96 }, 'resolution'],
    ] as const) {
      const e = thrown(() => buildFastVlm('tiny', opts as never));
      expect(isFastVlmError(e, 'E_MODEL_OPTION'), JSON.stringify(opts)).toBe(true);
      expect((e as { where?: string }).where).toBe(where);
    }
    expect(isFastVlmError(thrown(() => buildFastVlm('nope')), 'E_MODEL_CONFIG')).toBe(true);
  });

  it('lists every missing or mismatched tensor of a given store in one error', () => {
    const store = syntheticWeights('tiny', { parts: ['llm'] });
    store.delete('model.norm.weight');
    store.delete('model.layers.1.mlp.down_proj.weight');
    store.replace('model.layers.0.self_attn.q_proj.bias', memorySource(tensor('fp32', [3], [1, 2, 3])));
    const e = thrown(() => buildFastVlm('tiny', { parts: ['llm'], weights: store }));
    expect(isFastVlmError(e, 'E_CHECKPOINT_TENSORS')).toBe(true);
    const msg = String(e);
    expect(msg).toContain('missing: model.norm.weight');
    expect(msg).toContain('missing: model.layers.1.mlp.down_proj.weight');
    expect(msg).toContain('model.layers.0.self_attn.q_proj.bias: expected fp32[64], found fp32[3]');
    expect([...(e as { details: { missing: string[] } }).details.missing].sort()).toEqual(['model.layers.1.mlp.down_proj.weight', 'model.norm.weight']);
  });

  it('uses the given weights', () => {
    const store = syntheticWeights('tiny', { seed: 9 });
    const built = buildFastVlm('tiny', { weights: store });
    const n = 'model.mm_projector.0.bias';
    expect(built.vision!.weights.source(n)).toBe(store.source(n));
    expect(built.llm!.weights.has(n)).toBe(false);
  });
});

describe('syntheticWeights', () => {
  const store = syntheticWeights('tiny', { seed: 1 });
  const values = (pred: (n: string) => boolean): number[] => store.names().filter(pred).flatMap((n) => Array.from(store.read(n).data));

  it('holds exactly the manifest tensors', () => {
    expect(store.names().sort()).toEqual(parameterManifest('tiny').map((e) => e.name).sort());
  });

  it('has sensible scales: gains and variances near 1, layer scales in [0.01, 1]', () => {
    const gains = values((n) => /(norm|layernorm|bn)\.weight$|running_var$/.test(n));
    expect(gains.length).toBeGreaterThan(100);
    expect(Math.min(...gains)).toBeGreaterThanOrEqual(0.8);
    expect(Math.max(...gains)).toBeLessThanOrEqual(1.2);
    const ls = values((n) => /layer_scale(_[12])?$/.test(n));
    expect(Math.min(...ls)).toBeGreaterThanOrEqual(0.01);
    expect(Math.max(...ls)).toBeLessThanOrEqual(1);
    const means = values((n) => n.endsWith('running_mean'));
    expect(Math.max(...means.map(Math.abs))).toBeLessThan(1);
    // Weights are variance preserving: std close to 1/sqrt(fan_in).
    const w = Array.from(store.read('model.layers.0.mlp.gate_proj.weight').data);
    const std = Math.sqrt(w.reduce((s, x) => s + x * x, 0) / w.length);
    expect(std * Math.sqrt(64)).toBeGreaterThan(0.9);
    expect(std * Math.sqrt(64)).toBeLessThan(1.1);
  });

  it('keeps activations finite through the whole tiny model in fp16', () => {
    const { vision, llm, resolution: R, prefillLength: S } = buildFastVlm('tiny', { dtype: 'fp16' });
    const img = tensor('fp32', [1, 3, R, R], Array.from({ length: 3 * R * R }, (_, i) => (i % 255) / 255));
    const feats = interpret(vision!, 'vision', { images: img }).get('image_features')!;
    expect(feats.dtype).toBe('fp16');
    expect(Array.from(feats.data).every(Number.isFinite)).toBe(true);
    const emb = interpret(llm!, 'embed', { input_ids: tensor('int32', [1, S], [1, 2, 3, 4, 5, 6]) }).get('embeddings')!;
    const out = interpret(llm!, 'prefill', { embeddings: emb });
    for (const t of out.values()) expect(Array.from(t.data).every(Number.isFinite)).toBe(true);
    const fp16 = syntheticWeights('tiny', { dtype: 'fp16' });
    expect(fp16.names().every((n) => fp16.info(n).dtype === 'fp16')).toBe(true);
  });
});
