/**
 * The cost model's calibration as the page shows it, read from the `fit` record that
 * `npm run calibrate` (or `fastvlm calibrate --measured`) writes into the parameter file: the
 * median and worst error, the rank correlation, and the rows measured on the page's device. A
 * file without a fit record reads as not calibrated, never as a fit it did not make.
 * @module
 */
import { COST_MODEL, type CostModelData, resolveDeviceId } from '@fastvlm/ane-passes';
import type { PageCalibration, PageCalibrationRow } from './page-data.js';

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function tableRows(table: unknown): PageCalibrationRow[] {
  if (!Array.isArray(table)) return [];
  const rows: PageCalibrationRow[] = [];
  for (const r of table as unknown[]) {
    if (r === null || typeof r !== 'object') continue;
    const o = r as Record<string, unknown>;
    const measured = finite(o['measured_ms']);
    const modeled = finite(o['modeled_ms']);
    const error = finite(o['error']);
    if (typeof o['id'] !== 'string' || typeof o['device'] !== 'string' || measured === null || modeled === null || error === null) continue;
    rows.push({ id: o['id'], label: typeof o['label'] === 'string' ? o['label'] : o['id'], device: o['device'], measured_ms: measured, modeled_ms: modeled, error });
  }
  return rows;
}

/**
 * The calibration of `data` (default: the committed parameter file) as seen from `device` (a
 * profile id or alias): the fit's figures over all its rows, and the rows measured on that
 * device (none for a device the rows never measured: the page says the figures are borrowed).
 */
export function calibrationOf(data: CostModelData = COST_MODEL, device?: string): PageCalibration {
  const fit = data.fit;
  const median = finite(fit['median_abs_error']);
  const worst = finite(fit['worst_abs_error']);
  const rows = tableRows(fit['table']);
  const id = device === undefined ? undefined : resolveDeviceId(device, data);
  return {
    fitted: median !== null && worst !== null && rows.length > 0,
    method: typeof fit['method'] === 'string' ? fit['method'] : 'no fit recorded in the parameter file',
    rows: rows.length,
    median_error: median,
    worst_error: worst,
    rank_correlation: finite(fit['spearman']),
    device_rows: id === undefined ? [] : rows.filter((r) => resolveDeviceId(r.device, data) === id),
  };
}
