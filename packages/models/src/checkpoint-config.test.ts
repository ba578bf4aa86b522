/**
 * configFromCheckpoint: which model a checkpoint holds, from its config.json alone (the released
 * FastVLM layout: llava_qwen2, mm_vision_tower, the Qwen2 sizes), and the vision-tower check of a
 * named model.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '@fastvlm/graph';
import { CONFIGS, FASTVITHD, hfConfigJson, parseVisionTower, visionTowerName, withLlm } from './config.js';
import { CHECKPOINT_CONFIG_FIELDS, configFromCheckpoint, loadCheckpoint } from './checkpoint.js';
import { syntheticWeights } from './build.js';
import { fastVlmError } from '../../graph/src/testing/errors.js';

const work = mkdtempSync(join(tmpdir(), 'fastvlm-ckpt-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;

/** A directory holding only config.json (configFromCheckpoint reads nothing else). */
function dirWith(config: Record<string, unknown>, name = `ckpt${n++}`): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** The released FastVLM-0.5B config.json's fields that matter, written out by hand. */
const RELEASED_05B = {
  architectures: ['LlavaQwen2ForCausalLM'],
  model_type: 'llava_qwen2',
  hidden_size: 896,
  intermediate_size: 4864,
  num_attention_heads: 14,
  num_hidden_layers: 24,
  num_key_value_heads: 2,
  vocab_size: 151936,
  rope_theta: 1000000.0,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: false,
  mm_hidden_size: 3072,
  mm_projector_type: 'mlp2x_gelu',
  mm_vision_tower: 'mobileclip_l_1024',
  image_aspect_ratio: 'pad',
};

describe('vision tower names', () => {
  it('read and write mobileclip_l_<R> as FastViTHD at R', () => {
    expect(parseVisionTower('mobileclip_l_1024')?.tower.vision).toBe(FASTVITHD);
    expect(parseVisionTower('mobileclip_l_1024')?.resolution).toBe(1024);
    expect(parseVisionTower('mobileclip_l_768')?.resolution).toBe(768);
    expect(visionTowerName(FASTVITHD, 1024)).toBe('mobileclip_l_1024');
    for (const bad of ['mobileclip_l_', 'mobileclip_l_01024', 'mobileclip_l_1024px', 'clip_vit_l_336', '']) expect(parseVisionTower(bad), bad).toBeUndefined();
  });
});

describe('configFromCheckpoint', () => {
  it('recognises the released 0.5B, 1.5B and 7B configs as the presets', () => {
    const found = configFromCheckpoint(dirWith(RELEASED_05B));
    expect(found.preset).toBe('fastvlm-0.5b');
    expect(found.config).toEqual(CONFIGS['fastvlm-0.5b']);
    expect(found.visionTower).toBe('mobileclip_l_1024');
    expect(found.fields).toEqual(CHECKPOINT_CONFIG_FIELDS);
    const b15 = { ...RELEASED_05B, hidden_size: 1536, intermediate_size: 8960, num_attention_heads: 12, num_hidden_layers: 28 };
    expect(configFromCheckpoint(dirWith(b15)).preset).toBe('fastvlm-1.5b');
    const b7 = { ...RELEASED_05B, hidden_size: 3584, intermediate_size: 18944, num_attention_heads: 28, num_hidden_layers: 28, num_key_value_heads: 4, vocab_size: 152064 };
    expect(configFromCheckpoint(dirWith(b7)).preset).toBe('fastvlm-7b');
  });

  it('reads the LLM from text_config, the tie flag, and the resolution from the tower name', () => {
    const { hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, intermediate_size, vocab_size, rope_theta, rms_norm_eps } = RELEASED_05B;
    const nested = { model_type: 'llava_qwen2', mm_vision_tower: 'mobileclip_l_768', text_config: { hidden_size, num_hidden_layers, num_attention_heads, num_key_value_heads, intermediate_size, vocab_size, rope_theta, rms_norm_eps, tie_word_embeddings: true } };
    const found = configFromCheckpoint(dirWith(nested));
    expect(found.preset).toBe('fastvlm-0.5b');
    expect(found.config.llm.tieWordEmbeddings).toBe(true);
    expect(found.config.defaults.resolution).toBe(768);
    expect(found.config.defaults.contextLength).toBe(CONFIGS['fastvlm-0.5b'].defaults.contextLength);
  });

  it('builds a config that matches no preset from its own numbers, named after the directory', () => {
    const own = { ...RELEASED_05B, num_hidden_layers: 12, intermediate_size: 2048, head_dim: 64 };
    const found = configFromCheckpoint(dirWith(own, 'My FastVLM (12 layers)'));
    expect(found.preset).toBeUndefined();
    expect(found.config.name).toBe('my-fastvlm-12-layers');
    expect(found.config.vision).toBe(FASTVITHD);
    expect(found.config.llm).toEqual({ ...CONFIGS['fastvlm-0.5b'].llm, numHiddenLayers: 12, intermediateSize: 2048 });
    // Defaults absent from the file take Qwen2's: rope_theta 10000, rms_norm_eps 1e-6.
    const { rope_theta: _r, rms_norm_eps: _e, ...bare } = own;
    expect(configFromCheckpoint(dirWith(bare)).config.llm).toMatchObject({ ropeTheta: 10000, rmsNormEps: 1e-6 });
  });

  it('refuses what is not a FastVLM, listing every problem', () => {
    const { code, message } = fastVlmError(() => configFromCheckpoint(dirWith({ ...RELEASED_05B, model_type: 'qwen2', mm_projector_type: 'linear', mm_vision_tower: 'clip_vit_l_336', hidden_size: 'big' })));
    expect(code).toBe('E_CHECKPOINT_CONFIG');
    expect(message).toContain('model_type: expected "llava_qwen2" (FastVLM), found "qwen2"');
    expect(message).toContain('mm_projector_type: expected "mlp2x_gelu", found "linear"');
    expect(message).toContain('mm_vision_tower: expected one of mobileclip_l_<resolution> (FastViTHD (the MobileCLIP-L image encoder))');
    expect(message).toContain('found "clip_vit_l_336"');
    expect(message).toContain('hidden_size: expected a number, found "big"');
    expect(fastVlmError(() => configFromCheckpoint(dirWith({ ...RELEASED_05B, mm_hidden_size: 768 }))).message).toContain('mm_hidden_size: FastViTHD (the MobileCLIP-L image encoder) gives 3072 features, found 768');
    // An inconsistent configuration gets the validator's message.
    expect(fastVlmError(() => configFromCheckpoint(dirWith({ ...RELEASED_05B, num_key_value_heads: 3 }))).message).toContain('llm.numKeyValueHeads: 3 must divide numAttentionHeads 14');
  });

  it('keeps the coded errors of unreadable files', () => {
    expect(fastVlmError(() => configFromCheckpoint(join(work, 'absent'))).code).toBe('E_IO');
    const dir = join(work, 'broken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '{"model_type": ');
    expect(fastVlmError(() => configFromCheckpoint(dir)).code).toBe('E_CHECKPOINT_CONFIG');
  });
});

describe('a named model with a checkpoint', () => {
  it('checks the vision tower too', () => {
    const tiny = CONFIGS.tiny;
    const dir = dirWith({ ...hfConfigJson(tiny), mm_vision_tower: 'mobileclip_l_1024' });
    writeSafetensors(join(dir, 'model.safetensors'), syntheticWeights('tiny'));
    const { code, message } = fastVlmError(() => loadCheckpoint(dir, 'tiny'));
    expect(code).toBe('E_CHECKPOINT_CONFIG');
    expect(message).toContain('mm_vision_tower: expected "fastvlm_test_tiny_128", found "mobileclip_l_1024"');
    // The tiny test tower's own name loads, and identifies the tiny preset without --model.
    const ok = dirWith(hfConfigJson(withLlm(tiny, { tieWordEmbeddings: false })));
    expect(configFromCheckpoint(ok).preset).toBe('tiny');
  });
});
