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
