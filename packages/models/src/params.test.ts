import { describe, expect, it } from 'vitest';
import { CONFIG_NAMES, type FastVlmConfig, type LlmConfig, type VisionConfig, getConfig, withLlm } from './config.js';
import { parameterManifest } from './build.js';
import { countParameters } from './params.js';

// Independent arithmetic, written from the architecture description (fastvlm.md), not from the model code.

function visionArithmetic(v: VisionConfig): { params: number; buffers: number } {
  const w0 = v.widths[0]!;
  let p = 3 * 9 * w0 + w0 + 9 * w0 + w0 + w0 * w0 + w0; // stem: 3x3 conv, 3x3 depthwise, 1x1
  let buffers = 0;
  v.widths.forEach((C, i) => {
    const hidden = v.mlpRatio * C;
    if (i > 0) p += 49 * C + C + C * C + C; // PatchEmbed: 7x7 (1 input channel per group) + 1x1
    if (v.stageTypes[i] === 'attention') p += 49 * C + C; // RepCPE
    const ffn = 49 * C + 2 * C + C * hidden + hidden + hidden * C + C; // dw 7x7, BN affine, fc1, fc2
    const block = v.stageTypes[i] === 'attention'
      ? 2 * C + 3 * C * C + C * C + C + 2 * C + ffn // norm, qkv, proj, two layer scales
      : 9 * C + C + C + ffn; // token mixer, layer scale
    p += v.depths[i]! * block;
    buffers += v.depths[i]! * 2 * C; // BN running mean and var
  });
  const out = v.outChannels;
  const r = Math.floor(out / 16);
  p += out * 9 + out + r * out + r + out * r + out; // conv_exp (1 input channel per group) + SE
  return { params: p, buffers };
}

function llmArithmetic(l: LlmConfig): number {
  const H = l.hiddenSize;
  const q = l.numAttentionHeads * l.headDim;
  const kv = l.numKeyValueHeads * l.headDim;
  const layer = H * q + q + 2 * (H * kv + kv) + q * H + 3 * H * l.intermediateSize + 2 * H;
  return l.vocabSize * H + l.numHiddenLayers * layer + H + (l.tieWordEmbeddings ? 0 : l.vocabSize * H);
}

const projectorArithmetic = (c: FastVlmConfig): number => c.vision.outChannels * c.llm.hiddenSize + c.llm.hiddenSize + c.llm.hiddenSize ** 2 + c.llm.hiddenSize;

describe('countParameters', () => {
  it('FastViTHD: 122,714,208 without the CLIP head, 125.07 M with it', () => {
    const plain = countParameters('fastvlm-0.5b');
    const head = countParameters('fastvlm-0.5b', { withClipHead: true });
    expect(plain.vision).toBe(122_714_208);
    expect(head.vision).toBe(122_714_208 + 3072 * 768);
    expect((head.vision / 1e6).toFixed(2)).toBe('125.07');
    expect(plain.buffers).toBe(2 * (96 * 2 + 192 * 12 + 384 * 24 + 768 * 4 + 1536 * 2));
    expect(head.total - plain.total).toBe(3072 * 768);
  });

  it('matches independent arithmetic for every preset', () => {
    for (const name of CONFIG_NAMES) {
      const cfg = getConfig(name);
      const counts = countParameters(cfg);
      const v = visionArithmetic(cfg.vision);
      expect(counts.vision, name).toBe(v.params);
      expect(counts.buffers, name).toBe(v.buffers);
      expect(counts.projector, name).toBe(projectorArithmetic(cfg));
      expect(counts.llm, name).toBe(llmArithmetic(cfg.llm));
      expect(counts.total, name).toBe(counts.vision + counts.projector + counts.llm);
    }
  });

  it('gives the documented projector sizes', () => {
    expect(countParameters('fastvlm-0.5b').projector).toBe(3_557_120);
    expect((countParameters('fastvlm-1.5b').projector / 1e6).toFixed(2)).toBe('7.08');
    expect((countParameters('fastvlm-7b').projector / 1e6).toFixed(1)).toBe('23.9');
  });

  it('counts the head once when the embeddings are tied', () => {
    const untied = getConfig('fastvlm-0.5b');
    const tied = withLlm(untied, { tieWordEmbeddings: true });
    expect(countParameters(untied).llm - countParameters(tied).llm).toBe(151936 * 896);
    // Qwen2-0.5B's published size (tied): 494,032,768.
    expect(countParameters(tied).llm).toBe(494_032_768);
  });

  it('puts 56.9 M parameters in stage 4 with its RepCPE', () => {
    const m = parameterManifest('fastvlm-0.5b', { parts: ['vision'] });
    const pre = 'model.vision_tower.vision_tower.model.network.';
    const n = m.filter((e) => e.kind === 'parameter' && (e.name.startsWith(`${pre}9.`) || e.name.startsWith(`${pre}10.`))).reduce((s, e) => s + e.shape.reduce((a, b) => a * b, 1), 0);
    expect((n / 1e6).toFixed(1)).toBe('56.9');
  });
});

describe('parameterManifest', () => {
  const m = parameterManifest('fastvlm-0.5b');
  const names = new Set(m.map((e) => e.name));

  it('names every tensor exactly as the checkpoint does', () => {
    const vt = 'model.vision_tower.vision_tower.model.';
    for (const n of [
      `${vt}patch_embed.0.reparam_conv.weight`,
      `${vt}patch_embed.1.reparam_conv.bias`,
      `${vt}network.0.0.token_mixer.reparam_conv.weight`,
      `${vt}network.0.1.convffn.conv.conv.weight`,
      `${vt}network.0.1.convffn.conv.bn.running_var`,
      `${vt}network.4.23.layer_scale`,
      `${vt}network.1.proj.0.lkb_reparam.weight`,
      `${vt}network.8.proj.1.reparam_conv.bias`,
      `${vt}network.6.reparam_conv.weight`,
      `${vt}network.7.3.token_mixer.qkv.weight`,
      `${vt}network.10.1.token_mixer.proj.bias`,
      `${vt}network.10.1.norm.weight`,
      `${vt}network.10.1.layer_scale_2`,
      `${vt}conv_exp.reparam_conv.weight`,
      `${vt}conv_exp.se.reduce.weight`,
      `${vt}conv_exp.se.expand.bias`,
      'model.mm_projector.0.weight',
      'model.mm_projector.2.bias',
      'model.embed_tokens.weight',
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.23.self_attn.v_proj.bias',
      'model.layers.5.self_attn.o_proj.weight',
      'model.layers.5.mlp.gate_proj.weight',
      'model.layers.5.post_attention_layernorm.weight',
      'model.norm.weight',
      'lm_head.weight',
    ]) {
      expect(names.has(n), n).toBe(true);
    }
    for (const n of [`${vt}head.proj`, 'model.layers.0.self_attn.o_proj.bias', `${vt}network.7.0.token_mixer.qkv.bias`, `${vt}network.0.0.convffn.conv.conv.bias`, 'model.layers.24.input_layernorm.weight']) {
      expect(names.has(n), n).toBe(false);
    }
    expect(names.size).toBe(m.length);
  });

  it('has the checkpoint shapes', () => {
    const shape = (n: string): readonly number[] | undefined => m.find((e) => e.name === n)?.shape;
    const vt = 'model.vision_tower.vision_tower.model.';
    expect(shape(`${vt}network.4.0.layer_scale`)).toEqual([384, 1, 1]);
    expect(shape(`${vt}network.7.0.token_mixer.qkv.weight`)).toEqual([2304, 768]);
    expect(shape(`${vt}network.8.proj.0.lkb_reparam.weight`)).toEqual([1536, 1, 7, 7]);
    expect(shape(`${vt}conv_exp.reparam_conv.weight`)).toEqual([3072, 1, 3, 3]);
    expect(shape(`${vt}conv_exp.se.reduce.weight`)).toEqual([192, 3072, 1, 1]);
    expect(shape('model.layers.0.self_attn.k_proj.weight')).toEqual([128, 896]);
    expect(shape('lm_head.weight')).toEqual([151936, 896]);
  });

  it('marks only BatchNorm statistics as buffers and follows the dtype option', () => {
    for (const e of m) expect(e.kind === 'buffer', e.name).toBe(/\.running_(mean|var)$/.test(e.name));
    expect(parameterManifest('tiny', { dtype: 'fp16' }).every((e) => e.dtype === 'fp16')).toBe(true);
    expect(parameterManifest('tiny', { parts: ['llm'] }).every((e) => e.part === 'llm')).toBe(true);
  });
});
