/**
 * `npm run calibrate`: fits the cost model's fitted parameters to the calibration rows C1-C16
 * (CALIBRATION_ROWS of @fastvlm/compiler) and nothing else, prints measured vs modeled per row
 * with the error, the rank correlation, the median and worst error, and writes the parameter file
 * packages/ane-passes/src/analysis/ane-cost-model.json. `--check` writes nothing and exits 1 when
 * the committed file differs from what the fit produces (the test suite runs the same check).
 * `fastvlm calibrate --measured DIR` runs the same fit on a user's measurements.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../packages/graph/src/index.js';
import { validateCostModel } from '../packages/ane-passes/src/index.js';
import { CALIBRATION_ROWS, type Calibration, calibrateReference, calibrationCases, formatFit } from '../packages/compiler/src/index.js';

/** Repository root (this file lives in `scripts/`). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The parameter file, relative to the root. */
export const COST_MODEL_FILE = 'packages/ane-passes/src/analysis/ane-cost-model.json';

/** The committed file (read from `root`) refitted to the rows. */
export function calibrate(root: string = ROOT, cases = calibrationCases()): Calibration {
  return calibrateReference(cases, validateCostModel(JSON.parse(readFileSync(join(root, COST_MODEL_FILE), 'utf8'))));
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
    writeFileAtomic(file, text);
    process.stdout.write(`calibrate: wrote ${COST_MODEL_FILE}\n`);
  }
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
