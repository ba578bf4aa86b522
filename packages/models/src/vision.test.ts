import { describe, expect, it } from 'vitest';
import { type Program, WeightStore, computedSource, interpret, tensor, zeros } from '@fastvlm/graph';
import { FP32_UNIT_ROUNDOFF, maxRelError, opDepth } from '../../graph/src/testing/metrics.js';
import { fastVlmError } from '../../graph/src/testing/errors.js';
import { type VisionConfig, getConfig } from './config.js';
import { buildFastVlm, syntheticWeights } from './build.js';

// A naive float64 FastViTHD + projector written from the architecture description (fastvlm.md).
interface Map3 {
  c: number;
  h: number;
  w: number;
  d: Float64Array; // [c, h, w]
}

const VT = 'model.vision_tower.vision_tower.model.';

/** Absolute error bound of {@link erf} (Abramowitz-Stegun 7.1.26). */
const ERF_ERROR = 1.5e-7;

/** erf by Abramowitz-Stegun 7.1.26 (|error| < {@link ERF_ERROR}). */
function erf(x: number): number {
  const s = Math.sign(x);
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-a * a);
  return s * y;
}
const gelu = (v: number): number => 0.5 * v * (1 + erf(v / Math.SQRT2));

function visionRef(v: VisionConfig, hidden: number, w: (n: string) => Float32Array, img: Float32Array, R: number): number[][] {
  const conv = (x: Map3, name: string, out: number, k: number, stride: number, groups: number, bias = true): Map3 => {
    const W = w(`${name}.weight`);
    const B = bias ? w(`${name}.bias`) : undefined;
    const p = Math.floor(k / 2);
    const h = Math.floor((x.h + 2 * p - k) / stride) + 1;
    const wd = Math.floor((x.w + 2 * p - k) / stride) + 1;
    const inG = x.c / groups;
    const outG = out / groups;
    const d = new Float64Array(out * h * wd);
    for (let o = 0; o < out; o++) {
      const g = Math.floor(o / outG);
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < wd; j++) {
          let s = B ? B[o]! : 0;
          for (let ci = 0; ci < inG; ci++) {
            for (let u = 0; u < k; u++) {
              const yy = i * stride - p + u;
              if (yy < 0 || yy >= x.h) continue;
              for (let vv = 0; vv < k; vv++) {
                const xx = j * stride - p + vv;
                if (xx < 0 || xx >= x.w) continue;
                s += x.d[((g * inG + ci) * x.h + yy) * x.w + xx]! * W[((o * inG + ci) * k + u) * k + vv]!;
              }
            }
          }
          d[(o * h + i) * wd + j] = s;
        }
      }
    }
    return { c: out, h, w: wd, d };
  };
  const map = (x: Map3, fn: (val: number, c: number) => number): Map3 => ({ ...x, d: x.d.map((val, i) => fn(val, Math.floor(i / (x.h * x.w)))) });
  const add = (a: Map3, b: Map3, scale: Float32Array): Map3 => ({ ...a, d: a.d.map((val, i) => val + scale[Math.floor(i / (a.h * a.w))]! * b.d[i]!) });
  const ffn = (x: Map3, pre: string): Map3 => {
    let y = conv(x, `${pre}.convffn.conv.conv`, x.c, 7, 1, x.c, false);
    const [m, va, g, b] = ['running_mean', 'running_var', 'weight', 'bias'].map((n) => w(`${pre}.convffn.conv.bn.${n}`));
    y = map(y, (val, c) => ((val - m![c]!) / Math.sqrt(va![c]! + 1e-5)) * g![c]! + b![c]!);
    y = map(conv(y, `${pre}.convffn.fc1`, x.c * v.mlpRatio, 1, 1, 1), gelu);
    return conv(y, `${pre}.convffn.fc2`, x.c, 1, 1, 1);
  };
  const linear = (x: number[], name: string, out: number, bias: boolean): number[] => {
    const W = w(`${name}.weight`);
    const B = bias ? w(`${name}.bias`) : undefined;
    return Array.from({ length: out }, (_, o) => x.reduce((s, xv, i) => s + xv * W[o * x.length + i]!, B ? B[o]! : 0));
  };
  const attention = (x: Map3, pre: string): Map3 => {
    const N = x.h * x.w;
    const C = x.c;
    const g = w(`${pre}.norm.weight`);
    const b = w(`${pre}.norm.bias`);
    const tok = Array.from({ length: N }, (_, n) => {
      const col = Array.from({ length: C }, (_, c) => x.d[c * N + n]!);
      const mean = col.reduce((s, q) => s + q, 0) / C;
      const vr = col.reduce((s, q) => s + (q - mean) ** 2, 0) / C;
      return col.map((q, c) => ((q - mean) / Math.sqrt(vr + 1e-5)) * g[c]! + b[c]!);
    });
    const qkv = tok.map((t) => linear(t, `${pre}.token_mixer.qkv`, 3 * C, false));
    const hd = v.headDim;
    const heads = C / hd;
    const ctx = tok.map(() => new Array<number>(C).fill(0));
    for (let h = 0; h < heads; h++) {
      for (let n = 0; n < N; n++) {
        const sc = Array.from({ length: N }, (_, m) => {
          let s = 0;
          for (let e = 0; e < hd; e++) s += qkv[n]![h * hd + e]! * qkv[m]![C + h * hd + e]!;
          return s / Math.sqrt(hd);
        });
        const mx = Math.max(...sc);
        const ex = sc.map((s) => Math.exp(s - mx));
        const z = ex.reduce((a, q) => a + q, 0);
        for (let e = 0; e < hd; e++) ctx[n]![h * hd + e] = ex.reduce((a, pr, m) => a + (pr / z) * qkv[m]![2 * C + h * hd + e]!, 0);
      }
    }
    const out = ctx.map((t) => linear(t, `${pre}.token_mixer.proj`, C, true));
    const d = new Float64Array(C * N);
    for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) d[c * N + n] = out[n]![c]!;
    return { ...x, d };
  };

  let x: Map3 = { c: 3, h: R, w: R, d: Float64Array.from(img) };
  const w0 = v.widths[0]!;
  x = map(conv(x, `${VT}patch_embed.0.reparam_conv`, w0, 3, 2, 1), gelu);
  x = map(conv(x, `${VT}patch_embed.1.reparam_conv`, w0, 3, 2, w0), gelu);
  x = map(conv(x, `${VT}patch_embed.2.reparam_conv`, w0, 1, 1, 1), gelu);
  const stageIdx = [0, 2, 4, 7, 10];
  const downIdx = [0, 1, 3, 5, 8];
  v.widths.forEach((C, i) => {
    if (i > 0) {
      x = map(conv(x, `${VT}network.${downIdx[i]}.proj.0.lkb_reparam`, C, 7, 2, v.widths[i - 1]!), gelu);
      x = map(conv(x, `${VT}network.${downIdx[i]}.proj.1.reparam_conv`, C, 1, 1, 1), gelu);
    }
    if (v.stageTypes[i] === 'attention') x = conv(x, `${VT}network.${i === 3 ? 6 : 9}.reparam_conv`, C, 7, 1, C);
    for (let j = 0; j < v.depths[i]!; j++) {
      const pre = `${VT}network.${stageIdx[i]}.${j}`;
      if (v.stageTypes[i] === 'attention') {
        x = add(x, attention(x, pre), w(`${pre}.layer_scale_1`));
        x = add(x, ffn(x, pre), w(`${pre}.layer_scale_2`));
      } else {
        x = conv(x, `${pre}.token_mixer.reparam_conv`, C, 3, 1, C);
        x = add(x, ffn(x, pre), w(`${pre}.layer_scale`));
      }
    }
  });
  x = conv(x, `${VT}conv_exp.reparam_conv`, v.outChannels, 3, 1, v.widths[v.widths.length - 1]!);
  const N = x.h * x.w;
  const pooled = Array.from({ length: x.c }, (_, c) => x.d.subarray(c * N, (c + 1) * N).reduce((s, q) => s + q, 0) / N);
  const r = linear(pooled, `${VT}conv_exp.se.reduce`, Math.floor(x.c / 16), true).map((q) => Math.max(0, q));
  const s = linear(r, `${VT}conv_exp.se.expand`, x.c, true).map((q) => 1 / (1 + Math.exp(-q)));
  x = map(x, (val, c) => gelu(val * s[c]!));
  const tokens = Array.from({ length: N }, (_, n) => Array.from({ length: x.c }, (_, c) => x.d[c * N + n]!));
  return tokens.map((t) => linear(linear(t, 'model.mm_projector.0', hidden, true).map(gelu), 'model.mm_projector.2', hidden, true));
}

/** Pixel-like values in [0, 1) (`k` picks another image). */
function image(R: number, k = 12.9898): Float32Array {
  return Float32Array.from({ length: 3 * R * R }, (_, i) => (Math.abs(Math.sin(i * k + 1) * 43758.5453) % 1));
}

function runVision(p: Program, R: number): Float32Array {
  return interpret(p, 'vision', { images: tensor('fp32', [1, 3, R, R], image(R)) }).get('image_features')!.data as Float32Array;
}

/**
 * The tiny vision weights of seed 2 with every bias and BatchNorm running mean zero. With the
 * default synthetic weights the biases and means dominate the output: an all-zero image moves
 * it by only 1.7e-5 relative at R = 64 (2.2e-4 at 128), so a comparison of those outputs cannot
 * tell a model that reads its image from one that ignores it. Without biases the image carries
 * the output (another image moves it by 50-90%; an all-zero one gives zero).
 */
function biasFreeWeights(): WeightStore {
  const base = syntheticWeights('tiny', { parts: ['vision'], seed: 2 });
  const store = new WeightStore();
  for (const name of base.names()) {
    const src = base.source(name);
    const zero = name.endsWith('.bias') || name.endsWith('.running_mean');
    store.add(name, zero ? computedSource(src.dtype, src.shape, () => zeros(src.dtype, src.shape), { describe: 'zeros' }) : src);
  }
  return store;
}

/**
 * The bound on max|ours - ref| / max|ref| for a program of depth D (longest op chain): each op
 * of our interpreter rounds its result to fp32 once (relative error <= u = 2^-24; sums are
 * accumulated in float64 first), and the reference's erf is off by up to 1.5e-7 absolute, which
 * GELU turns into a relative error of at most 0.5 * 1.5e-7 of its input (counted as a full
 * 1.5e-7 per op, for every op, to stay on the safe side). Independent roundings add up like a
 * random walk, as in tests/passes' fp16 bounds: sqrt(D) (u + 1.5e-7). For the tiny model
 * (D = 153 at both resolutions) that is 2.6e-6, against measured errors of 0.5-3.3e-7.
 */
function fp32Bound(p: Program): number {
  return Math.sqrt(opDepth(p.fn('vision'))) * (FP32_UNIT_ROUNDOFF + ERF_ERROR);
}

describe('FastViTHD + projector', () => {
  const cfg = getConfig('tiny');
  for (const R of [64, 128]) {
    for (const biasFree of [false, true]) {
      it(`matches a naive float64 reference at ${R}x${R} (${biasFree ? 'bias-free' : 'default'} weights)`, () => {
        const p = buildFastVlm(cfg, { parts: ['vision'], resolution: R, seed: 2, ...(biasFree ? { weights: biasFreeWeights() } : {}) }).vision!;
        const ours = runVision(p, R);
        const reference = (img: Float32Array): number[] => visionRef(cfg.vision, cfg.llm.hiddenSize, (n) => p.weights.read(n).data as Float32Array, img, R).flat();
        const ref = reference(image(R));
        const bound = fp32Bound(p);
        expect(ours.length).toBe((R / 64) ** 2 * cfg.llm.hiddenSize);
        expect(ref.length).toBe(ours.length);
        expect(maxRelError(ours, ref)).toBeLessThan(bound);
        // How much the image matters: the reference's output for another image.
        const sensitivity = maxRelError(reference(image(R, 78.233)), ref);
        console.log(`vision ${R}x${R} ${biasFree ? 'bias-free' : 'default'} weights: max rel error ${maxRelError(ours, ref).toExponential(2)} (bound ${bound.toExponential(2)}), input sensitivity ${sensitivity.toExponential(2)}`);
        // With the bias-free weights the comparison sees the image: another image moves the
        // output far beyond the bound, so a model that ignored its image (or read it wrongly)
        // would fail. With the default weights it checks the bias and BatchNorm paths.
        if (biasFree) expect(sensitivity).toBeGreaterThan(1000 * bound);
      });
    }
  }

  it('runs in fp16 close to fp32', () => {
    const f32 = runVision(buildFastVlm(cfg, { parts: ['vision'], resolution: 64 }).vision!, 64);
    const p16 = buildFastVlm(cfg, { parts: ['vision'], resolution: 64, dtype: 'fp16' }).vision!;
    expect(p16.fn('vision').inputs[0]!.type.dtype).toBe('fp32');
    expect(p16.fn('vision').outputs[0]!.type.dtype).toBe('fp16');
    expect(maxRelError(runVision(p16, 64), f32)).toBeLessThan(3e-2);
  });

  it('has the documented interface and attention sizes at full size', () => {
    const p = buildFastVlm('fastvlm-0.5b', { parts: ['vision'] }).vision!;
    const f = p.fn('vision');
    expect([...p.functions.keys()]).toEqual(['vision']);
    expect(f.inputs.map((x) => [x.name, x.type.dtype, [...x.type.shape]])).toEqual([['images', 'fp32', [1, 3, 1024, 1024]]]);
    expect(f.outputs.map((x) => [x.name, [...x.type.shape]])).toEqual([['image_features', [1, 256, 896]]]);
    const scoreShapes = f.body.ops.filter((op) => op.kind === 'softmax').map((op) => op.outputs[0]!.type.shape.join('x'));
    expect(scoreShapes.filter((s) => s === '24x1024x1024')).toHaveLength(4);
    expect(scoreShapes.filter((s) => s === '48x256x256')).toHaveLength(2);
    expect(f.body.ops.filter((op) => op.kind === 'batch_norm')).toHaveLength(44);
    const p768 = buildFastVlm('fastvlm-0.5b', { parts: ['vision'], resolution: 768 }).vision!;
    expect([...p768.fn('vision').outputs[0]!.type.shape]).toEqual([1, 144, 896]);
  });

  it('rejects a resolution that is not a multiple of 64', () => {
    const err = fastVlmError(() => buildFastVlm('fastvlm-0.5b', { parts: ['vision'], resolution: 1000 }), 'E_MODEL_OPTION');
    expect(String(err)).toMatch(/multiple of 64.*1000/);
  });
});
