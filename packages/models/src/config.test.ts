import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isFastVlmError } from '@fastvlm/graph';
import { CONFIGS, CONFIG_NAMES, type FastVlmConfig, getConfig, hfConfigJson, imageTokens, referenceConfigJson, validateConfig, visionStride } from './config.js';
import { resolveShapes } from './build.js';
import { networkLayout, partOfTensor } from './names.js';
import { errorCode } from '../../graph/src/testing/errors.js';

describe('presets', () => {
  it('are valid and named as their keys', () => {
    for (const name of CONFIG_NAMES) {
      expect(validateConfig(getConfig(name)).name).toBe(name);
    }
    expect(Object.keys(CONFIGS).sort()).toEqual([...CONFIG_NAMES].sort());
  });

  it('hold the published FastViTHD and Qwen2 dims', () => {
    const v = getConfig('fastvlm-0.5b').vision;
    expect(v.widths).toEqual([96, 192, 384, 768, 1536]);
    expect(v.depths).toEqual([2, 12, 24, 4, 2]);
    expect(v.stageTypes).toEqual(['repmixer', 'repmixer', 'repmixer', 'attention', 'attention']);
    expect([v.mlpRatio, v.headDim, v.outChannels, v.clipHeadDim]).toEqual([4, 32, 3072, 768]);
    const dims = (n: string): number[] => {
      const l = getConfig(n).llm;
      return [l.hiddenSize, l.numHiddenLayers, l.numAttentionHeads, l.numKeyValueHeads, l.headDim, l.intermediateSize, l.vocabSize];
    };
    expect(dims('fastvlm-0.5b')).toEqual([896, 24, 14, 2, 64, 4864, 151936]);
    expect(dims('fastvlm-1.5b')).toEqual([1536, 28, 12, 2, 128, 8960, 151936]);
    expect(dims('fastvlm-7b')).toEqual([3584, 28, 28, 4, 128, 18944, 152064]);
    for (const n of CONFIG_NAMES) {
      expect(getConfig(n).llm.ropeTheta).toBe(1e6);
      expect(getConfig(n).llm.rmsNormEps).toBe(1e-6);
    }
    expect(getConfig('fastvlm-0.5b').defaults.resolution).toBe(1024);
  });

  it('rejects unknown names with E_MODEL_CONFIG', () => {
    expect(errorCode(() => getConfig('fastvlm-3b'))).toBe('E_MODEL_CONFIG');
    expect(() => getConfig('fastvlm-3b')).toThrow(/fastvlm-0\.5b, fastvlm-1\.5b, fastvlm-7b, tiny/);
  });
});

describe('validateConfig', () => {
  const tiny = getConfig('tiny');
  it('lists every problem in one error', () => {
    const bad: FastVlmConfig = {
      ...tiny,
      vision: { ...tiny.vision, widths: [8, 12, 32, 64, 128], headDim: 24 },
      llm: { ...tiny.llm, numKeyValueHeads: 3, headDim: 15 },
      defaults: { resolution: 100, contextLength: 4, prefillLength: 8 },
    };
    let err: unknown;
    try {
      validateConfig(bad);
    } catch (e) {
      err = e;
    }
    expect(isFastVlmError(err, 'E_MODEL_CONFIG')).toBe(true);
    const msg = (err as Error).message;
    for (const part of ['vision.widths[1]', 'vision.widths[3]', 'llm.numKeyValueHeads', 'llm.headDim', 'defaults.prefillLength', 'defaults.resolution']) {
      expect(msg).toContain(part);
    }
  });

  it('rejects non-objects and wrong list lengths', () => {
    expect(errorCode(() => validateConfig(null as unknown as FastVlmConfig))).toBe('E_MODEL_CONFIG');
    expect(errorCode(() => validateConfig({ ...tiny, vision: { ...tiny.vision, depths: [1, 1] } }))).toBe('E_MODEL_CONFIG');
    expect(errorCode(() => validateConfig({ ...tiny, vision: { ...tiny.vision, stageTypes: ['repmixer', 'conv', 'repmixer', 'attention', 'attention'] as never } }))).toBe('E_MODEL_CONFIG');
  });
});

describe('resolution and lengths', () => {
  const cfg = getConfig('fastvlm-0.5b');
  it('accept exactly the positive multiples of 64', () => {
    fc.assert(
      fc.property(fc.integer({ min: -200, max: 5000 }), (r) => {
        const code = errorCode(() => resolveShapes(cfg, { resolution: r }));
        expect(code).toBe(r > 0 && r % 64 === 0 ? 'ok' : 'E_MODEL_OPTION');
      }),
    );
    expect(errorCode(() => resolveShapes(cfg, { resolution: 1024.5 }))).toBe('E_MODEL_OPTION');
  });

  it('give the documented token counts', () => {
    expect(visionStride(cfg.vision)).toBe(64);
    const table: [number, number][] = [[512, 64], [768, 144], [1024, 256], [1152, 324], [1536, 576]];
    for (const [r, n] of table) {
      expect(imageTokens(cfg.vision, r)).toBe(n);
      expect(resolveShapes(cfg, { resolution: r }).imageTokens).toBe(n);
    }
  });

  it('need S <= C and positive lengths', () => {
    expect(resolveShapes(cfg, {})).toMatchObject({ resolution: 1024, contextLength: 1024, prefillLength: 512 });
    expect(resolveShapes(cfg, { contextLength: 100 }).prefillLength).toBe(100);
    expect(errorCode(() => resolveShapes(cfg, { contextLength: 8, prefillLength: 9 }))).toBe('E_MODEL_OPTION');
    expect(errorCode(() => resolveShapes(cfg, { contextLength: 0 }))).toBe('E_MODEL_OPTION');
    expect(errorCode(() => resolveShapes(cfg, { prefillLength: -1 }))).toBe('E_MODEL_OPTION');
  });
});

describe('checkpoint layout', () => {
  it('places stages, downsamples and RepCPEs at the published network indices', () => {
    const l = networkLayout(getConfig('fastvlm-7b').vision);
    expect(l.stages).toEqual([0, 2, 4, 7, 10]);
    expect(l.downsamples).toEqual([undefined, 1, 3, 5, 8]);
    expect(l.cpes).toEqual([undefined, undefined, undefined, 6, 9]);
  });

  it('assigns tensors to parts by prefix', () => {
    expect(partOfTensor('model.vision_tower.vision_tower.model.conv_exp.se.reduce.weight')).toBe('vision');
    expect(partOfTensor('model.mm_projector.2.bias')).toBe('vision');
    expect(partOfTensor('model.layers.3.mlp.up_proj.weight')).toBe('llm');
    expect(partOfTensor('lm_head.weight')).toBe('llm');
  });

  it('writes the reference and Hugging Face JSON forms', () => {
    const t = getConfig('tiny');
    const ref = referenceConfigJson(t, 192) as { vision: Record<string, unknown>; llm: Record<string, unknown>; resolution: number };
    expect(ref.resolution).toBe(192);
    expect(ref.vision).toEqual({ widths: [8, 16, 32, 64, 128], depths: [2, 1, 2, 2, 1], mlp_ratio: 3, stage_types: ['repmixer', 'repmixer', 'repmixer', 'attention', 'attention'], head_dim: 16, out_channels: 256 });
    expect(ref.llm['num_key_value_heads']).toBe(2);
    const hf = hfConfigJson(t);
    expect(hf['hidden_size']).toBe(64);
    expect(hf['tie_word_embeddings']).toBe(false);
    expect(hf['mm_hidden_size']).toBe(256);
  });
});
