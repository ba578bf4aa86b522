/**
 * Fitting the cost model: to the published rows C1-C16 (`npm run calibrate`, which writes the
 * committed parameter file), or to a user's own measurements (`fastvlm calibrate --measured DIR`:
 * tools/ane-bench results of zoo models or of any package, with the reference rows or alone).
 * Both run `fitCostModel` of @fastvlm/ane-passes on the same kind of cases; the result is a
 * parameter file that `analyze` and `compile` take as `costModel`.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '@fastvlm/graph';
import { liftProgram, readMlPackage } from '@fastvlm/emit-coreml';
import {
  type AneBenchResult,
  type CalibrationCase,
  COST_MODEL,
  type CostModelData,
  FITTED_PARAMETERS,
  type FitResult,
  PassManager,
  calibrationTable,
  deviceIds,
  fitCostModel,
  packageContentHash,
  planProgram,
  readBenchResult,
  renderCostModel,
  resolveDeviceId,
  validateCostModel,
  withFit,
} from '@fastvlm/ane-passes';
import { ZOO_NAMES, buildZooModel } from '@fastvlm/models';
import { LM_HEAD_ROWS, calibrationCases } from './calibration-rows.js';
import { calibrateError } from './errors.js';

/** A fit and the parameter file it gives. */
export interface Calibration {
  readonly fit: FitResult;
  readonly data: CostModelData;
  /** The parameter file's text (deterministic: same cases, same bytes). */
  readonly text: string;
}

/** The committed parameter file refitted to the rows C1-C16 (what `npm run calibrate` writes). */
export function calibrateReference(cases: readonly CalibrationCase[] = calibrationCases(), base: CostModelData = COST_MODEL): Calibration {
  const fit = fitCostModel(cases, base);
  const data = withFit(base, fit, {
    rows: 'C1-C16 of ane-latency-calibration.md and nothing else (C16 twice: M1 and M4 Max); each network from the model zoo in fp16 after the cleanup preset',
    method: `npm run calibrate: Nelder-Mead on the logarithms of the ${FITTED_PARAMETERS.length} fitted parameters within their bounds, from their start values; values rounded to 3 significant digits`,
    lm_head_rows: LM_HEAD_ROWS,
  });
  return { fit, data, text: renderCostModel(data) };
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`;

/** A calibration table as text: each row measured vs modeled, then the summary and the parameters. */
export function formatFit(fit: Pick<FitResult, 'rows' | 'spearman' | 'median_abs_error' | 'worst_abs_error' | 'rms_log_error'> & { readonly evaluations?: number; readonly parameters?: FitResult['parameters'] }): string {
  const width = Math.max(34, ...fit.rows.map((r) => r.label.length));
  const lines = [`row  ${'network'.padEnd(width)} device   measured ms  modeled ms   error`];
  for (const r of fit.rows) {
    lines.push(`${r.id.padEnd(4)} ${r.label.padEnd(width)} ${r.device.padEnd(7)} ${r.measured_ms.toFixed(3).padStart(11)} ${r.modeled_ms.toFixed(3).padStart(11)} ${pct(r.error).padStart(7)}`);
  }
  lines.push('');
  lines.push(
    `Spearman rank correlation ${fit.spearman.toFixed(3)}; median |error| ${(100 * fit.median_abs_error).toFixed(1)}%, worst ${(100 * fit.worst_abs_error).toFixed(1)}%; rms log error ${fit.rms_log_error.toFixed(3)}` +
      (fit.evaluations !== undefined ? `; ${fit.evaluations} evaluations` : ''),
  );
  if (fit.parameters) lines.push(`fitted: ${FITTED_PARAMETERS.map((n) => `${n} ${fit.parameters![n]}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** One measurement of a directory, as a calibration case. */
export interface MeasuredRow {
  /** Row id in the tables: `M1`, `M2`... in file order. */
  readonly id: string;
  /** The result file. */
  readonly file: string;
  /** What was measured: the lifted package (`package`), or the zoo model its name gives (`zoo`). */
  readonly from: 'package' | 'zoo';
  /** The package's file name, or the zoo model's name. */
  readonly model: string;
  readonly function: string | null;
  /** Device profile id (from the result's chip, or the option). */
  readonly device: string;
  /** The compute-unit setting whose median is used (`all`, else `cpuAndNeuralEngine`). */
  readonly computeUnits: string;
  readonly measuredMs: number;
}

/** The zoo model a package's file name names: the longest zoo name it starts with, followed by the end, `-`, `_` or `.`. */
export function zooModelOfPackage(packagePath: string): string | undefined {
  const base = path.basename(packagePath.replace(/[\\/]+$/, '')).replace(/\.mlpackage$/, '').toLowerCase();
  let best: string | undefined;
  for (const z of ZOO_NAMES) {
    if (base === z || (base.startsWith(z) && /^[-_.]/.test(base.slice(z.length)))) {
      if (best === undefined || z.length > best.length) best = z;
    }
  }
  return best;
}

/** The device profile of a result's chip (`Apple M3 Max` is `m3max`), or undefined when no profile has that name. */
export function deviceOfChip(chip: string, data: CostModelData = COST_MODEL): string | undefined {
  const key = chip.toLowerCase().replace(/^apple\s+/, '').replace(/[\s_-]+/g, '');
  try {
    return resolveDeviceId(key, data);
  } catch {
    return undefined;
  }
}

/** Options of {@link readMeasurements} and {@link calibrateMeasured}. */
export interface MeasuredOptions {
  /** Device profile of every result (default: each result's chip). */
  readonly device?: string;
  /** Cost-model data to start from and to judge with (default the committed file). */
  readonly base?: CostModelData;
}

function resultFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    throw calibrateError(`${dir}: cannot read the measurement directory: ${e instanceof Error ? e.message : String(e)}`, { where: dir, cause: e });
  }
  const files = names.filter((n) => n.endsWith('.json')).sort();
  if (files.length === 0) throw calibrateError(`${dir}: no .json result in it; run tools/ane-bench/ane-bench.swift on each package and put its --out files here`, { where: dir });
  return files.map((n) => path.join(dir, n));
}

/** The package a result names, when it is on this machine: as given, or beside the result file. */
function packageOf(result: AneBenchResult, file: string): string | undefined {
  const given = result.package.path;
  for (const p of [given, path.join(path.dirname(file), path.basename(given.replace(/[\\/]+$/, '')))]) {
    if (fs.existsSync(path.join(p, 'Manifest.json'))) return p;
  }
  return undefined;
}

function measuredRun(result: AneBenchResult, file: string): { computeUnits: string; ms: number } {
  const run = result.runs.find((r) => r.computeUnits === 'all') ?? result.runs.find((r) => r.computeUnits === 'cpuAndNeuralEngine');
  if (!run) {
    throw calibrateError(`${file}: no run on 'all' or 'cpuAndNeuralEngine' compute units (found ${result.runs.map((r) => r.computeUnits).join(', ') || 'none'}); the Neural Engine's model is fitted to runs that may use it`, { where: `${file}: runs` });
  }
  return { computeUnits: run.computeUnits, ms: run.latencyMs.median };
}

/**
 * Reads every `*.json` tools/ane-bench result of `dir` (sorted by name) into calibration cases:
 * the measured package lifted back when it is on this machine (beside the result or at the path
 * it records; its content hash must match), else the zoo model its file name names, built in
 * fp16 after the `cleanup` preset like the reference rows. Coded errors (`E_CALIBRATE`, and the
 * reader's `E_MEASURE_*`) name the file and what is wrong.
 */
export function readMeasurements(dir: string, opts: MeasuredOptions = {}): { rows: MeasuredRow[]; cases: CalibrationCase[] } {
  const data = opts.base ?? COST_MODEL;
  const forced = opts.device !== undefined ? resolveDeviceId(opts.device, data) : undefined;
  const rows: MeasuredRow[] = [];
  const cases: CalibrationCase[] = [];
  resultFiles(dir).forEach((file, i) => {
    const result = readBenchResult(file);
    const device = forced ?? deviceOfChip(result.machine.chip, data);
    if (device === undefined) {
      throw calibrateError(`${file}: no device profile for the chip '${result.machine.chip}'; give --device (profiles: ${deviceIds(data).join(', ')})`, { where: `${file}: machine.chip`, details: { found: result.machine.chip, allowed: deviceIds(data) } });
    }
    const run = measuredRun(result, file);
    const pkg = packageOf(result, file);
    const fn = result.package.function;
    let program;
    let model: string;
    let from: MeasuredRow['from'];
    if (pkg !== undefined) {
      const hash = packageContentHash(pkg);
      if (hash !== result.package.sha256) {
        throw calibrateError(`${file}: the package at ${pkg} is not the one measured (sha256 ${hash.slice(0, 12)}..., the result says ${result.package.sha256.slice(0, 12)}...)`, { where: `${file}: package.sha256`, details: { found: hash, expected: result.package.sha256 } });
      }
      const read = readMlPackage(pkg);
      program = liftProgram(read.model, read.weightsPath);
      model = path.basename(pkg.replace(/[\\/]+$/, ''));
      from = 'package';
    } else {
      const zoo = zooModelOfPackage(result.package.path);
      if (zoo === undefined) {
        throw calibrateError(`${file}: the package ${result.package.path} is not on this machine and its name names no zoo model (${ZOO_NAMES.join(', ')}); put the package beside the result`, { where: `${file}: package.path`, details: { found: result.package.path, allowed: ZOO_NAMES } });
      }
      program = PassManager.preset('cleanup').run(buildZooModel(zoo, { dtype: 'fp16' }).program).program;
      model = zoo;
      from = 'zoo';
    }
    const names = [...program.functions.keys()];
    const which = fn ?? (names.length === 1 ? names[0]! : undefined);
    if (which === undefined || !program.functions.has(which)) {
      throw calibrateError(`${file}: measured function ${JSON.stringify(fn)}; the program has ${names.join(', ')}`, { where: `${file}: package.function`, details: { found: String(fn), allowed: names } });
    }
    const id = `M${i + 1}`;
    rows.push({ id, file, from, model, function: fn, device, computeUnits: run.computeUnits, measuredMs: run.ms });
    cases.push({ id, label: fn ? `${model} ${fn}` : model, device, measuredMs: run.ms, plans: planProgram(program, [which]) });
  });
  return { rows, cases };
}

/** Options of {@link calibrateMeasured}. */
export interface CalibrateMeasuredOptions extends MeasuredOptions {
  /** Fit the measurements alone, without the reference rows C1-C16 (default false: both). */
  readonly onlyMeasured?: boolean;
  /** The reference cases (default: C1-C16 built here; tests pass them in to build them once). */
  readonly referenceCases?: readonly CalibrationCase[];
}

/** A refit to a user's measurements. */
export interface MeasuredCalibration extends Calibration {
  readonly measured: readonly MeasuredRow[];
  /** The measurements under the model before the refit (the base file's parameters): a held-out check of it. */
  readonly before: Omit<FitResult, 'evaluations' | 'parameters'>;
  /** The measurements under the refitted parameters. */
  readonly after: Omit<FitResult, 'evaluations' | 'parameters'>;
}

/**
 * Refits the cost model's parameters to the measurements in `dir` (see {@link readMeasurements}),
 * with the reference rows C1-C16 unless `onlyMeasured`: the same `fitCostModel` as
 * `npm run calibrate`. Returns the fit, the tables of the measured rows before and after it, and
 * the new parameter file (the base file's hardware figures with the refitted parameters; its
 * `fit` record says what was fitted).
 */
export function calibrateMeasured(dir: string, opts: CalibrateMeasuredOptions = {}): MeasuredCalibration {
  const base = opts.base ?? COST_MODEL;
  const { rows, cases } = readMeasurements(dir, opts);
  const reference = opts.onlyMeasured ? [] : (opts.referenceCases ?? calibrationCases());
  const all = [...cases, ...reference];
  const fit = fitCostModel(all, base);
  const list = rows.map((r) => `${r.id} ${r.model} on ${r.device}`).join(', ');
  const data = withFit(base, fit, {
    rows: `${rows.length} measurement(s) of ${path.basename(path.resolve(dir))} (${list})${opts.onlyMeasured ? ' alone' : ' and C1-C16 of ane-latency-calibration.md'}`,
    method: `fastvlm calibrate --measured: Nelder-Mead on the logarithms of the ${FITTED_PARAMETERS.length} fitted parameters within their bounds, from their start values; values rounded to 3 significant digits`,
    measured: rows.map((r) => ({ id: r.id, file: path.basename(r.file), from: r.from, model: r.model, function: r.function, device: r.device, compute_units: r.computeUnits, measured_ms: r.measuredMs })),
  });
  return {
    fit,
    data,
    text: renderCostModel(data),
    measured: rows,
    before: calibrationTable(cases, base),
    after: calibrationTable(cases, base, fit.parameters),
  };
}

/** Reads a parameter file (`calibrate` output or the committed one); `E_CALIBRATE` or `E_ANALYSIS_DATA` naming what is wrong. */
export function readCostModel(file: string): CostModelData {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw calibrateError(`${file}: cannot read the cost-model file: ${e instanceof Error ? e.message : String(e)}`, { where: file, cause: e });
  }
  return validateCostModel(raw);
}

/** Writes a parameter file atomically (a failed write leaves the previous file). */
export function writeCostModel(file: string, c: Calibration): void {
  writeFileAtomic(file, c.text);
}
