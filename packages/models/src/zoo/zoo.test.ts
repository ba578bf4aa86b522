import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { type Program, type Tensor, graph, interpret, isFastVlmError, tensor, WeightStore } from '@fastvlm/graph';
import { buildFastVlm } from '../build.js';
import { maxPoolNonNegative } from './blocks.js';
import { ZOO, ZOO_NAMES, buildZooModel, zooEntry, zooParameterCount } from './registry.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Deterministic inputs for every input of `main` (token ids in [0, 100), images sin(i)). */
function inputsOf(p: Program): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const v of p.fn('main').inputs) {
    const shape = v.type.shape as number[];
    const n = shape.reduce((a, b) => a * b, 1);
    out[v.name] =
      v.type.dtype === 'int32' ? tensor('int32', shape, Int32Array.from({ length: n }, (_, i) => (i * 7) % 100)) : tensor('fp32', shape, Float32Array.from({ length: n }, (_, i) => Math.sin(i)));
  }
  return out;
}

describe('model zoo', () => {
  it('has every model the issue names, with the published default inputs', () => {
    expect(ZOO_NAMES).toEqual([
      'fastvit-t8', 'fastvit-t12', 'fastvit-s12', 'fastvit-sa12', 'fastvit-sa24', 'fastvit-sa36', 'fastvit-ma36',
      'mobileone-s0', 'mobileone-s1', 'mobileone-s2', 'mobileone-s3', 'mobileone-s4',
      'mci0', 'mci1', 'mci2', 'mci3', 'mci4',
      'mobileclip-text-512', 'mobileclip-text-768', 'resnet50', 'mobilenetv2', 'mobilenetv3-small', 'distilbert', 'opt-1.3b',
    ]);
    const size = (n: string): number => {
      const i = zooEntry(n).input;
      return i.kind === 'image' ? i.resolution : i.kind === 'tokens' ? i.length : i.context;
    };
    for (const n of ZOO_NAMES.filter((x) => x.startsWith('fastvit') || x.startsWith('mci'))) expect(size(n)).toBe(256);
    for (const n of ['mobileone-s0', 'mobileone-s4', 'resnet50', 'mobilenetv2', 'mobilenetv3-small']) expect(size(n)).toBe(224);
    expect([size('mobileclip-text-512'), size('mobileclip-text-768'), size('distilbert'), size('opt-1.3b')]).toEqual([77, 77, 128, 64]);
  });

  // The published counts come from the model cards and READMEs named in each entry; the tolerance
  // is half a unit of the last published digit unless the entry says why it is wider.
  it.each(ZOO_NAMES)('%s has its published parameter count', (name) => {
    const m = buildZooModel(name);
    const { parameters } = zooParameterCount(m.program);
    const p = m.entry.published;
    expect(Math.abs(parameters - p.parameters) / p.parameters).toBeLessThanOrEqual(p.tolerance);
    // The tolerances stay tight: at most about 1 % (FastViT's ported checkpoints) and exact where the layout is.
    expect(p.tolerance).toBeLessThan(0.025);
  });

  it('is exact where the published layout is ours (torchvision, Hugging Face)', () => {
    for (const n of ['resnet50', 'mobilenetv2', 'mobilenetv3-small', 'distilbert', 'opt-1.3b']) {
      expect(zooParameterCount(buildZooModel(n).program).parameters).toBe(ZOO[n]!.published.parameters);
    }
  });

  it('builds MCi3 from FastViTHD\'s code: the same trunk tensors as FastVLM\'s vision tower', () => {
    const mci3 = buildZooModel('mci3', { resolution: 64 }).program.weights.names().filter((n) => !n.startsWith('head.'));
    const prefix = 'model.vision_tower.vision_tower.model.';
    const hd = buildFastVlm('fastvlm-0.5b', { parts: ['vision'], resolution: 64 })
      .vision!.weights.names()
      .filter((n) => n.startsWith(prefix))
      .map((n) => n.slice(prefix.length))
      .filter((n) => !n.startsWith('head.'));
    expect(mci3.length).toBeGreaterThan(500);
    expect([...mci3].sort()).toEqual([...hd].sort());
  });

  it('gives the documented outputs and its inputs as published', () => {
    const sig = (n: string, o = {}): string[] => {
      const fn = buildZooModel(n, o).program.fn('main');
      return [...fn.inputs, ...fn.outputs].map((v) => `${v.name}:${v.type.dtype}[${v.type.shape.join(',')}]`);
    };
    expect(sig('resnet50')).toEqual(['images:fp32[1,3,224,224]', 'logits:fp32[1,1000]']);
    expect(sig('mci4', { dtype: 'fp16' })).toEqual(['images:fp32[1,3,256,256]', 'image_embeds:fp16[1,768]']);
    expect(sig('mobileclip-text-512')).toEqual(['input_ids:int32[1,77]', 'text_embeds:fp32[1,77,512]']);
    expect(sig('distilbert')).toEqual(['input_ids:int32[1,128]', 'last_hidden_state:fp32[1,128,768]']);
    expect(sig('opt-1.3b')).toEqual([
      'input_id:int32[1,1]', 'position:int32[1]', 'key_cache:fp32[24,32,64,64]', 'value_cache:fp32[24,32,64,64]',
      'logits:fp32[1,50272]', 'new_keys:fp32[24,32,1,64]', 'new_values:fp32[24,32,1,64]',
    ]);
  });

  // The small image models run through the reference interpreter at a small resolution (the
  // weights are synthetic, so the check is that every op evaluates and stays finite; FastVLM's own
  // numerics are checked against PyTorch in tests/parity).
  it.each([
    ['fastvit-t8', 32, 'logits', [1, 1000]],
    ['fastvit-sa12', 32, 'logits', [1, 1000]],
    ['mobileone-s0', 32, 'logits', [1, 1000]],
    ['mobilenetv2', 32, 'logits', [1, 1000]],
    ['mobilenetv3-small', 32, 'logits', [1, 1000]],
    ['mci0', 32, 'image_embeds', [1, 512]],
  ] as const)('%s evaluates in the interpreter at side %i', (name, resolution, out, shape) => {
    const m = buildZooModel(name, { resolution });
    const y = interpret(m.program, 'main', inputsOf(m.program)).get(out)!;
    expect([...y.shape]).toEqual(shape);
    const data = Array.from(y.data as Float32Array);
    expect(data.every(Number.isFinite)).toBe(true);
    // Not all equal: the graph does depend on its input.
    expect(new Set(data).size).toBeGreaterThan(1);
  });

  it('is deterministic: same options, same weights', () => {
    const a = buildZooModel('mobileone-s0', { resolution: 32, seed: 3 }).program;
    const b = buildZooModel('mobileone-s0', { resolution: 32, seed: 3 }).program;
    const w = 'stage1.0.reparam_conv.weight';
    expect(Array.from(a.weights.read(w).data as Float32Array)).toEqual(Array.from(b.weights.read(w).data as Float32Array));
    const c = buildZooModel('mobileone-s0', { resolution: 32, seed: 4 }).program;
    expect(Array.from(c.weights.read(w).data as Float32Array)).not.toEqual(Array.from(a.weights.read(w).data as Float32Array));
  });

  it('rejects bad names and options with coded errors', () => {
    const cases: [() => unknown, string, RegExp][] = [
      [() => buildZooModel('resnet51'), 'E_MODEL_CONFIG', /unknown zoo model 'resnet51'; expected one of fastvit-t8, .*opt-1\.3b/],
      [() => buildZooModel('resnet50', { resolution: 100 }), 'E_MODEL_OPTION', /multiple of 32/],
      [() => buildZooModel('resnet50', { sequenceLength: 8 }), 'E_MODEL_OPTION', /sequenceLength does not apply to resnet50/],
      [() => buildZooModel('distilbert', { sequenceLength: 513 }), 'E_MODEL_OPTION', /513 exceeds the 512 positions/],
      [() => buildZooModel('opt-1.3b', { contextLength: 0 }), 'E_MODEL_OPTION', /positive integer/],
      [() => buildZooModel('mci0', { dtype: 'bf16' as never }), 'E_MODEL_OPTION', /dtype/],
      [() => buildZooModel('mci0', { seed: -1 }), 'E_MODEL_OPTION', /seed/],
    ];
    for (const [fn, code, msg] of cases) {
      const e = thrown(fn);
      expect(isFastVlmError(e) && e.code).toBe(code);
      expect((e as Error).message).toMatch(msg);
    }
  });
});

describe('maxPoolNonNegative', () => {
  // Independent reference: the k x k window maximum with padding k//2 (padding never wins on inputs >= 0).
  function ref(x: Float32Array, C: number, H: number, W: number, k: number, s: number): number[] {
    const p = Math.floor(k / 2);
    const oh = Math.floor((H + 2 * p - k) / s) + 1;
    const ow = Math.floor((W + 2 * p - k) / s) + 1;
    const out: number[] = [];
    for (let c = 0; c < C; c++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          let m = 0;
          for (let a = 0; a < k; a++)
            for (let b = 0; b < k; b++) {
              const y = i * s - p + a;
              const z = j * s - p + b;
              if (y >= 0 && y < H && z >= 0 && z < W) m = Math.max(m, x[(c * H + y) * W + z]!);
            }
          out.push(m);
        }
    return out;
  }

  it('equals the window maximum of PyTorch\'s MaxPool2d(k, s, k//2) on non-negative inputs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom(1, 3, 5), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 1000 }), (C, H, W, k, s, seed) => {
        const g = graph({ weights: new WeightStore(), locations: false });
        const f = g.function('main');
        const x = f.input('x', 'fp32', [1, C, H, W]);
        f.output({ y: maxPoolNonNegative({ f, dtype: 'fp32' }, x, k, s) });
        const data = Float32Array.from({ length: C * H * W }, (_, i) => Math.abs(Math.sin(i * 12.9898 + seed)) * 4);
        const y = interpret(g.build(), 'main', { x: tensor('fp32', [1, C, H, W], data) }).get('y')!;
        expect(Array.from(y.data as Float32Array)).toEqual(ref(data, C, H, W, k, s));
      }),
      { numRuns: 60 },
    );
  });
});
