/**
 * `fastvlm inspect`: a compiled tiny package (checked against naive readers of the package
 * files) and model names (parameter counts against the published and independently derived
 * numbers, function signatures written out literally).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { milOpCounts, run, tempDir } from './helpers.js';

const tmp = tempDir('inspect');
afterAll(() => tmp.remove());
const out = join(tmp.dir, 'out');
const llmPath = join(out, 'tiny-llm.mlpackage');
const visionPath = join(out, 'tiny-vision.mlpackage');

beforeAll(async () => {
  const r = await run(['compile', '--model', 'tiny', '--out', out]);
  expect(r.code).toBe(0);
});

/** Naive weight.bin reader: blob count from the header, data bytes summed over the records. */
function naiveWeightBin(path: string): { blobs: number; dataBytes: number; fileBytes: number } {
  const b = readFileSync(path);
  const count = b.readUInt32LE(0);
  let off = 64;
  let dataBytes = 0;
  for (let i = 0; i < count; i++) {
    expect(b.readUInt32LE(off)).toBe(0xdeadbeef);
    const size = Number(b.readBigUInt64LE(off + 8));
    const data = Number(b.readBigUInt64LE(off + 16));
    dataBytes += size;
    off = Math.ceil((data + size) / 64) * 64;
  }
  return { blobs: count, dataBytes, fileBytes: b.length };
}

interface InspectJson {
  kind: string;
  path: string;
  specificationVersion: number;
  target: string;
  functions: { name: string; default: boolean; opset: string; inputs: { name: string; dtype: string; shape: number[] }[]; outputs: { name: string; dtype: string; shape: number[] }[]; ops: number; consts: number; opCounts: Record<string, number> }[];
  weights: { fileBytes: number; blobs: number; dataBytes: number };
  modelBytes: number;
  metadata: { shortDescription?: string; userDefined: Record<string, string> };
}

describe('inspect a package', () => {
  it('--json reports the spec version, functions, features, op counts, weights and metadata', async () => {
    const r = await run(['inspect', llmPath, '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as InspectJson;
    expect(info.kind).toBe('package');
    expect(info.path).toBe(llmPath);
    expect(info.specificationVersion).toBe(9);
    expect(info.target).toBe('ios18');
    expect(info.functions.map((f) => [f.name, f.default, f.opset])).toEqual([
      ['embed', true, 'CoreML8'],
      ['embed_token', false, 'CoreML8'],
      ['prefill', false, 'CoreML8'],
      ['decode', false, 'CoreML8'],
    ]);
    const token = info.functions[1]!;
    expect(token.inputs).toEqual([{ name: 'input_id', kind: 'multiArray', dtype: 'int32', shape: [1, 1] }]);
    expect(token.outputs).toEqual([{ name: 'embedding', kind: 'multiArray', dtype: 'fp16', shape: [1, 1, 64] }]);
    const prefill = info.functions[2]!;
    expect(prefill.inputs).toEqual([{ name: 'embeddings', kind: 'multiArray', dtype: 'fp16', shape: [1, 6, 64] }]);
    expect(prefill.outputs.map((o) => `${o.name}:${o.dtype}[${o.shape.join(',')}]`)).toEqual(['logits:fp32[1,128]', 'key_cache:fp16[2,2,16,16]', 'value_cache:fp16[2,2,16,16]']);
    const naive = milOpCounts(llmPath);
    for (const f of info.functions) {
      const counts = naive.get(f.name)!;
      expect(f.opCounts).toEqual(Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : 1))));
      let total = 0;
      for (const n of counts.values()) total += n;
      expect(f.consts).toBe(counts.get('const') ?? 0);
      expect(f.ops).toBe(total - f.consts);
    }
    expect(info.weights).toEqual(naiveWeightBin(join(llmPath, 'Data/com.apple.CoreML/weights/weight.bin')));
    expect(info.modelBytes).toBe(statSync(join(llmPath, 'Data/com.apple.CoreML/model.mlmodel')).size);
    expect(info.metadata.userDefined).toMatchObject({
      'fastvlm.model': 'tiny',
      'fastvlm.part': 'llm',
      'fastvlm.precision': 'fp16',
      'fastvlm.context_length': '16',
      'fastvlm.prefill_length': '6',
      'fastvlm.weights': 'synthetic (seed 0)',
    });
    expect(info.metadata.shortDescription).toBe('FastVLM tiny language model (Qwen2): embed (6 tokens), embed_token (1 token), prefill (6 tokens), decode (context 16), fp16');
  });

  it('prints the same facts as text', async () => {
    const r = await run(['inspect', visionPath]);
    expect(r.code).toBe(0);
    const wb = naiveWeightBin(join(visionPath, 'Data/com.apple.CoreML/weights/weight.bin'));
    const counts = milOpCounts(visionPath).get('main')!;
    expect(r.stdout.split('\n')[0]).toBe(visionPath);
    expect(r.stdout).toMatch(/^ {2}specification version +9 \(iOS18, target ios18\)$/m);
    expect(r.stdout).toMatch(/^ {2}functions +main$/m);
    expect(r.stdout).toMatch(new RegExp(`^ {2}weights +${wb.dataBytes.toLocaleString('en-US')} bytes in ${wb.blobs} blobs; weight\\.bin ${wb.fileBytes.toLocaleString('en-US')} bytes`, 'm'));
    expect(r.stdout).toMatch(/^ {2}input +images +image RGB 128x128$/m);
    expect(r.stdout).toMatch(/^ {2}output +image_features +fp16\[1,4,64\]$/m);
    expect(r.stdout).toMatch(new RegExp(`^ {2}conv +${counts.get('conv')}$`, 'm'));
    expect(r.stdout).toMatch(/^ {4}fastvlm\.resolution +128$/m);
  });
});

/** Qwen2 parameters, naively: embedding, per layer q/k/v (with bias), o, gated MLP, two norms; final norm; lm_head. */
function qwen2Params(H: number, layers: number, heads: number, kvHeads: number, headDim: number, mlp: number, vocab: number): number {
  const q = H * heads * headDim + heads * headDim;
  const kv = 2 * (H * kvHeads * headDim + kvHeads * headDim);
  const o = heads * headDim * H;
  const ffn = 3 * H * mlp;
  return vocab * H + layers * (q + kv + o + ffn + 2 * H) + H + vocab * H;
}

describe('inspect a model name', () => {
  it('fastvlm-0.5b: published parameter counts and the function signatures', async () => {
    const r = await run(['inspect', 'fastvlm-0.5b', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as { parameters: Record<string, number>; functions: { part: string; function: string; inputs: { name: string; type: string }[]; outputs: { name: string; type: string }[] }[] };
    const llm = qwen2Params(896, 24, 14, 2, 64, 4864, 151936);
    expect(info.parameters).toEqual({
      visionWithClipHead: 125_073_504,
      vision: 122_714_208,
      projector: 3072 * 896 + 896 + 896 * 896 + 896,
      llm,
      total: 122_714_208 + 3_557_120 + llm,
      buffers: info.parameters['buffers'],
    });
    expect(info.parameters['projector']).toBe(3_557_120);
    const sig = info.functions.map((f) => `${f.part}/${f.function}(${f.inputs.map((i) => `${i.name}: ${i.type}`).join(', ')}) -> ${f.outputs.map((o) => `${o.name}: ${o.type}`).join(', ')}`);
    expect(sig).toEqual([
      'vision/vision(images: image RGB 1024x1024) -> image_features: fp16[1,256,896]',
      'llm/embed(input_ids: int32[1,512]) -> embeddings: fp16[1,512,896]',
      'llm/embed_token(input_id: int32[1,1]) -> embedding: fp16[1,1,896]',
      'llm/prefill(embeddings: fp16[1,512,896]) -> logits: fp32[1,151936], key_cache: fp16[24,2,1024,64], value_cache: fp16[24,2,1024,64]',
      'llm/decode(embedding: fp16[1,1,896], position: int32[1], key_cache: fp16[24,2,1024,64], value_cache: fp16[24,2,1024,64]) -> logits: fp32[1,151936], key_cache_out: fp16[24,2,1024,64], value_cache_out: fp16[24,2,1024,64]',
    ]);
  });

  it('prints the counts as a table and follows --resolution, --context-length and --target', async () => {
    const r = await run(['inspect', 'tiny', '--resolution', '192', '--context-length', '32', '--prefill-length', '8', '--target', 'ios15']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^llm \\(Qwen2\\) +${qwen2Params(64, 2, 4, 2, 16, 96, 128).toLocaleString('en-US')} `, 'm'));
    expect(r.stdout).toMatch(/^vision \(FastViTHD\) +[\d,]+ +[\d.]+ M +with the unused CLIP head$/m);
    expect(r.stdout).toContain('Functions at resolution 192 (9 image tokens), context 32, prefill 8, fp16, ios15:');
    expect(r.stdout).toContain('  vision/vision(images: image RGB 192x192)\n      -> image_features: fp32[1,9,64]\n');
    const tensorForm = await run(['inspect', 'tiny', '--resolution', '192', '--image-input', 'tensor']);
    expect(tensorForm.stdout).toContain('  vision/vision(images: fp32[1,3,192,192])\n');
    expect(r.stdout).toContain('  llm/prefill(embeddings: fp32[1,8,64])\n      -> logits: fp32[1,128], key_cache: fp32[2,2,32,16], value_cache: fp32[2,2,32,16]\n');
  });
});
