import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Tensor, type WeightStore, interpret, isFastVlmError, tensor, writeSafetensors, writeShardedSafetensors } from '@fastvlm/graph';
import { getConfig, hfConfigJson, withLlm } from './config.js';
import { buildFastVlm, syntheticWeights } from './build.js';
import { loadCheckpoint } from './checkpoint.js';
import { thrown } from '../../graph/src/testing/errors.js';

const work = mkdtempSync(join(tmpdir(), 'fastvlm-ckpt-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirCount = 0;

const tiny = getConfig('tiny');
const VT = 'model.vision_tower.vision_tower.model.';

function entries(store: WeightStore): [string, Tensor][] {
  return store.names().map((n) => [n, store.read(n)]);
}

/** Writes a checkpoint directory: config.json (with overrides) and model.safetensors. */
function writeCkpt(tensors: Iterable<readonly [string, Tensor]>, config: Record<string, unknown> = {}, opts: Parameters<typeof writeSafetensors>[2] = {}): string {
  const dir = join(work, `c${dirCount++}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...hfConfigJson(tiny), ...config }));
  writeSafetensors(join(dir, 'model.safetensors'), tensors, opts);
  return dir;
}

/** Naive fp32 -> bf16 rounding (nearest, ties to even) on the bit pattern. */
function toBf16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer);
  const bits = u[0]!;
  const rounded = (bits + 0x7fff + ((bits >>> 16) & 1)) & 0xffff0000;
  u[0] = rounded >>> 0;
  return f[0]!;
}

describe('loadCheckpoint', () => {
  const store = syntheticWeights(tiny, { seed: 3 });
  const dir = writeCkpt(entries(store));

  it('loads every tensor by name and builds the same model as the synthetic weights', () => {
    const ck = loadCheckpoint(dir, 'tiny');
    expect(ck.config.llm.tieWordEmbeddings).toBe(false);
    expect(ck.weights.names().sort()).toEqual(store.names().sort());
    expect(ck.ignored).toEqual([]);
    const a = buildFastVlm(ck.config, { weights: ck.weights, parts: ['llm'] });
    const b = buildFastVlm('tiny', { seed: 3, parts: ['llm'] });
    const ids = tensor('int32', [1, 6], [4, 8, 15, 16, 23, 42]);
    const run = (p: NonNullable<typeof a.llm>): number[] => {
      const e = interpret(p, 'embed', { input_ids: ids }).get('embeddings')!;
      return Array.from(interpret(p, 'prefill', { embeddings: e }).get('logits')!.data);
    };
    expect(run(a.llm!)).toEqual(run(b.llm!));
  });

  it('reads sharded checkpoints', () => {
    const sdir = join(work, 'sharded');
    writeShardedSafetensors(sdir, store, { maxShardBytes: 64 * 1024 });
    writeFileSync(join(sdir, 'config.json'), JSON.stringify(hfConfigJson(tiny)));
    expect(readdirSync(sdir).filter((f) => f.endsWith('.safetensors')).length).toBeGreaterThan(2);
    const ck = loadCheckpoint(sdir, tiny);
    const n = `${VT}network.7.1.token_mixer.qkv.weight`;
    expect(Array.from(ck.weights.read(n).data)).toEqual(Array.from(store.read(n).data));
  });

  it('converts BF16 to fp32 exactly and to fp16 on request', () => {
    const bdir = writeCkpt(entries(store), {}, { dtypes: { fp32: 'BF16' } });
    const n = 'model.layers.1.mlp.down_proj.weight';
    const orig = Array.from(store.read(n).data);
    const f32 = loadCheckpoint(bdir, tiny).weights.read(n);
    expect(f32.dtype).toBe('fp32');
    expect(Array.from(f32.data)).toEqual(orig.map(toBf16));
    const f16 = loadCheckpoint(bdir, tiny, { dtype: 'fp16' });
    expect(f16.weights.info(n).dtype).toBe('fp16');
    const h = f16.weights.read(n).data;
    orig.forEach((x, i) => expect(Math.abs(h[i]! - toBf16(x))).toBeLessThanOrEqual(Math.abs(toBf16(x)) * 2 ** -11 + 2 ** -24));
    expect(buildFastVlm(f16.config, { weights: f16.weights, dtype: 'fp16', parts: ['llm'] }).llm!.fn('prefill').outputs[0]!.type.dtype).toBe('fp16');
  });

  it('lists every missing, unexpected and wrongly shaped tensor in one error', () => {
    const bad: [string, Tensor][] = entries(store).filter(([n]) => n !== 'model.layers.0.mlp.up_proj.weight' && n !== `${VT}conv_exp.se.reduce.bias`);
    const i = bad.findIndex(([n]) => n === 'model.norm.weight');
    bad[i] = ['model.norm.weight', tensor('fp32', [63], new Array<number>(63).fill(1))];
    bad.push(['model.layers.0.self_attn.rotary.weight', tensor('fp32', [2], [1, 2])]);
    bad.push([`${VT}network.7.0.token_mixer.qkv.bias`, tensor('fp32', [192], new Array<number>(192).fill(0))]);
    bad.push([`${VT}head.proj`, tensor('fp32', [256, 32], new Array<number>(256 * 32).fill(0))]);
    bad.push([`${VT}network.0.0.convffn.conv.bn.num_batches_tracked`, tensor('int32', [], [7])]);
    const e = thrown(() => loadCheckpoint(writeCkpt(bad), tiny));
    expect(isFastVlmError(e, 'E_CHECKPOINT_TENSORS')).toBe(true);
    const d = (e as { details: Record<string, string[]> }).details;
    expect([...d['missing']!].sort()).toEqual([`${VT}conv_exp.se.reduce.bias`, 'model.layers.0.mlp.up_proj.weight'].sort());
    expect([...d['unexpected']!].sort()).toEqual([`${VT}network.7.0.token_mixer.qkv.bias`, 'model.layers.0.self_attn.rotary.weight'].sort());
    expect(d['mismatched']).toEqual(['model.norm.weight']);
    expect(String(e)).toContain('model.norm.weight: expected shape [64], found [63]');
    expect(String(e)).toMatch(/2 missing, 2 unexpected, 1 wrongly shaped/);
  });

  it('ignores the CLIP head and BatchNorm counters, reporting them', () => {
    const extra: [string, Tensor][] = [...entries(store), [`${VT}head.proj`, tensor('fp32', [256, 32], new Array<number>(256 * 32).fill(0))]];
    const ck = loadCheckpoint(writeCkpt(extra), tiny);
    expect(ck.ignored).toEqual([`${VT}head.proj`]);
    expect(ck.weights.has(`${VT}head.proj`)).toBe(false);
  });

  it('adopts tie_word_embeddings from config.json', () => {
    const tiedStore = syntheticWeights(withLlm(tiny, { tieWordEmbeddings: true }), { seed: 3 });
    expect(tiedStore.has('lm_head.weight')).toBe(false);
    const ck = loadCheckpoint(writeCkpt(entries(tiedStore), { tie_word_embeddings: true }), 'tiny');
    expect(ck.config.llm.tieWordEmbeddings).toBe(true);
    const p = buildFastVlm(ck.config, { weights: ck.weights, parts: ['llm'] }).llm!;
    expect(p.fn('prefill').body.ops.some((op) => op.attrs['weight'] === 'lm_head.weight')).toBe(false);
    // A tied checkpoint that still carries lm_head.weight: reported as ignored, not used.
    const both = loadCheckpoint(writeCkpt(entries(store), { tie_word_embeddings: true }), 'tiny');
    expect(both.ignored).toEqual(['lm_head.weight']);
    // The untied preset asked with a tied checkpoint lacking lm_head would be missing it otherwise.
    const e = thrown(() => loadCheckpoint(writeCkpt(entries(tiedStore)), 'tiny'));
    expect((e as { details: Record<string, string[]> }).details['missing']).toEqual(['lm_head.weight']);
  });

  it('cross-checks the LLM dims of config.json, listing every difference', () => {
    const e = thrown(() => loadCheckpoint(writeCkpt(entries(store), { hidden_size: 65, num_key_value_heads: 4, mm_projector_type: 'linear' }), tiny));
    expect(isFastVlmError(e, 'E_CHECKPOINT_CONFIG')).toBe(true);
    expect(String(e)).toContain('hidden_size: expected 64, found 65');
    expect(String(e)).toContain('num_key_value_heads: expected 2, found 4');
    expect(String(e)).toContain('mm_projector_type');
    expect(isFastVlmError(thrown(() => loadCheckpoint(dir, 'fastvlm-0.5b')), 'E_CHECKPOINT_CONFIG')).toBe(true);
    // Nested text_config (newer Hugging Face layout) is read too.
    const nested = writeCkpt(entries(store), { hidden_size: undefined, text_config: { ...hfConfigJson(tiny), vocab_size: 7 } });
    expect(String(thrown(() => loadCheckpoint(nested, tiny)))).toContain('vocab_size: expected 128, found 7');
  });

  it('reports unreadable config.json and directories with coded errors', () => {
    const noCfg = join(work, 'nocfg');
    mkdirSync(noCfg);
    expect(isFastVlmError(thrown(() => loadCheckpoint(noCfg, tiny)), 'E_IO')).toBe(true);
    writeFileSync(join(noCfg, 'config.json'), '{not json');
    expect(isFastVlmError(thrown(() => loadCheckpoint(noCfg, tiny)), 'E_CHECKPOINT_CONFIG')).toBe(true);
    writeFileSync(join(noCfg, 'config.json'), JSON.stringify(hfConfigJson(tiny)));
    expect(isFastVlmError(thrown(() => loadCheckpoint(noCfg, tiny)), 'E_IO')).toBe(true); // no safetensors
    expect(isFastVlmError(thrown(() => loadCheckpoint(dir, tiny, { parts: ['audio' as never] })), 'E_MODEL_OPTION')).toBe(true);
  });

  it('loads one part, skipping the tensors of the other', () => {
    const visionOnly = writeCkpt(entries(syntheticWeights(tiny, { parts: ['vision'] })));
    const ck = loadCheckpoint(visionOnly, tiny, { parts: ['vision'] });
    expect(ck.weights.names().every((n) => n.startsWith(VT) || n.startsWith('model.mm_projector.'))).toBe(true);
    expect(Object.keys(buildFastVlm(ck.config, { weights: ck.weights, parts: ['vision'] }))).toContain('vision');
    const llmPart = loadCheckpoint(dir, tiny, { parts: ['llm'] });
    expect(llmPart.weights.names().some((n) => n.startsWith(VT))).toBe(false);
  });
});
