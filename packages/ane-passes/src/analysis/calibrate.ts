/**
 * Calibration of the cost model: fits the few fitted parameters (efficiencies, the on-chip
 * bandwidth factor, overheads) to measured latencies by least squares on the log of
 * modeled / measured, with a deterministic Nelder-Mead search inside the bounds the data file
 * gives. The hardware figures (peaks, bandwidths, working sets) are inputs, never fitted.
 * `npm run calibrate` feeds it the calibration rows of the reference notes; the fitter itself
 * knows nothing of which networks they are.
 * @module
 */
import { passError } from '../errors.js';
import { opTime, weightsResident } from './cost.js';
import { type CostModelData, type CostParameters, type FittedName, FITTED_PARAMETERS, costParameters, deviceModel } from './devices.js';
import type { FunctionPlan } from './placement.js';

/** One measured latency and the planned function(s) it measured (their latencies add up). */
export interface CalibrationCase {
  /** Row id, e.g. `C1`. */
  readonly id: string;
  /** What was measured, e.g. `FastViT-T8 256x256`. */
  readonly label: string;
  /** Device profile id or alias. */
  readonly device: string;
  readonly measuredMs: number;
  readonly plans: readonly FunctionPlan[];
}

/** A row of the calibration table. */
export interface CalibrationRow {
  readonly id: string;
  readonly label: string;
  readonly device: string;
  readonly measured_ms: number;
  readonly modeled_ms: number;
  /** modeled / measured - 1. */
  readonly error: number;
}

/** What a fit found, and how well the model then matches the rows. */
export interface FitResult {
  /** Fitted values, rounded to {@link FIT_DIGITS} significant digits (the table is computed with them). */
  readonly parameters: Readonly<Record<FittedName, number>>;
  readonly rows: readonly CalibrationRow[];
  /** Spearman's rank correlation of measured and modeled latencies. */
  readonly spearman: number;
  readonly median_abs_error: number;
  readonly worst_abs_error: number;
  /** Root mean square of ln(modeled / measured). */
  readonly rms_log_error: number;
  /** Objective evaluations the search used. */
  readonly evaluations: number;
}

/** Significant digits the fitted values are written with. */
export const FIT_DIGITS = 3;

/** A case compiled to flat arrays: every ANE op's parameter-independent terms, in seconds. */
interface CompiledCase {
  readonly measured: number;
  readonly family: Uint8Array; // 0 dense, 1 depthwise, 2 vector, 3 memory
  readonly peakSeconds: Float64Array; // work / fp16 MAC peak
  readonly taps: Float64Array; // depthwise kernel taps, 1 otherwise
  readonly weightSeconds: Float64Array; // weight bytes / DRAM bandwidth
  readonly residentWeights: Uint8Array; // 1 when the op's function keeps its weights on chip
  readonly activationSeconds: Float64Array; // activation bytes / DRAM bandwidth
  readonly onChip: Uint8Array;
  readonly charged: Uint8Array; // 1 when the op pays the per-op overhead (not fused)
  /** Time of fallback ops (priors only) and boundary transfers. */
  readonly fixed: number;
  /** Dispatches: one per function plus one per extra segment. */
  readonly dispatches: number;
}

const FAMILY: Readonly<Record<string, number>> = { dense: 0, depthwise: 1, vector: 2, memory: 3 };

function compile(c: CalibrationCase, data: CostModelData): CompiledCase {
  const d = deviceModel(c.device, data);
  const priors = costParameters(data);
  const fam: number[] = [];
  const peak: number[] = [];
  const taps: number[] = [];
  const wt: number[] = [];
  const at: number[] = [];
  const on: number[] = [];
  const rw: number[] = [];
  const ch: number[] = [];
  let fixed = 0;
  let dispatches = 0;
  for (const plan of c.plans) {
    dispatches += 1 + Math.max(0, plan.segments.length - 1);
    fixed += plan.boundaryBytes / d.bandwidthBytesPerSecond;
    const resident = weightsResident(plan, d) ? 1 : 0;
    for (const o of plan.ops) {
      if (o.unit === 'const' || o.cost.family === 'free' || o.cost.family === 'constant') continue;
      if (o.unit !== 'ane') {
        fixed += opTime(o.cost, o.unit, d, priors).total;
        continue;
      }
      fam.push(FAMILY[o.cost.family]!);
      peak.push(o.cost.work / d.macPerSecond);
      taps.push(o.cost.family === 'depthwise' ? o.cost.taps : 1);
      wt.push(o.cost.weightBytes / d.bandwidthBytesPerSecond);
      at.push(o.cost.activationBytes / d.bandwidthBytesPerSecond);
      on.push(o.cost.activationBytes <= d.workingSetBytes ? 1 : 0);
      rw.push(resident);
      ch.push(o.fusedInto === null ? 1 : 0);
    }
  }
  return {
    measured: c.measuredMs * 1e-3,
    family: Uint8Array.from(fam),
    peakSeconds: Float64Array.from(peak),
    taps: Float64Array.from(taps),
    weightSeconds: Float64Array.from(wt),
    residentWeights: Uint8Array.from(rw),
    activationSeconds: Float64Array.from(at),
    onChip: Uint8Array.from(on),
    charged: Uint8Array.from(ch),
    fixed,
    dispatches,
  };
}

/** Modeled seconds of a compiled case: the same arithmetic as `functionTime`, on flat arrays. */
function seconds(k: CompiledCase, p: Readonly<Record<FittedName, number>>): number {
  const eff = [p.denseEfficiency, p.depthwiseEfficiency, p.vectorEfficiency];
  const overhead = p.opOverheadUs * 1e-6;
  const onChip = p.onChipBandwidthFactor;
  const tapPower = p.depthwiseTapExponent - 1;
  let t = k.fixed + k.dispatches * p.dispatchUs * 1e-6;
  for (let i = 0; i < k.family.length; i++) {
    const f = k.family[i]!;
    const tp = k.taps[i]!;
    const compute = f === 3 ? 0 : (f === 1 && tp > 1 ? k.peakSeconds[i]! * tp ** tapPower : k.peakSeconds[i]!) / eff[f]!;
    const memory = (k.residentWeights[i] ? k.weightSeconds[i]! / onChip : k.weightSeconds[i]!) + (k.onChip[i] ? k.activationSeconds[i]! / onChip : k.activationSeconds[i]!);
    t += (compute > memory ? compute : memory) + (k.charged[i] ? overhead : 0);
  }
  return t;
}

/** Ranks (1-based, ties averaged). */
function ranks(xs: readonly number[]): number[] {
  const idx = xs.map((_, i) => i).sort((a, b) => xs[a]! - xs[b]! || a - b);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && xs[idx[j + 1]!] === xs[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (Pearson's on the ranks, ties averaged). */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length || a.length < 2) throw passError('E_ANALYSIS_OPTION', 'spearman needs two lists of the same length, at least 2', { where: 'spearman' });
  const ra = ranks(a);
  const rb = ranks(b);
  const mean = (ra.length + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < ra.length; i++) {
    const x = ra[i]! - mean;
    const y = rb[i]! - mean;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

/** `x` rounded to `digits` significant digits. */
export function roundSignificant(x: number, digits = FIT_DIGITS): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  return Number(x.toPrecision(digits));
}

/** The calibration table of `cases` under the parameters of `data` with `override` applied. */
export function calibrationTable(cases: readonly CalibrationCase[], data: CostModelData, override: Partial<Record<FittedName, number>> = {}): Omit<FitResult, 'evaluations' | 'parameters'> {
  const p = costParameters(data, override);
  const rows = cases.map((c) => {
    const modeled = seconds(compile(c, data), p) * 1e3;
    return { id: c.id, label: c.label, device: c.device, measured_ms: c.measuredMs, modeled_ms: modeled, error: modeled / c.measuredMs - 1 };
  });
  return summarize(rows);
}

function summarize(rows: CalibrationRow[]): Omit<FitResult, 'evaluations' | 'parameters'> {
  const abs = rows.map((r) => Math.abs(r.error)).sort((a, b) => a - b);
  const n = abs.length;
  const median = n === 0 ? 0 : n % 2 ? abs[(n - 1) / 2]! : (abs[n / 2 - 1]! + abs[n / 2]!) / 2;
  const logs = rows.map((r) => Math.log(r.modeled_ms / r.measured_ms));
  return {
    rows,
    spearman: n >= 2 ? spearman(rows.map((r) => r.measured_ms), rows.map((r) => r.modeled_ms)) : 0,
    median_abs_error: median,
    worst_abs_error: n ? abs[n - 1]! : 0,
    rms_log_error: n ? Math.sqrt(logs.reduce((s, l) => s + l * l, 0) / n) : 0,
  };
}

/** Options of {@link fitCostModel}. */
export interface FitOptions {
  /** Nelder-Mead restarts from the best point so far (default 4). */
  readonly restarts?: number;
  /** Iterations per restart (default 800). */
  readonly iterations?: number;
}

/**
 * Fits the fitted parameters of `data` to `cases`: minimizes the sum of squared
 * ln(modeled / measured) over the rows, searching each parameter's logarithm inside its
 * [min, max] (a lower bound of 0 is searched from 1e-3 of the start value), from the start values
 * of the file. Deterministic: same cases and data, same result.
 */
export function fitCostModel(cases: readonly CalibrationCase[], data: CostModelData, opts: FitOptions = {}): FitResult {
  if (cases.length === 0) throw passError('E_ANALYSIS_OPTION', 'calibration needs at least one case', { where: 'cases' });
  for (const c of cases) {
    if (!(c.measuredMs > 0) || !Number.isFinite(c.measuredMs)) throw passError('E_ANALYSIS_OPTION', `case ${c.id}: measuredMs must be a positive number, found ${c.measuredMs}`, { where: c.id });
  }
  const compiled = cases.map((c) => compile(c, data));
  const names = FITTED_PARAMETERS;
  const lo = names.map((n) => Math.log(data.fitted[n].min > 0 ? data.fitted[n].min : Math.max(1e-9, data.fitted[n].start * 1e-3)));
  const hi = names.map((n) => Math.log(data.fitted[n].max));
  const toParams = (x: readonly number[]): Record<FittedName, number> => {
    const out = {} as Record<FittedName, number>;
    names.forEach((n, i) => (out[n] = Math.exp(Math.min(hi[i]!, Math.max(lo[i]!, x[i]!)))));
    return out;
  };
  let evaluations = 0;
  const objective = (x: readonly number[]): number => {
    evaluations++;
    const p = toParams(x);
    let s = 0;
    for (const k of compiled) {
      const l = Math.log(seconds(k, p) / k.measured);
      s += l * l;
    }
    return s;
  };
  let best = names.map((n, i) => Math.min(hi[i]!, Math.max(lo[i]!, Math.log(Math.max(data.fitted[n].start, Math.exp(lo[i]!))))));
  const restarts = opts.restarts ?? 4;
  const iterations = opts.iterations ?? 800;
  for (let r = 0; r < restarts; r++) best = nelderMead(objective, best, lo, hi, iterations, r === 0 ? 0.5 : 0.2);
  const rounded = {} as Record<FittedName, number>;
  const p = toParams(best);
  for (const n of names) rounded[n] = roundSignificant(p[n]);
  const rows = cases.map((c, i) => {
    const modeled = seconds(compiled[i]!, rounded) * 1e3;
    return { id: c.id, label: c.label, device: c.device, measured_ms: c.measuredMs, modeled_ms: modeled, error: modeled / c.measuredMs - 1 };
  });
  return { parameters: rounded, ...summarize(rows), evaluations };
}

/** Nelder-Mead on a box (points are clamped into [lo, hi]); returns the best vertex. */
function nelderMead(f: (x: readonly number[]) => number, start: readonly number[], lo: readonly number[], hi: readonly number[], iterations: number, step: number): number[] {
  const n = start.length;
  const clamp = (x: number[]): number[] => x.map((v, i) => Math.min(hi[i]!, Math.max(lo[i]!, v)));
  const simplex: { x: number[]; v: number }[] = [];
  const s0 = clamp([...start]);
  simplex.push({ x: s0, v: f(s0) });
  for (let i = 0; i < n; i++) {
    const x = [...s0];
    // Step inwards when the start sits on the upper bound.
    x[i] = x[i]! + step <= hi[i]! ? x[i]! + step : x[i]! - step;
    const c = clamp(x);
    simplex.push({ x: c, v: f(c) });
  }
  const order = (): void => {
    simplex.sort((a, b) => a.v - b.v);
  };
  for (let it = 0; it < iterations; it++) {
    order();
    const worst = simplex[n]!;
    const centroid = new Array<number>(n).fill(0);
    for (let k = 0; k < n; k++) for (let i = 0; i < n; i++) centroid[i]! += simplex[k]!.x[i]! / n;
    const along = (t: number): number[] => clamp(centroid.map((c, i) => c + t * (c - worst.x[i]!)));
    const xr = along(1);
    const vr = f(xr);
    if (vr < simplex[0]!.v) {
      const xe = along(2);
      const ve = f(xe);
      simplex[n] = ve < vr ? { x: xe, v: ve } : { x: xr, v: vr };
      continue;
    }
    if (vr < simplex[n - 1]!.v) {
      simplex[n] = { x: xr, v: vr };
      continue;
    }
    const xc = vr < worst.v ? along(0.5) : along(-0.5);
    const vc = f(xc);
    if (vc < Math.min(vr, worst.v)) {
      simplex[n] = { x: xc, v: vc };
      continue;
    }
    // Shrink towards the best vertex.
    const b = simplex[0]!.x;
    for (let k = 1; k <= n; k++) {
      const x = clamp(simplex[k]!.x.map((v, i) => b[i]! + 0.5 * (v - b[i]!)));
      simplex[k] = { x, v: f(x) };
    }
  }
  order();
  return simplex[0]!.x;
}

/** `data` with the fitted values of `fit` and its table in the `fit` section. */
export function withFit(data: CostModelData, fit: FitResult, about: Readonly<Record<string, unknown>>): CostModelData {
  const fitted = { ...data.fitted } as Record<FittedName, CostModelData['fitted'][FittedName]>;
  for (const n of FITTED_PARAMETERS) fitted[n] = { ...data.fitted[n], value: fit.parameters[n] };
  const r4 = (x: number): number => roundSignificant(x, 4);
  return {
    ...data,
    fitted,
    fit: {
      ...about,
      objective: 'sum over the rows of ln(modeled / measured)^2',
      spearman: r4(fit.spearman),
      median_abs_error: r4(fit.median_abs_error),
      worst_abs_error: r4(fit.worst_abs_error),
      rms_log_error: r4(fit.rms_log_error),
      table: fit.rows.map((r) => ({ id: r.id, label: r.label, device: r.device, measured_ms: r.measured_ms, modeled_ms: r4(r.modeled_ms), error: r4(r.error) })),
    },
  };
}

/**
 * The data file's text: two-space indentation, every object whose values are all scalars (or
 * lists of scalars) on one line, so a refit changes one line per parameter.
 */
export function renderCostModel(data: CostModelData): string {
  const flat = (v: unknown): boolean => v === null || typeof v !== 'object' || (Array.isArray(v) && v.every((x) => x === null || typeof x !== 'object'));
  const one = (v: unknown): string => {
    if (Array.isArray(v)) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
    if (v !== null && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${one(x)}`).join(', ')} }`;
    return JSON.stringify(v);
  };
  const render = (v: unknown, indent: string): string => {
    if (flat(v)) return one(v);
    if (Array.isArray(v)) return `[\n${v.map((x) => `${indent}  ${render(x, `${indent}  `)}`).join(',\n')}\n${indent}]`;
    const entries = Object.entries(v as Record<string, unknown>);
    if (entries.every(([, x]) => flat(x))) return one(v);
    return `{\n${entries.map(([k, x]) => `${indent}  ${JSON.stringify(k)}: ${render(x, `${indent}  `)}`).join(',\n')}\n${indent}}`;
  };
  return `${render(data, '')}\n`;
}

/** The fitted parameters as the cost model uses them (priors included), for a table or a check. */
export function fittedParameters(fit: FitResult, data: CostModelData): CostParameters {
  return costParameters(data, fit.parameters);
}
