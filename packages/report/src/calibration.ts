/**
 * The cost model's calibration as the page shows it, read from the `fit` record that
 * `npm run calibrate` writes into the parameter file (median and worst error, rank correlation,
 * the rows fitted). Missing figures read as null: an uncalibrated model says so.
 * @module
 */
import { COST_MODEL } from '@fastvlm/ane-passes';
import type { PageCalibration } from './page-data.js';

const numberAt = (fit: Readonly<Record<string, unknown>>, ...keys: string[]): number | null => {
  for (const k of keys) {
    const v = fit[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
};

/** The calibration of `fit` (default: the committed parameter file's). */
export function calibrationOf(fit: Readonly<Record<string, unknown>> = COST_MODEL.fit): PageCalibration {
  const median = numberAt(fit, 'median_error', 'medianError', 'median_abs_rel_error');
  const worst = numberAt(fit, 'worst_error', 'worstError', 'max_abs_rel_error');
  const rows = Array.isArray(fit['table']) ? (fit['table'] as unknown[]).length : numberAt(fit, 'row_count', 'rowCount');
  return {
    fitted: median !== null && worst !== null,
    method: typeof fit['method'] === 'string' ? fit['method'] : 'unknown',
    rows,
    median_error: median,
    worst_error: worst,
    rank_correlation: numberAt(fit, 'rank_correlation', 'rankCorrelation', 'spearman'),
  };
}
