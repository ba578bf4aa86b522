/**
 * `fastvlm calibrate [--measured DIR]`: the cost model's fit, as a table. Without `--measured`,
 * the reference fit to the published rows C1-C16 (what `npm run calibrate` commits); with it, a
 * refit to the user's own ane-bench results, with the reference rows or alone, written with
 * `--out` for `analyze` and `compile --report` to take as `--cost-model`. A thin shell over
 * `calibrateReference` and `calibrateMeasured` of @fastvlm/compiler.
 * @module
 */
import * as path from 'node:path';
import { FITTED_PARAMETERS, describeDevices } from '@fastvlm/ane-passes';
import { CALIBRATION_ROWS, calibrateMeasured, calibrateReference, formatFit, readCostModel, writeCostModel } from '@fastvlm/compiler';
import type { CommandSpec, Flags } from '../args.js';
import { usageError } from '../errors.js';

/** The flags and help of `fastvlm calibrate`. */
export const CALIBRATE_SPEC: CommandSpec = {
  name: 'calibrate',
  summary: 'Fit the ANE cost model: to the published rows, or to your own measurements (--measured DIR).',
  usage: 'calibrate [--measured DIR] [--device D] [--only-measured] [--out FILE] [--cost-model FILE]',
  description: [
    `Without --measured: the fit of the cost model's ${FITTED_PARAMETERS.length} fitted parameters (efficiencies, on-chip bandwidth, overheads) to the ${CALIBRATION_ROWS.length} published latencies C1-C16, printed as a table (measured, modeled, error per row; rank correlation; median and worst error). That is the committed fit (npm run calibrate writes it).`,
    'With --measured DIR: every *.json in DIR is a tools/ane-bench result (docs/on-device.md). A result whose package is on this machine (beside the result, or at the path it records; its content hash must match) is analyzed as that package; otherwise its package name must start with a zoo model name (fastvlm compile of a zoo model, e.g. resnet50.mlpackage), built as the reference rows are. The latency fitted is the median of the run on all compute units (else cpuAndNeuralEngine); the device comes from the result\'s chip (Apple M3 Max is m3max) unless --device says. The same fit as npm run calibrate then runs on your rows and the reference rows (or yours alone with --only-measured). It prints your rows under the committed model (a check of the model on measurements it was not fitted to) and after the refit.',
    'With --out FILE the refitted parameter file is written (atomically); fastvlm analyze --cost-model FILE and fastvlm compile --report --cost-model FILE use it.',
  ].join('\n\n'),
  positionals: [],
  flags: [
    { name: 'measured', kind: 'string', metavar: 'DIR', doc: 'A directory of ane-bench results to refit to.' },
    { name: 'device', kind: 'string', metavar: 'D', doc: `With --measured: the device profile of every result (default: each result's chip). Profiles: ${describeDevices()}.` },
    { name: 'only-measured', kind: 'bool', doc: `With --measured: fit your rows alone, without the published rows (needs enough rows: a fit of ${FITTED_PARAMETERS.length} parameters to fewer rows is underdetermined).` },
    { name: 'out', kind: 'string', metavar: 'FILE', doc: 'Write the fitted parameter file here.' },
    { name: 'cost-model', kind: 'string', metavar: 'FILE', doc: 'Start from this parameter file (its hardware figures and bounds) instead of the committed one.' },
  ],
  examples: ['fastvlm calibrate', 'fastvlm calibrate --measured ~/ane-bench-results --out my-m3.json', 'fastvlm analyze resnet50 --device m3 --cost-model my-m3.json'],
};

/** Runs `fastvlm calibrate`; returns the text to print. */
export function runCalibrate(f: Flags): string {
  const dir = f.str('measured');
  for (const name of ['device', 'only-measured'] as const) {
    if (f.has(name) && dir === undefined) throw usageError(`--${name}`, 'applies to a refit to your measurements; give --measured DIR too');
  }
  const base = f.str('cost-model') !== undefined ? readCostModel(f.str('cost-model')!) : undefined;
  const out = f.str('out');
  const written = (file: string): string => `\nWrote ${path.resolve(file)}; use it with --cost-model ${file}\n`;
  if (dir === undefined) {
    const c = calibrateReference(undefined, base);
    if (out !== undefined) writeCostModel(out, c);
    return `Calibration on the ${CALIBRATION_ROWS.length} published rows (C1-C16):\n${formatFit(c.fit)}${out !== undefined ? written(out) : ''}`;
  }
  const only = f.bool('only-measured');
  const c = calibrateMeasured(dir, { ...(f.str('device') !== undefined ? { device: f.str('device')! } : {}), onlyMeasured: only, ...(base ? { base } : {}) });
  if (out !== undefined) writeCostModel(out, c);
  const list = c.measured.map((r) => `  ${r.id}  ${path.basename(r.file)}: ${r.model}${r.function ? ` ${r.function}` : ''} (${r.from === 'package' ? 'the package lifted' : 'the zoo model'}) on ${r.device}, ${r.computeUnits} median ${r.measuredMs} ms`).join('\n');
  const thin = only && c.measured.length < FITTED_PARAMETERS.length ? `\nnote: ${c.measured.length} row(s) for ${FITTED_PARAMETERS.length} fitted parameters: the fit is underdetermined; drop --only-measured to keep the published rows\n` : '';
  return [
    `Measurements of ${dir}:\n${list}\n`,
    `Your rows under the committed model (not fitted to them):\n${formatFit(c.before)}`,
    `Refit to ${c.measured.length} measurement(s)${only ? ' alone' : ` and the ${CALIBRATION_ROWS.length} published rows`}; all rows:\n${formatFit(c.fit)}`,
    `Your rows after the refit:\n${formatFit(c.after)}${thin}${out !== undefined ? written(out) : '\n(nothing written: give --out FILE to keep the fit)\n'}`,
  ].join('\n');
}
