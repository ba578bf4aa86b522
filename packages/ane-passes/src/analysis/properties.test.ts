import fc from 'fast-check';
import { type Program, parseProgram } from '@fastvlm/graph';
import { describe, expect, it } from 'vitest';
import { arbProgram } from '../../../graph/src/testing/random-graph.js';
import { analyzeProgram } from './analyze.js';
import { deviceIds } from './devices.js';
import { TEST_MODEL, main } from './test-support.js';

/** One layer of a small (B, C, 1, S) network; every kind keeps the shape. */
type Layer = 'pointwise' | 'depthwise' | 'relu' | 'softmax' | 'layer_norm' | 'residual';
const LAYERS: readonly Layer[] = ['pointwise', 'depthwise', 'relu', 'softmax', 'layer_norm', 'residual'];

/** A network of `layers` over fp16 [1, C, 1, S], in IR text. */
function network(layers: readonly Layer[], C: number, S: number): string {
  const t = `fp16[1,${C},1,${S}]`;
  const body: string[] = [];
  let cur = '%x';
  layers.forEach((l, i) => {
    const out = i === layers.length - 1 ? '%y' : `%h${i}`;
    switch (l) {
      case 'pointwise':
        body.push(`%w${i} = const() {dtype="fp16", shape=[${C},${C},1,1], weight="w${i}"} : fp16[${C},${C},1,1]`, `${out} = conv2d(x=${cur}, weight=%w${i}) : ${t}`);
        break;
      case 'depthwise':
        body.push(`%w${i} = const() {dtype="fp16", shape=[${C},1,1,3], weight="w${i}"} : fp16[${C},1,1,3]`, `${out} = conv2d(x=${cur}, weight=%w${i}) {groups=${C}, pad_type="same"} : ${t}`);
        break;
      case 'relu':
        body.push(`${out} = relu(x=${cur}) : ${t}`);
        break;
      case 'softmax':
        body.push(`${out} = softmax(x=${cur}) {axis=1} : ${t}`);
        break;
      case 'layer_norm':
        body.push(`${out} = layer_norm(x=${cur}) {axes=[1]} : ${t}`);
        break;
      case 'residual':
        body.push(`${out} = add(x=${cur}, y=%x) : ${t}`);
        break;
    }
    cur = out;
  });
  return main(`%x: ${t}`, body.join('\n'));
}

const arbLayers = fc.array(fc.constantFrom(...LAYERS), { minLength: 1, maxLength: 6 });
// Channels and tokens stay under the axis caps and keep the last axis >= 32 fp16 and 64-byte aligned,
// so every such network passes every rule; sizes are drawn as multiples of 32.
const arbSize = fc.integer({ min: 1, max: 64 }).map((k) => 32 * k);
const DEVICES = ['testchip', ...deviceIds()];

function latency(p: Program, device: string): number {
  return analyzeProgram(p, device === 'testchip' ? { device, costModel: TEST_MODEL } : { device }).functions['main']!.latency_ms;
}

describe('cost-model properties', () => {
  it('more channels or more tokens never model faster', () => {
    fc.assert(
      fc.property(arbLayers, arbSize, arbSize, arbSize, arbSize, fc.constantFrom(...DEVICES), (layers, c1, c2, s1, s2, device) => {
        const [cLo, cHi] = c1 <= c2 ? [c1, c2] : [c2, c1];
        const [sLo, sHi] = s1 <= s2 ? [s1, s2] : [s2, s1];
        const small = latency(parseProgram(network(layers, cLo, sLo)), device);
        expect(latency(parseProgram(network(layers, cHi, sLo)), device)).toBeGreaterThanOrEqual(small);
        expect(latency(parseProgram(network(layers, cLo, sHi)), device)).toBeGreaterThanOrEqual(small);
      }),
      { numRuns: 60 },
    );
  });

  it('a compressed weight never models slower than fp16, and faster when the op is weight-bound', () => {
    const nbitsOf = { uint4: 4, uint6: 6, uint8: 8 } as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 128 }).map((k) => 32 * k),
        fc.integer({ min: 1, max: 128 }).map((k) => 32 * k),
        fc.integer({ min: 1, max: 64 }),
        fc.constantFrom<keyof typeof nbitsOf>('uint4', 'uint6', 'uint8'),
        fc.constantFrom(...DEVICES),
        (inF, outF, tokens, idx, device) => {
          const x = `fp16[1,${tokens},${inF}]`;
          const y = `fp16[1,${tokens},${outF}]`;
          const dense = main(`%x: ${x}`, `%w = const() {dtype="fp16", shape=[${outF},${inF}], weight="w"} : fp16[${outF},${inF}]\n%y = linear(x=%x, weight=%w) : ${y}`);
          const entries = 2 ** nbitsOf[idx];
          const lut = Array.from({ length: entries }, (_, i) => i / entries).join(',');
          const compressed = main(
            `%x: ${x}`,
            `%lut = const() {dtype="fp16", shape=[1,1,${entries},1], value=[${lut}]} : fp16[1,1,${entries},1]
             %idx = const() {dtype="${idx}", shape=[${outF},${inF}], weight="idx"} : ${idx}[${outF},${inF}]
             %w = lut_dequantize(lut=%lut, indices=%idx) : fp16[${outF},${inF}]
             %y = linear(x=%x, weight=%w) : ${y}`,
          );
          const opts = device === 'testchip' ? { device, costModel: TEST_MODEL } : { device };
          const d = analyzeProgram(parseProgram(dense), opts).functions['main']!;
          const c = analyzeProgram(parseProgram(compressed), opts).functions['main']!;
          const dOp = d.ops.find((o) => o.kind === 'linear')!;
          const cOp = c.ops.find((o) => o.kind === 'linear')!;
          expect(cOp.weight_bytes).toBeLessThan(dOp.weight_bytes);
          expect(c.latency_ms).toBeLessThanOrEqual(d.latency_ms);
          // Weight-bound: the weight stream alone exceeds the compute time, so fewer bytes is faster.
          const weightMs = dOp.memory_ms * (dOp.weight_bytes / (dOp.weight_bytes + dOp.activation_bytes));
          if (weightMs > dOp.compute_ms && dOp.memory_ms > dOp.compute_ms * 1.01) expect(cOp.latency_ms).toBeLessThan(dOp.latency_ms);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('a network that passes every rule runs entirely on the ANE in one segment', () => {
    fc.assert(
      fc.property(arbLayers, arbSize, arbSize, fc.constantFrom(...DEVICES), (layers, C, S, device) => {
        const p = parseProgram(network(layers, C, S));
        const r = analyzeProgram(p, device === 'testchip' ? { device, costModel: TEST_MODEL } : { device });
        const f = r.functions['main']!;
        // 1024 x 2048 fp16 = 4 MiB operands are allowed by every rule but the info one; no other finding.
        expect(f.findings.filter((x) => x.rule !== 'live-operand-large')).toEqual([]);
        expect(f.ane_fraction).toBe(1);
        expect(f.ane_op_fraction).toBe(1);
        expect(f.segments).toBe(1);
      }),
      { numRuns: 60 },
    );
  });

  it('on random programs: an op error is exactly what takes ops off the ANE, and nothing crashes', () => {
    fc.assert(
      fc.property(arbProgram({ dtypes: ['fp16', 'fp32'], symbolic: true, maxOps: 12 }), (p) => {
        const r = analyzeProgram(p, { device: 'testchip', costModel: TEST_MODEL });
        for (const f of Object.values(r.functions)) {
          const executed = f.ops.filter((o) => o.unit !== 'const');
          const erroring = new Set(f.findings.filter((x) => x.severity === 'error').map((x) => x.op));
          for (const o of executed) {
            expect(o.unit === 'ane', `${o.name}: ${o.unit}`).toBe(!erroring.has(o.name));
            expect(Number.isFinite(o.latency_ms) && o.latency_ms >= 0).toBe(true);
          }
          if (erroring.size === 0) {
            expect(f.ane_op_fraction).toBe(1);
            expect(f.segments).toBeLessThanOrEqual(1);
          }
          expect(Number.isFinite(f.latency_ms)).toBe(true);
        }
      }),
      { numRuns: 150 },
    );
  });
});
