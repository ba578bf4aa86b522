/**
 * `npm run calibrate`: fits the cost model's fitted parameters to the calibration rows C1-C16
 * (scripts/calibration-rows.ts) and nothing else, prints measured vs modeled per row with the
 * error, the rank correlation, the median and worst error, and writes the parameter file
 * packages/ane-passes/src/analysis/ane-cost-model.json. `--check` writes nothing and exits 1 when
 * the committed file differs from what the fit produces (the test suite runs the same check).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CalibrationCase, type CostModelData, type FitResult, FITTED_PARAMETERS, fitCostModel, renderCostModel, validateCostModel, withFit } from '../packages/ane-passes/src/index.js';
import { CALIBRATION_ROWS, LM_HEAD_ROWS, calibrationCases } from './calibration-rows.js';

/** Repository root (this file lives in `scripts/`). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The parameter file, relative to the root. */
export const COST_MODEL_FILE = 'packages/ane-passes/src/analysis/ane-cost-model.json';

/** The committed data with its fitted values replaced by a fresh fit: the file's new text, and the fit. */
export function calibrate(root: string = ROOT, cases: readonly CalibrationCase[] = calibrationCases()): { text: string; fit: FitResult; data: CostModelData } {
  const committed = validateCostModel(JSON.parse(readFileSync(join(root, COST_MODEL_FILE), 'utf8')));
  const fit = fitCostModel(cases, committed);
  const data = withFit(committed, fit, {
    rows: 'C1-C16 of ane-latency-calibration.md and nothing else (C16 twice: M1 and M4 Max); each network from the model zoo in fp16 after the cleanup preset',
    method: `npm run calibrate: Nelder-Mead on the logarithms of the ${FITTED_PARAMETERS.length} fitted parameters within their bounds, from their start values; values rounded to 3 significant digits`,
    lm_head_rows: LM_HEAD_ROWS,
  });
  return { text: renderCostModel(data), fit, data };
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;

/** The calibration table as text. */
export function formatFit(fit: FitResult): string {
  const lines = ['row  network                            device   measured ms  modeled ms   error'];
  for (const r of fit.rows) {
    lines.push(`${r.id.padEnd(4)} ${r.label.padEnd(34)} ${r.device.padEnd(7)} ${r.measured_ms.toFixed(3).padStart(11)} ${r.modeled_ms.toFixed(3).padStart(11)} ${pct(r.error).padStart(7)}`);
  }
  lines.push('');
  lines.push(`Spearman rank correlation ${fit.spearman.toFixed(3)}; median |error| ${(100 * fit.median_abs_error).toFixed(1)}%, worst ${(100 * fit.worst_abs_error).toFixed(1)}%; rms log error ${fit.rms_log_error.toFixed(3)}; ${fit.evaluations} evaluations`);
  lines.push(`fitted: ${FITTED_PARAMETERS.map((n) => `${n} ${fit.parameters[n]}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** Runs the script; returns the exit code. */
export function main(argv: readonly string[]): number {
  const check = argv.includes('--check');
  const { text, fit } = calibrate();
  process.stdout.write(`Calibration on ${CALIBRATION_ROWS.length} rows (C1-C16):\n${formatFit(fit)}`);
  const file = join(ROOT, COST_MODEL_FILE);
  const current = readFileSync(file, 'utf8');
  if (check) {
    if (current !== text) {
      process.stderr.write(`calibrate: ${COST_MODEL_FILE} differs from a fresh fit; run npm run calibrate\n`);
      return 1;
    }
    process.stdout.write(`calibrate: ${COST_MODEL_FILE} is up to date\n`);
    return 0;
  }
  if (current === text) process.stdout.write(`calibrate: ${COST_MODEL_FILE} unchanged\n`);
  else {
    // Write beside the file and rename, so a failed write never leaves half a file.
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, file);
    process.stdout.write(`calibrate: wrote ${COST_MODEL_FILE}\n`);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
