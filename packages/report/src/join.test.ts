import { describe, expect, it } from 'vitest';
import { type AneBenchResult, type PlanOp, analyzeProgram } from '@fastvlm/ane-passes';
import { graph } from '@fastvlm/graph';
import { joinMeasurement, rankCorrelation } from './join.js';

function program() {
  const g = graph({ seed: 1 });
  const f = g.function('main');
  const x = f.input('x', 'fp16', [1, 64, 1, 64]);
  const w1 = f.param('a.weight', 'fp16', [128, 64, 1, 1]);
  const w2 = f.param('b.weight', 'fp16', [64, 128, 1, 1]);
  f.output(f.conv2d(f.relu(f.conv2d(x, w1).named('up')).named('act'), w2).named('down'));
  return g.build();
}

function result(ops: PlanOp[], fn: string | null = null): AneBenchResult {
  const lat = { median: 2, p90: 3, mean: 2.1, min: 1.9, max: 3 };
  return {
    schema: 'fastvlm.ane-bench/1',
    package: { path: 'm.mlpackage', sha256: 'x', function: fn },
    machine: { model: 'Mac15,3', chip: 'Apple M3', os: '15', cpuCores: 8, memoryBytes: 1 },
    options: { runs: 3, warmup: 0, seed: 0, computeUnits: ['cpuOnly', 'all'] },
    compileMs: 1,
    runs: [
      { computeUnits: 'cpuOnly', loadMs: 1, firstPredictionMs: 1, latencyMs: { ...lat, median: 20 }, samplesMs: [20], thermal: { nominal: 1, fair: 0, serious: 0, critical: 0 } },
      { computeUnits: 'all', loadMs: 1, firstPredictionMs: 1, latencyMs: lat, samplesMs: [2], thermal: { nominal: 1, fair: 0, serious: 0, critical: 0 } },
    ],
    computePlan: { computeUnits: 'all', functions: { main: ops } },
    speedups: { allVsCpuOnly: 10, aneVsCpuOnly: null },
    power: null,
  };
}

describe('joinMeasurement', () => {
  it('matches ops by output name: latency ratio, placement agreement, cost shares', () => {
    const analysis = analyzeProgram(program(), { device: 'm3' });
    const f = analysis.functions['main']!;
    const lat = (n: string) => f.ops.find((o) => o.name === n)!.latency_ms;
    const plan: PlanOp[] = [
      { operator: 'const', outputs: ['a.weight'], preferred: 'cpu', supported: ['cpu'], cost: null },
      { operator: 'conv', outputs: ['up'], preferred: 'ane', supported: ['ane', 'cpu'], cost: 0.5 },
      { operator: 'relu', outputs: ['act'], preferred: 'gpu', supported: ['gpu'], cost: 0.1 },
      { operator: 'conv', outputs: ['down'], preferred: 'ane', supported: ['ane'], cost: 0.4 },
      { operator: 'cast', outputs: ['not_ours'], preferred: 'ane', supported: ['ane'], cost: 0.2 },
    ];
    const j = joinMeasurement(analysis, result(plan))['main']!;
    expect(j.compute_units).toBe('all');
    expect(j.measured_median_ms).toBe(2);
    expect(j.modeled_ms).toBe(f.latency_ms);
    expect(j.ratio).toBeCloseTo(2 / f.latency_ms, 12);
    expect(j.placement_matched).toBe(3);
    // The model puts relu on the ANE; the plan says GPU.
    expect(j.placement_agree).toBe(2);
    expect(j.disagreements).toEqual([{ op: 'act', modeled: 'ane', measured: 'gpu' }]);
    expect(j.shares.map((s) => [s.op, s.plan_share])).toEqual([['up', 0.5], ['down', 0.4], ['act', 0.1]]);
    const total = lat('up') + lat('down') + lat('act');
    expect(j.shares[0]!.modeled_share).toBeCloseTo(lat('up') / total, 12);
    expect(j.shares.reduce((s, x) => s + x.modeled_share, 0)).toBeCloseTo(1, 12);
  });

  it('is empty for a function it cannot tell, and ranks correlations like Spearman', () => {
    const analysis = analyzeProgram(program(), { device: 'm3' });
    expect(joinMeasurement(analysis, result([], 'decode'))).toEqual({});
    expect(rankCorrelation([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(rankCorrelation([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // Ties take average ranks: x ranks 0.5,0.5,2 ; y ranks 0,1,2 -> r = 0.866...
    expect(rankCorrelation([5, 5, 9], [1, 2, 3])).toBeCloseTo(Math.sqrt(3) / 2, 12);
    expect(rankCorrelation([1, 2], [1, 2])).toBeNull();
    expect(rankCorrelation([1, 1, 1], [1, 2, 3])).toBeNull();
  });
});
