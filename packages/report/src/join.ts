/**
 * An on-device measurement (tools/ane-bench) next to the model: per function, the measured and
 * modeled latency, how many ops the compute plan places where the model does, and the compute
 * plan's cost shares next to the model's shares of time. Ops are matched by their first output's
 * name, which lowering keeps (analyze the lifted package that was measured). Compute-plan costs
 * are relative estimates, not latencies: only shares are compared.
 * @module
 */
import { type AnalysisReport, type AneBenchResult, type PlanOp, spearman } from '@fastvlm/ane-passes';
import type { PageMeasurement } from './page-data.js';

/**
 * Spearman's rank correlation (`spearman` of @fastvlm/ane-passes, ties averaged); null for fewer
 * than 3 pairs or no spread, where a correlation says nothing.
 */
export function rankCorrelation(xs: readonly number[], ys: readonly number[]): number | null {
  if (xs.length < 3 || new Set(xs).size < 2 || new Set(ys).size < 2) return null;
  return spearman(xs, ys);
}

/**
 * The measurement of `result` joined with `analysis`, keyed by function name. The measured
 * function is `package.function` of the result, or the analysis's only function; its latency is
 * the run on `all` compute units (else the first run). Functions without a measurement are left
 * out.
 */
export function joinMeasurement(analysis: AnalysisReport, result: AneBenchResult, topOps = 15): Record<string, PageMeasurement> {
  const names = Object.keys(analysis.functions);
  const fn = result.package.function ?? (names.length === 1 ? names[0]! : undefined);
  if (fn === undefined || !analysis.functions[fn]) return {};
  const f = analysis.functions[fn]!;
  const run = result.runs.find((r) => r.computeUnits === 'all') ?? result.runs[0];
  if (!run) return {};
  const planOps: readonly PlanOp[] = result.computePlan?.functions[fn] ?? (names.length === 1 ? Object.values(result.computePlan?.functions ?? {})[0] ?? [] : []);
  const byName = new Map(f.ops.filter((o) => o.unit !== 'const').map((o) => [o.name, o]));
  const matched: { op: string; kind: string; modeled: string; measured: string | null; cost: number | null; latency: number }[] = [];
  for (const p of planOps) {
    if (p.operator === 'const') continue;
    const ours = p.outputs.map((o) => byName.get(o)).find((o) => o !== undefined);
    if (ours) matched.push({ op: ours.name, kind: p.operator, modeled: ours.unit, measured: p.preferred, cost: p.cost, latency: ours.latency_ms });
  }
  const withCost = matched.filter((m) => m.cost !== null);
  const costSum = withCost.reduce((s, m) => s + m.cost!, 0);
  const latSum = withCost.reduce((s, m) => s + m.latency, 0);
  const shares = withCost
    .map((m) => ({ op: m.op, kind: m.kind, plan_share: costSum > 0 ? m.cost! / costSum : 0, modeled_share: latSum > 0 ? m.latency / latSum : 0 }))
    .sort((a, b) => b.plan_share - a.plan_share || (a.op < b.op ? -1 : 1));
  const agree = matched.filter((m) => m.measured === m.modeled);
  return {
    [fn]: {
      compute_units: run.computeUnits,
      measured_median_ms: run.latencyMs.median,
      measured_p90_ms: run.latencyMs.p90,
      modeled_ms: f.latency_ms,
      ratio: f.latency_ms > 0 ? run.latencyMs.median / f.latency_ms : 0,
      placement_matched: matched.length,
      placement_agree: agree.length,
      disagreements: matched.filter((m) => m.measured !== m.modeled).map((m) => ({ op: m.op, modeled: m.modeled, measured: m.measured ?? 'unknown' })),
      share_rank_correlation: rankCorrelation(shares.map((s) => s.plan_share), shares.map((s) => s.modeled_share)),
      shares: shares.slice(0, topOps),
    },
  };
}
