import { describe, expect, it } from 'vitest';
import type { OpReport } from '@fastvlm/ane-passes';
import { scopeTree } from './page-data.js';

const op = (name: string, scope: string, ms: number, unit: OpReport['unit'] = 'ane'): OpReport =>
  ({ name, kind: 'conv2d', scope, cost_class: 'conv.pointwise', unit, fallback_rule: null, segment: 0, output: 'fp16[1]', macs: 0, activation_bytes: 0, weight_bytes: 0, compute_ms: 0, memory_ms: 0, overhead_ms: 0, latency_ms: ms, bound: 'overhead' }) as OpReport;

describe('scopeTree', () => {
  it('sums times up the scopes, collapses single-child chains and lists the costliest first', () => {
    const t = scopeTree('f', [op('a', 'model.layers.0.attn', 1), op('b', 'model.layers.0.mlp', 3), op('c', 'model.layers.1.mlp', 2), op('d', '', 0.5), op('k', 'model.layers.1.mlp', 9, 'const')]);
    expect(t.latency_ms).toBe(6.5);
    expect(t.ops).toBe(4);
    // model -> layers is a chain of one child: one node.
    expect(t.children!.map((c) => [c.name, c.latency_ms])).toEqual([['model.layers', 6], ['d', 0.5]]);
    const layers = t.children![0]!;
    expect(layers.path).toBe('model.layers');
    expect(layers.children!.map((c) => [c.name, c.path, c.latency_ms])).toEqual([['0', 'model.layers.0', 4], ['1.mlp', 'model.layers.1.mlp', 2]]);
    expect(layers.children![0]!.children!.map((c) => c.name)).toEqual(['mlp', 'attn']);
    expect(layers.children![1]!.children![0]).toEqual({ name: 'c', path: 'c', latency_ms: 2, ops: 1, op: { kind: 'conv2d', unit: 'ane', cost_class: 'conv.pointwise', bound: 'overhead' } });
  });
});

describe('reportPage before/after', () => {
  it('without the compile statistics, counts the ops of the analyses before and after', async () => {
    const { reportPage, passSideOf } = await import('./page-data.js');
    const { calibrationOf } = await import('./calibration.js');
    const fn = (ops: OpReport[], ms: number) => ({ latency_ms: ms, ane_fraction: 1, ane_op_fraction: 1, segments: 1, roofline_ms: 0, boundary_bytes: 0, transfer_ms: 0, dispatch_ms: 0, weight_bytes: 0, macs: 0, segment_list: [], findings: [], ops });
    const kinds = (ks: string[]): OpReport[] => ks.map((k, i) => ({ ...op(`o${i}`, '', 1), kind: k }) as OpReport);
    const before = kinds(['const', 'transpose', 'transpose', 'reshape', 'conv2d', 'add']);
    const after = kinds(['const', 'reshape', 'conv2d']);
    expect(passSideOf(fn(before, 6) as never)).toEqual({ ops: 5, transposes: 2, reshapes: 1 });
    const analysis = (ops: OpReport[], ms: number) => ({ device: 'a17pro', device_name: 'A17 Pro', latency_ms: ms, functions: { main: fn(ops, ms) }, findings: [], weight_file_bytes: 0 }) as never;
    const page = reportPage({ title: 't', analysis: analysis(after, 2), before: analysis(before, 6), latencyNote: '', calibration: calibrationOf() });
    expect(page.functions[0]!.passes).toEqual({ before: { ops: 5, transposes: 2, reshapes: 1, latency_ms: 6 }, after: { ops: 2, transposes: 0, reshapes: 1, latency_ms: 2 } });
    // No before analysis and no statistics: no before/after section.
    expect(reportPage({ title: 't', analysis: analysis(after, 2), latencyNote: '', calibration: calibrationOf() }).functions[0]!.passes).toBeNull();
  });
});
