import { describe, expect, it } from 'vitest';
import { COST_MODEL, type CostModelData } from '@fastvlm/ane-passes';
import { calibrationOf } from './calibration.js';

describe('calibrationOf', () => {
  it("reads the committed fit record: its figures, and the rows of the page's device", () => {
    const c = calibrationOf(COST_MODEL, 'iphone15pro');
    expect(c.fitted).toBe(true);
    // C1-C16 with C16 twice (ane-latency-calibration.md).
    expect(c.rows).toBe(17);
    expect([c.median_error, c.worst_error, c.rank_correlation]).toEqual([COST_MODEL.fit['median_abs_error'], COST_MODEL.fit['worst_abs_error'], COST_MODEL.fit['spearman']]);
    // iphone15pro is the A17 Pro, where C14 (ResNet50) and C15 (OPT-1.3B) were measured.
    expect(c.device_rows.map((r) => [r.id, r.device, r.measured_ms])).toEqual([['C14', 'a17pro', 1.38], ['C15', 'a17pro', 92.15]]);
    expect(calibrationOf(COST_MODEL, 'm1').device_rows.map((r) => r.id)).toEqual(['C16']);
    expect(calibrationOf(COST_MODEL, 'a15').device_rows).toEqual([]);
    expect(calibrationOf(COST_MODEL).device_rows).toEqual([]);
  });

  it('a file without a fit record is not calibrated, whatever else it holds', () => {
    const bare: CostModelData = { ...COST_MODEL, fit: {} };
    expect(calibrationOf(bare, 'a17pro')).toEqual({ fitted: false, method: 'no fit recorded in the parameter file', rows: 0, median_error: null, worst_error: null, rank_correlation: null, device_rows: [] });
    // Figures without the table they summarise are not a fit either.
    expect(calibrationOf({ ...COST_MODEL, fit: { median_abs_error: 0.1, worst_abs_error: 0.2 } }).fitted).toBe(false);
  });
});
