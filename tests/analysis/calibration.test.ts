import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  COST_MODEL,
  type CalibrationCase,
  FITTED_PARAMETERS,
  type FittedName,
  analyzeProgram,
  calibrationTable,
  fitCostModel,
  renderCostModel,
  spearman,
  validateCostModel,
} from '@fastvlm/ane-passes';
import { CALIBRATION_ROWS, calibrationCases, rowProgram } from '@fastvlm/compiler';
import { COST_MODEL_FILE, calibrate } from '../../scripts/calibrate.js';

const ROOT = join(__dirname, '..', '..');

let cases: CalibrationCase[];
beforeAll(() => {
  cases = calibrationCases();
});

describe('calibration (npm run calibrate)', () => {
  it('fits the rows C1-C16 of the reference notes and nothing else', () => {
    const ids = [...new Set(CALIBRATION_ROWS.map((r) => r.id))];
    expect(ids).toEqual(Array.from({ length: 16 }, (_, i) => `C${i + 1}`));
    expect(COST_MODEL.fit['rows']).toMatch(/^C1-C16 of ane-latency-calibration\.md and nothing else/);
  });

  it('the committed parameter file is what a fresh fit writes (run npm run calibrate when this fails)', () => {
    const { text } = calibrate(ROOT, cases);
    expect(readFileSync(join(ROOT, COST_MODEL_FILE), 'utf8')).toBe(text);
  });

  it('the fit is deterministic, cases built twice included', () => {
    const a = fitCostModel(cases, COST_MODEL);
    const b = fitCostModel(calibrationCases(CALIBRATION_ROWS.slice(0, 3)).concat(cases.slice(3)), COST_MODEL);
    expect(b).toEqual(a);
  });

  it('the fitter\'s fast path models exactly what analyzeProgram reports for each row', () => {
    const table = calibrationTable(cases, COST_MODEL);
    const seen = new Map<string, ReturnType<typeof rowProgram>>();
    CALIBRATION_ROWS.forEach((r, i) => {
      if (!seen.has(r.model)) seen.set(r.model, rowProgram(r));
      const report = analyzeProgram(seen.get(r.model)!, { device: r.device });
      // Two summation orders of the same terms: equal to a few ulps of a millisecond figure.
      expect(table.rows[i]!.modeled_ms).toBeCloseTo(report.latency_ms, 9);
    });
    // The committed table is the one the committed parameters give (4 significant digits).
    const committed = COST_MODEL.fit['table'] as { id: string; device: string; modeled_ms: number }[];
    expect(committed.map((r) => `${r.id}:${r.device}`)).toEqual(CALIBRATION_ROWS.map((r) => `${r.id}:${r.device}`));
    committed.forEach((r, i) => expect(Math.abs(r.modeled_ms / table.rows[i]!.modeled_ms - 1)).toBeLessThan(5e-4));
  });

  it('recovers the latencies of a known parameter set (synthetic measurements from the same model)', () => {
    // Truth inside every bound; the rows are re-timed under it and the fit starts from the file's start values.
    const truth: Record<FittedName, number> = {
      denseEfficiency: 0.4,
      depthwiseEfficiency: 0.01,
      depthwiseTapExponent: 0.5,
      vectorEfficiency: 0.05,
      onChipBandwidthFactor: 8,
      opOverheadUs: 3,
      dispatchUs: 120,
    };
    const synthetic = calibrationTable(cases, COST_MODEL, truth).rows.map((r, i) => ({ ...cases[i]!, measuredMs: r.modeled_ms }));
    const fit = fitCostModel(synthetic, COST_MODEL);
    // Rounding the fitted values to 3 digits moves a latency by well under 1 %.
    expect(fit.worst_abs_error).toBeLessThan(0.01);
    expect(fit.spearman).toBe(1);
    // The identifiable parameters come back close (the dispatch and dense efficiency are pinned by many rows).
    expect(fit.parameters.dispatchUs / truth.dispatchUs).toBeGreaterThan(0.9);
    expect(fit.parameters.dispatchUs / truth.dispatchUs).toBeLessThan(1.1);
    expect(fit.parameters.denseEfficiency / truth.denseEfficiency).toBeGreaterThan(0.8);
    expect(fit.parameters.denseEfficiency / truth.denseEfficiency).toBeLessThan(1.25);
  });

  it('keeps the fitted values inside their bounds and the hardware figures untouched', () => {
    const { data } = calibrate(ROOT, cases);
    for (const n of FITTED_PARAMETERS) {
      const p = data.fitted[n];
      expect(p.value).toBeGreaterThanOrEqual(p.min);
      expect(p.value).toBeLessThanOrEqual(p.max);
    }
    expect(data.devices).toEqual(COST_MODEL.devices);
    expect(data.priors).toEqual(COST_MODEL.priors);
    expect(() => validateCostModel(JSON.parse(renderCostModel(data)))).not.toThrow();
  });
});

describe('spearman', () => {
  it('is 1 for the same order, -1 for the reverse, and averages ties', () => {
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1);
    expect(spearman([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1);
    // Ranks [1, 2, 3] against [1.5, 1.5, 3]: Pearson of the ranks = 0.866...
    expect(spearman([1, 2, 3], [5, 5, 9])).toBeCloseTo(Math.sqrt(3) / 2, 12);
  });
});

describe('calibration to measurements (fastvlm calibrate --measured)', () => {
  it('builds a zoo model named by a result as its reference row is built, and fits it with the reference rows', async () => {
    const { mkdtempSync, readFileSync: read, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { calibrateMeasured } = await import('@fastvlm/compiler');
    const dir = mkdtempSync(join(tmpdir(), 'fastvlm-calibrate-'));
    try {
      // C14 again, as an ane-bench result of a ResNet50 package measured on an A17 Pro.
      const r = JSON.parse(read(join(ROOT, 'packages/ane-passes/test-data/ane-bench/result.json'), 'utf8'));
      r.package = { path: '/Users/me/resnet50.mlpackage', sha256: '0'.repeat(64), function: null };
      r.runs = [{ ...r.runs[0], latencyMs: { median: 1.38, p90: 1.4, mean: 1.38, min: 1.3, max: 1.4 } }];
      writeFileSync(join(dir, 'resnet50.json'), JSON.stringify(r));
      const c = calibrateMeasured(dir, { device: 'a17pro', referenceCases: cases });
      expect(c.measured.map((m) => [m.id, m.from, m.model, m.device, m.measuredMs])).toEqual([['M1', 'zoo', 'resnet50', 'a17pro', 1.38]]);
      expect(c.fit.rows.map((x) => x.id)).toEqual(['M1', ...CALIBRATION_ROWS.map((x) => x.id)]);
      const c14 = c.fit.rows.find((x) => x.id === 'C14')!;
      expect(c.fit.rows[0]!.modeled_ms).toBe(c14.modeled_ms);
      expect(c.after.rows[0]!.modeled_ms).toBeCloseTo(c14.modeled_ms, 12);
      // Before the refit, the row is C14 under the committed parameters.
      const committed = (COST_MODEL.fit['table'] as { id: string; device: string; modeled_ms: number }[]).find((x) => x.id === 'C14')!;
      expect(Math.abs(c.before.rows[0]!.modeled_ms / committed.modeled_ms - 1)).toBeLessThan(5e-4);
      expect(validateCostModel(JSON.parse(c.text)).fit['rows']).toMatch(/^1 measurement\(s\) of fastvlm-calibrate-\w+ \(M1 resnet50 on a17pro\) and C1-C16/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
