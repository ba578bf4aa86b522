import { describe, expect, it } from 'vitest';
import '../ops/index.js';
import { graph } from '../builder/graph.js';

import { interpret } from '../interpret/interpreter.js';
import { fillTensor } from '../testing/arb.js';
import { memorySource, WeightStore } from '../weights/store.js';
import { nn } from './index.js';
import { fastVlmError } from '../testing/errors.js';

function thisLine(): number {
  return Number(/layers\.test\.ts:(\d+):\d+/.exec(new Error().stack!.split('\n')[2]!)![1]);
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!)).toBeLessThan(tol * (1 + Math.abs(expected[i]!)));
}

/** A store holding seeded random tensors, so norm scales are not all ones. */
function randomStore(specs: Record<string, number[]>): WeightStore {
  const s = new WeightStore();
  let seed = 40;
  for (const [name, shape] of Object.entries(specs)) s.add(name, memorySource(fillTensor('fp32', shape, seed++)));
  return s;
}

describe('Hugging Face parameter names and shapes', () => {
  it('a Qwen2 decoder layer creates exactly the checkpoint tensors', () => {
    const g = graph();
    const f = g.function('main');
    const x = f.input('x', 'fp32', [1, 6, 64]);
    const y = f.scope('model.layers.0', (s) => {
      const h = nn.rmsNorm(s, x, { name: 'input_layernorm' });
      const a = s.add(x, nn.attention(s, h, { name: 'self_attn', numHeads: 4, numKvHeads: 2, qkvBias: true, rope: { theta: 1e6 }, mask: 'causal' }));
      const m = nn.gatedMlp(s, nn.rmsNorm(s, a, { name: 'post_attention_layernorm' }), { name: 'mlp', intermediateSize: 96 });
      return s.add(a, m);
    });
    f.output({ hidden: y });
    g.build();
    const params = g.weights.names().filter((n) => !n.startsWith('rope.')).map((n) => [n, g.weights.info(n).shape]);
    expect(Object.fromEntries(params)).toEqual({
      'model.layers.0.input_layernorm.weight': [64],
      'model.layers.0.self_attn.q_proj.weight': [64, 64],
      'model.layers.0.self_attn.q_proj.bias': [64],
      'model.layers.0.self_attn.k_proj.weight': [32, 64],
      'model.layers.0.self_attn.k_proj.bias': [32],
      'model.layers.0.self_attn.v_proj.weight': [32, 64],
      'model.layers.0.self_attn.v_proj.bias': [32],
      'model.layers.0.self_attn.o_proj.weight': [64, 64],
      'model.layers.0.post_attention_layernorm.weight': [64],
      'model.layers.0.mlp.gate_proj.weight': [96, 64],
      'model.layers.0.mlp.up_proj.weight': [96, 64],
      'model.layers.0.mlp.down_proj.weight': [64, 96],
    });
    expect(params).toHaveLength(12);
  });

  it('conv2d and layerNorm follow PyTorch names and shapes (depthwise, grouped, NCHW channel norm)', () => {
    const g = graph();
    const f = g.function('main');
    const x = f.input('x', 'fp32', [1, 8, 6, 6]);
    const y = f.scope('network.0', (s) => {
      const a = nn.conv2d(s, x, { name: 'token_mixer.reparam_conv', outChannels: 8, kernelSize: 3, groups: 8, pad_type: 'same' });
      const b = nn.conv2d(s, a, { name: 'convffn.fc1', outChannels: 16, kernelSize: [1, 1], bias: false });
      const c = nn.conv2d(s, b, { name: 'grouped', outChannels: 4, kernelSize: [3, 1], groups: 2, strides: [2, 1] });
      return nn.layerNorm(s, c, { name: 'norm', axes: [1] });
    });
    expect(y.shape).toEqual([1, 4, 2, 6]);
    expect(Object.fromEntries(g.weights.names().map((n) => [n, g.weights.info(n).shape]))).toEqual({
      'network.0.token_mixer.reparam_conv.weight': [8, 1, 3, 3],
      'network.0.token_mixer.reparam_conv.bias': [8],
      'network.0.convffn.fc1.weight': [16, 8, 1, 1],
      'network.0.grouped.weight': [4, 8, 3, 1],
      'network.0.grouped.bias': [4],
      'network.0.norm.weight': [4],
      'network.0.norm.bias': [4],
    });
  });

  it('layers without a name use the current scope', () => {
    const g = graph();
    const f = g.function('main');
    const x = f.input('x', 'fp32', [2, 4]);
    f.scope('lm_head', (s) => nn.linear(s, x, { outFeatures: 3, bias: false }));
    expect(g.weights.names()).toEqual(['lm_head.weight']);
  });
});

describe('layer numerics against naive references', () => {
  it('linear with bias, for rank 2 and for rank 4 (matmul path)', () => {
    for (const shape of [[3, 5], [2, 1, 3, 5]]) {
      const store = randomStore({ 'fc.weight': [4, 5], 'fc.bias': [4] });
      const g = graph({ weights: store });
      const f = g.function('main');
      const x = f.input('x', 'fp32', shape);
      const y = nn.linear(f, x, { name: 'fc', outFeatures: 4 });
      expect(y.shape).toEqual([...shape.slice(0, -1), 4]);
      f.output({ y });
      const xv = fillTensor('fp32', shape, 3);
      const got = interpret(g.build(), 'main', { x: xv }).get('y')!.data;
      const w = store.read('fc.weight').data, b = store.read('fc.bias').data;
      const rows = xv.data.length / 5;
      const want: number[] = [];
      for (let r = 0; r < rows; r++) for (let o = 0; o < 4; o++) {
        let s = b[o]!;
        for (let i = 0; i < 5; i++) s += xv.data[r * 5 + i]! * w[o * 5 + i]!;
        want.push(s);
      }
      expectClose(got, want, 1e-5);
    }
  });

  it('conv2d with bias, stride 1, same padding', () => {
    const store = randomStore({ 'c.weight': [2, 3, 3, 3], 'c.bias': [2] });
    const g = graph({ weights: store });
    const f = g.function('main');
    const x = f.input('x', 'fp32', [1, 3, 4, 5]);
    f.output({ y: nn.conv2d(f, x, { name: 'c', outChannels: 2, kernelSize: 3, pad_type: 'same' }) });
    const xv = fillTensor('fp32', [1, 3, 4, 5], 8);
    const got = interpret(g.build(), 'main', { x: xv }).get('y')!;
    expect(got.shape).toEqual([1, 2, 4, 5]);
    const w = store.read('c.weight').data, b = store.read('c.bias').data;
    const want: number[] = [];
    for (let o = 0; o < 2; o++) for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) {
      let s = b[o]!;
      for (let c = 0; c < 3; c++) for (let u = 0; u < 3; u++) for (let v = 0; v < 3; v++) {
        const ii = i + u - 1, jj = j + v - 1;
        if (ii < 0 || ii >= 4 || jj < 0 || jj >= 5) continue;
        s += xv.data[c * 20 + ii * 5 + jj]! * w[((o * 3 + c) * 3 + u) * 3 + v]!;
      }
      want.push(s);
    }
    expectClose(got.data, want, 1e-5);
  });

  it('layerNorm over the channels of NCHW with weight and bias', () => {
    const store = randomStore({ 'n.weight': [3], 'n.bias': [3] });
    const g = graph({ weights: store });
    const f = g.function('main');
    const x = f.input('x', 'fp32', [1, 3, 2, 2]);
    f.output({ y: nn.layerNorm(f, x, { name: 'n', axes: [1], eps: 1e-5 }) });
    const xv = fillTensor('fp32', [1, 3, 2, 2], 4);
    const got = interpret(g.build(), 'main', { x: xv }).get('y')!.data;
    const w = store.read('n.weight').data, b = store.read('n.bias').data;
    const want = new Array<number>(12);
    for (let p = 0; p < 4; p++) {
      const vals = [0, 1, 2].map((c) => xv.data[c * 4 + p]!);
      const mean = vals.reduce((a, t) => a + t, 0) / 3;
      const vari = vals.reduce((a, t) => a + (t - mean) ** 2, 0) / 3;
      for (let c = 0; c < 3; c++) want[c * 4 + p] = ((vals[c]! - mean) / Math.sqrt(vari + 1e-5)) * w[c]! + b[c]!;
    }
    expectClose(got, want, 1e-4);
  });

  it('rmsNorm over the last axis with weight', () => {
    const store = randomStore({ 'r.weight': [6] });
    const g = graph({ weights: store });
    const f = g.function('main');
    const x = f.input('x', 'fp32', [2, 6]);
    f.output({ y: nn.rmsNorm(f, x, { name: 'r', eps: 1e-6 }) });
    const xv = fillTensor('fp32', [2, 6], 2);
    const got = interpret(g.build(), 'main', { x: xv }).get('y')!.data;
    const w = store.read('r.weight').data;
    const want: number[] = [];
    for (let r = 0; r < 2; r++) {
      const row = Array.from(xv.data.slice(r * 6, r * 6 + 6));
      const ms = row.reduce((a, t) => a + t * t, 0) / 6;
      row.forEach((t, i) => want.push((t / Math.sqrt(ms + 1e-6)) * w[i]!));
    }
    expectClose(got, want, 1e-5);
  });

  it('gatedMlp computes down(silu(gate(x)) * up(x))', () => {
    const g = graph({ seed: 4 });
    const f = g.function('main');
    const x = f.input('x', 'fp32', [3, 4]);
    f.output({ y: nn.gatedMlp(f, x, { name: 'mlp', intermediateSize: 6 }) });
    const xv = fillTensor('fp32', [3, 4], 6);
    const got = interpret(g.build(), 'main', { x: xv }).get('y')!.data;
    const W = (n: string): Float32Array => g.weights.read(`mlp.${n}.weight`).data as Float32Array;
    const [wg, wu, wd] = [W('gate_proj'), W('up_proj'), W('down_proj')];
    const want: number[] = [];
    for (let r = 0; r < 3; r++) {
      const h: number[] = [];
      for (let j = 0; j < 6; j++) {
        let a = 0, b = 0;
        for (let i = 0; i < 4; i++) {
          a += xv.data[r * 4 + i]! * wg[j * 4 + i]!;
          b += xv.data[r * 4 + i]! * wu[j * 4 + i]!;
        }
        h.push((a / (1 + Math.exp(-a))) * b);
      }
      for (let o = 0; o < 4; o++) want.push(h.reduce((acc, t, j) => acc + t * wd[o * 6 + j]!, 0));
    }
    expectClose(got, want, 1e-5);
  });
});

describe('layer option errors', () => {
  it('are coded and located at the caller', () => {
    const f = graph().function('main');
    const x = f.input('x', 'fp32', [1, 4, 5, 5]);
    let line = 0;
    const e = fastVlmError(() => { line = thisLine(); nn.conv2d(f, x, { outChannels: 6, kernelSize: 3, groups: 4 }); });
    expect(e.code).toBe('E_ATTR');
    expect(e.message).toContain('groups 4');
    expect(e.loc?.line).toBe(line);
    expect(e.loc?.file).toMatch(/layers\.test\.ts$/);
    expect(fastVlmError(() => nn.linear(f, x, { outFeatures: 0 })).code).toBe('E_ATTR');
    expect(fastVlmError(() => nn.layerNorm(f, x, { axes: [7] })).code).toBe('E_ATTR');
    expect(fastVlmError(() => nn.layerNorm(f, x, { axes: [1, -3] })).code).toBe('E_ATTR');
    expect(fastVlmError(() => nn.rmsNorm(f, x, { eps: -1 })).code).toBe('E_ATTR');
    expect(fastVlmError(() => nn.gatedMlp(f, x, { intermediateSize: 2.5 })).code).toBe('E_ATTR');
    const xs = f.input('xs', 'fp32', [1, 'c']);
    expect(fastVlmError(() => nn.linear(f, xs, { outFeatures: 2 })).code).toBe('E_SHAPE_INVALID');
    const xi = f.input('xi', 'int32', [2, 2]);
    expect(fastVlmError(() => nn.linear(f, xi as unknown as typeof xs, { outFeatures: 2 })).code).toBe('E_DTYPE_MISMATCH');
  });

  it('a shape error inside a layer points at the layer call, not at nn internals', () => {
    const f = graph().function('main');
    const x = f.input('x', 'fp32', [2, 4]);
    let line = 0;
    const e = fastVlmError(() => { line = thisLine(); nn.linear(f, x, { outFeatures: 3, inFeatures: 5 }); });
    expect(e.code).toBe('E_SHAPE_MISMATCH');
    expect(e.message).toContain('linear');
    expect(e.loc?.line).toBe(line);
  });
});
