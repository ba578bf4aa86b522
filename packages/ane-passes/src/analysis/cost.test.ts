import { describe, expect, it } from 'vitest';
import { COST_MODEL, costParameters, deviceIds, deviceModel, resolveDeviceId, validateCostModel } from './devices.js';
import { parseProgram } from '@fastvlm/graph';
import { analyzeProgram } from './analyze.js';
import { TEST_MODEL, analyzeText, main } from './test-support.js';

// The test chip (test-support.ts): 1e12 fp16 MAC/s, 1e10 B/s DRAM, 1 MiB working set, on-chip
// x4, dense 0.5, vector 0.01, 2 us per op, 100 us per dispatch; GPU 1e12 flop/s at 0.5, 10 us per op.
const US = 1e-3; // one microsecond in ms

describe('cost model: hand-computed latencies on the test chip', () => {
  it('a pointwise conv: compute-bound, plus the op overhead and one dispatch', () => {
    const r = analyzeText(
      main('%x: fp16[1,64,1,1024]', '%w = const() {dtype="fp16", shape=[128,64,1,1], weight="w"} : fp16[128,64,1,1]\n%y = conv2d(x=%x, weight=%w) : fp16[1,128,1,1024]'),
    );
    const f = r.functions['main']!;
    const op = f.ops[0]!;
    // MACs 128 * 1024 * 64; compute = MACs / (1e12 * 0.5).
    expect(op.macs).toBe(8_388_608);
    expect(op.compute_ms).toBeCloseTo((8_388_608 / 5e11) * 1e3, 12);
    // Activations 64*2048 + 128*2048 bytes (on chip: 393,216 <= 1 MiB, at 4e10 B/s); weights 16,384 B,
    // resident (the function's weights fit the 1 MiB working set), also at 4e10.
    expect(op.activation_bytes).toBe(393_216);
    expect(op.weight_bytes).toBe(16_384);
    expect(f.weights_resident).toBe(true);
    expect(op.memory_ms).toBeCloseTo((393_216 / 4e10 + 16_384 / 4e10) * 1e3, 12);
    expect(op.bound).toBe('compute');
    expect(op.latency_ms).toBeCloseTo(op.compute_ms + 2 * US, 12);
    expect(f.latency_ms).toBeCloseTo(op.latency_ms + 100 * US, 12);
    expect(f.segments).toBe(1);
    expect(f.ane_fraction).toBe(1);
    // Roofline: max(MACs at the peak, weights at the bandwidth).
    expect(f.roofline_ms).toBeCloseTo((8_388_608 / 1e12) * 1e3, 12);
  });

  it('the last axis is padded to 64 bytes: a 1-wide fp16 axis costs 32x its bytes', () => {
    const narrow = analyzeText(main('%x: fp16[1,64,32,1]', '%y = relu(x=%x) : fp16[1,64,32,1]')).functions['main']!.ops[0]!;
    const wide = analyzeText(main('%x: fp16[1,64,1,32]', '%y = relu(x=%x) : fp16[1,64,1,32]')).functions['main']!.ops[0]!;
    // Same 2048 elements: 64*32 rows of 64 padded bytes, against 64 rows of 64 bytes, in and out.
    expect(narrow.activation_bytes).toBe(2 * 64 * 32 * 64);
    expect(wide.activation_bytes).toBe(2 * 64 * 64);
  });

  it('activations beyond the working set stream at the DRAM bandwidth', () => {
    // 1024 x 1024 fp16 in and out = 4 MiB > 1 MiB: memory = 4 MiB / 1e10; element work 1M / (1e12 * 0.01).
    const op = analyzeText(main('%x: fp16[1,1024,1,1024]', '%y = relu(x=%x) : fp16[1,1024,1,1024]')).functions['main']!.ops[0]!;
    expect(op.memory_ms).toBeCloseTo(((4 * 1024 * 1024) / 1e10) * 1e3, 12);
    expect(op.compute_ms).toBeCloseTo((1_048_576 / 1e10) * 1e3, 12);
    expect(op.bound).toBe('memory');
  });

  it('weights beyond the working set stream from DRAM on every prediction', () => {
    // 1024 x 1024 fp16 = 2 MiB of weights > 1 MiB: not resident, read at 1e10 B/s; one token of activations.
    const f = analyzeText(main('%x: fp16[1,1,1024]', '%w = const() {dtype="fp16", shape=[1024,1024], weight="w"} : fp16[1024,1024]\n%y = linear(x=%x, weight=%w) : fp16[1,1,1024]')).functions['main']!;
    const op = f.ops[0]!;
    expect(f.weights_resident).toBe(false);
    expect(op.memory_ms).toBeCloseTo((2 * 1024 * 1024 / 1e10 + 4096 / 4e10) * 1e3, 12);
    expect(op.bound).toBe('memory');
  });

  it('an activation or elementwise op after a conv runs in its pipeline: no overhead, only its other inputs move', () => {
    const t = 'fp16[1,64,1,1024]';
    const f = analyzeText(
      main(
        `%x: ${t}`,
        `%w = const() {dtype="fp16", shape=[64,64,1,1], weight="w"} : fp16[64,64,1,1]
         %c = conv2d(x=%x, weight=%w) : ${t}
         %r = relu(x=%c) : ${t}
         %y = add(x=%r, y=%x) : ${t}`,
      ),
    ).functions['main']!;
    const [c, r, y] = f.ops;
    expect([c!.fused_into, r!.fused_into, y!.fused_into]).toEqual([null, 'c', 'c']);
    // relu: 65,536 element ops at 1e12 * 0.01, no bytes, no overhead.
    expect(r!.activation_bytes).toBe(0);
    expect(r!.overhead_ms).toBe(0);
    expect(r!.latency_ms).toBeCloseTo((65_536 / 1e10) * 1e3, 12);
    // The residual add reads %x (131,072 bytes, on chip at 4e10 B/s).
    expect(y!.activation_bytes).toBe(131_072);
    expect(y!.latency_ms).toBeCloseTo(Math.max(65_536 / 1e10, 131_072 / 4e10) * 1e3, 12);
    // An elementwise op on a function input has no pipeline to join.
    const alone = analyzeText(main(`%x: ${t}`, `%y = relu(x=%x) : ${t}`)).functions['main']!.ops[0]!;
    expect(alone.fused_into).toBeNull();
    expect(alone.overhead_ms).toBeCloseTo(2 * US, 12);
  });

  it('a depthwise conv costs outputs x taps^e: e = 1 counts its MACs, e = 0 its outputs alone', () => {
    const dw = (k: number): string =>
      main('%x: fp16[1,64,32,32]', `%w = const() {dtype="fp16", shape=[64,1,${k},${k}], weight="w"} : fp16[64,1,${k},${k}]\n%y = conv2d(x=%x, weight=%w) {groups=64, pad_type="same"} : fp16[1,64,32,32]`);
    const outputs = 64 * 32 * 32;
    const at = (e: number, k: number): number => {
      const model = JSON.parse(JSON.stringify(TEST_MODEL)) as { fitted: { depthwiseTapExponent: { value: number } } };
      model.fitted.depthwiseTapExponent.value = e;
      return analyzeProgram(parseProgram(dw(k)), { device: 'testchip', costModel: validateCostModel(model) }).functions['main']!.ops[0]!.compute_ms;
    };
    // Depthwise efficiency 0.1 of 1e12 MAC/s.
    expect(at(1, 7)).toBeCloseTo(((outputs * 49) / 1e11) * 1e3, 12);
    expect(at(1, 3)).toBeCloseTo(((outputs * 9) / 1e11) * 1e3, 12);
    expect(at(0, 7)).toBeCloseTo((outputs / 1e11) * 1e3, 12);
    expect(at(0, 3)).toBeCloseTo(at(0, 7), 12);
    expect(at(0.5, 7)).toBeCloseTo(((outputs * 7) / 1e11) * 1e3, 12);
  });

  it('a fallback op moves its bytes unpadded (the 64-byte rows are the ANE\'s)', () => {
    const op = analyzeText(main('%x: fp32[1,64,32,1]', '%y = relu(x=%x) : fp32[1,64,32,1]')).functions['main']!.ops[0]!;
    expect(op.unit).toBe('gpu');
    // 2048 fp32 in and out, dense: 16,384 bytes at 1e10 B/s (on the ANE it would be 2 x 2048 rows of 64 bytes).
    expect(op.activation_bytes).toBe(2 * 2048 * 4);
    expect(op.memory_ms).toBeCloseTo((16_384 / 1e10) * 1e3, 12);
  });

  it('a slice reads only the region it selects', () => {
    // [1,64,1,4096] -> [1,64,1,64]: 64 rows of 128 bytes read and written, not the 512 kB input.
    const op = analyzeText(main('%x: fp16[1,64,1,4096]', '%y = slice(x=%x) {begin=[0,0,0,0], end=[1,64,1,64]} : fp16[1,64,1,64]')).functions['main']!.ops[0]!;
    expect(op.activation_bytes).toBe(2 * 64 * 128);
  });

  it('an fp32 op falls back to the GPU profile', () => {
    const r = analyzeText(
      main('%x: fp32[1,64,1,1024]', '%w = const() {dtype="fp32", shape=[128,64,1,1], weight="w"} : fp32[128,64,1,1]\n%y = conv2d(x=%x, weight=%w) : fp32[1,128,1,1024]'),
    );
    const op = r.functions['main']!.ops[0]!;
    expect(op).toMatchObject({ unit: 'gpu', fallback_rule: 'fp32-compute' });
    // 2 * MACs at 1e12 * 0.5 flop/s; (activations 786,432 + weights 32,768) bytes at 1e10.
    expect(op.compute_ms).toBeCloseTo(((2 * 8_388_608) / 5e11) * 1e3, 12);
    expect(op.memory_ms).toBeCloseTo(((786_432 + 32_768) / 1e10) * 1e3, 12);
    expect(op.latency_ms).toBeCloseTo(op.memory_ms + 10 * US, 12);
    expect(r.functions['main']!.ane_fraction).toBe(0);
  });

  it('views that keep the last axis are free; a transpose moves every byte', () => {
    const r = analyzeText(
      main(
        '%x: fp16[1,64,8,32]',
        `%a = reshape(x=%x) {shape=[1,512,1,32]} : fp16[1,512,1,32]
         %y = transpose(x=%a) {perm=[0,3,2,1]} : fp16[1,32,1,512]`,
      ),
    );
    const [view, tr] = r.functions['main']!.ops;
    expect(view).toMatchObject({ latency_ms: 0, activation_bytes: 0, bound: 'none' });
    expect(tr!.activation_bytes).toBe(2 * 512 * 64);
  });

  it('compressed weights stream at their stored size', () => {
    const lut = Array.from({ length: 16 }, (_, i) => i / 16).join(',');
    const r = analyzeText(
      main(
        '%x: fp16[1,1024]',
        `%lut = const() {dtype="fp16", shape=[1,1,16,1], value=[${lut}]} : fp16[1,1,16,1]
         %idx = const() {dtype="uint4", shape=[4096,1024], weight="idx"} : uint4[4096,1024]
         %w = lut_dequantize(lut=%lut, indices=%idx) : fp16[4096,1024]
         %y = linear(x=%x, weight=%w) : fp16[1,4096]`,
      ),
    );
    const f = r.functions['main']!;
    // The dequantization is a load-time constant; the linear reads 4096*1024/2 index bytes + 32 table bytes.
    expect(f.ops.map((o) => [o.kind, o.unit])).toEqual([['lut_dequantize', 'const'], ['linear', 'ane']]);
    expect(f.ops[1]!.weight_bytes).toBe((4096 * 1024) / 2 + 32);
    expect(r.weight_file_bytes).toBe((4096 * 1024) / 2 + 32);
  });
});

describe('placement and segments', () => {
  it('a GPU island cuts a function into three segments; boundary bytes and transfers are counted', () => {
    const r = analyzeText(
      main(
        '%x: fp16[1,64,1,64]',
        `%a = relu(x=%x) : fp16[1,64,1,64]
         %b = cast(x=%a) {dtype="fp32"} : fp32[1,64,1,64]
         %c = relu(x=%b) : fp32[1,64,1,64]
         %d = cast(x=%c) {dtype="fp16"} : fp16[1,64,1,64]
         %y = relu(x=%d) : fp16[1,64,1,64]`,
      ),
    );
    const f = r.functions['main']!;
    expect(f.ops.map((o) => `${o.name}:${o.unit}:${o.segment}`)).toEqual(['a:ane:0', 'b:gpu:1', 'c:gpu:1', 'd:gpu:1', 'y:ane:2']);
    expect(f.segment_list.map((s) => [s.unit, s.ops, s.input_bytes, s.output_bytes])).toEqual([
      ['ane', 1, 0, 8192],
      ['gpu', 3, 8192, 8192],
      ['ane', 1, 8192, 0],
    ]);
    expect(f.boundary_bytes).toBe(16_384);
    // Two extra dispatches of 100 us and 16,384 bytes at 1e10 B/s.
    expect(f.transfer_ms).toBeCloseTo(2 * 100 * US + (16_384 / 1e10) * 1e3, 12);
    const opsMs = f.ops.reduce((s, o) => s + o.latency_ms, 0);
    expect(f.latency_ms).toBeCloseTo(100 * US + opsMs + f.transfer_ms, 12);
    expect(f.ane_op_fraction).toBeCloseTo(2 / 5, 12);
  });

  it('work independent of a CPU prologue joins the segment after it (two segments, not three)', () => {
    const r = analyzeText(
      main(
        '%x: fp16[1,64,1,64], %p: int32[1,1,1,64]',
        `%a = relu(x=%x) : fp16[1,64,1,64]
         %q = cast(x=%p) {dtype="fp16"} : fp16[1,1,1,64]
         %y = add(x=%a, y=%q) : fp16[1,64,1,64]`,
      ),
    );
    const f = r.functions['main']!;
    expect(f.ops.map((o) => `${o.name}:${o.unit}:${o.segment}`)).toEqual(['a:ane:1', 'q:cpu:0', 'y:ane:1']);
    expect(f.segments).toBe(2);
    expect(f.boundary_bytes).toBe(128);
  });

  it('ops on constants only are evaluated at load time and cost nothing', () => {
    const r = analyzeText(
      main(
        '%x: fp16[1,1,32,32]',
        `%m = fill() {shape=[32,32], value=-10000, dtype="fp16"} : fp16[32,32]
         %b = band_part(x=%m) {upper=0} : fp16[32,32]
         %y = add(x=%x, y=%b) : fp16[1,1,32,32]`,
      ),
    );
    const f = r.functions['main']!;
    expect(f.ops.map((o) => `${o.name}:${o.unit}`)).toEqual(['m:const', 'b:const', 'y:ane']);
    expect(f.ops[0]!.latency_ms + f.ops[1]!.latency_ms).toBe(0);
    // The folded mask is read as a weight: 32 * 32 fp16.
    expect(f.ops[2]!.weight_bytes).toBe(2048);
  });

  it('name scopes come from value names, and from the weights for names a pass made up', () => {
    const r = analyzeText(
      main(
        '%x: fp16[1,64,1,32]',
        `%model.layers.3.self_attn.q_proj.weight.conv = const() {dtype="fp16", shape=[64,64,1,1], weight="model.layers.3.self_attn.q_proj.weight.conv"} : fp16[64,64,1,1]
         %conv2d_7 = conv2d(x=%x, weight=%model.layers.3.self_attn.q_proj.weight.conv) : fp16[1,64,1,32]
         %model.layers.3.self_attn.matmul_4.q2 = relu(x=%conv2d_7) : fp16[1,64,1,32]
         %relu_9 = relu(x=%model.layers.3.self_attn.matmul_4.q2) : fp16[1,64,1,32]
         %y = relu(x=%relu_9) : fp16[1,64,1,32]`,
      ),
    );
    expect(r.functions['main']!.ops.map((o) => o.scope)).toEqual(['model.layers.3.self_attn.q_proj', 'model.layers.3.self_attn', 'model.layers.3.self_attn', 'model.layers.3.self_attn']);
  });
});

describe('device profiles', () => {
  it('has every profile the issue names, and resolves aliases', () => {
    for (const id of ['a14', 'a15', 'a16', 'a17pro', 'a18', 'm1', 'm2', 'm3', 'm3max', 'm4', 'm4max']) expect(deviceIds()).toContain(id);
    expect(resolveDeviceId('iphone12pro')).toBe('a14');
    expect(resolveDeviceId('iPhone15Pro')).toBe('a17pro');
    expect(resolveDeviceId('M4 Max')).toBe('m4max');
  });

  it('an int8-rated chip runs fp16 at half its published figure', () => {
    // A17 Pro: 35 TOPS int8 -> 8.75e12 fp16 MAC/s; A16: 17 TOPS fp16 -> 8.5e12.
    expect(deviceModel('a17pro').macPerSecond).toBeCloseTo(8.75e12, 0);
    expect(deviceModel('a16').macPerSecond).toBeCloseTo(8.5e12, 0);
  });

  it('every figure of the committed file has a provenance, fitted values lie in their bounds', () => {
    expect(() => validateCostModel(COST_MODEL)).not.toThrow();
    const p = costParameters();
    for (const [k, v] of Object.entries(p)) expect(Number.isFinite(v), k).toBe(true);
    const broken = JSON.parse(JSON.stringify(COST_MODEL)) as { devices: Record<string, { bandwidthGBps: { provenance?: string } }> };
    delete broken.devices['a14']!.bandwidthGBps.provenance;
    expect(() => validateCostModel(broken)).toThrow(/E_ANALYSIS_DATA.*devices\.a14\.bandwidthGBps\.provenance/);
    const outOfBounds = JSON.parse(JSON.stringify(TEST_MODEL)) as { fitted: { opOverheadUs: { value: number } } };
    outOfBounds.fitted.opOverheadUs.value = 1000;
    expect(() => validateCostModel(outOfBounds)).toThrow(/E_ANALYSIS_DATA.*fitted\.opOverheadUs/);
  });
});
