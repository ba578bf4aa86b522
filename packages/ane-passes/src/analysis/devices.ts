/**
 * Device profiles and cost-model parameters, read from the one data file
 * `ane-cost-model.json` (every figure with its provenance). `npm run calibrate` rewrites its
 * fitted values; everything else in it is a hardware figure or an assumption, named as such.
 * @module
 */
import { passError } from '../errors.js';
import COST_MODEL_JSON from './ane-cost-model.json' with { type: 'json' };

/** A figure and where it comes from. */
export interface Provenanced<T = number> {
  readonly value: T;
  readonly unit?: string;
  readonly provenance: string;
}

/** A fitted parameter: its value, the fit's start value and the bounds the fit keeps to. */
export interface FittedParameter extends Provenanced {
  readonly start: number;
  readonly min: number;
  readonly max: number;
}

/** The names of the fitted parameters. */
export const FITTED_PARAMETERS = ['denseEfficiency', 'depthwiseEfficiency', 'depthwiseTapExponent', 'vectorEfficiency', 'onChipBandwidthFactor', 'opOverheadUs', 'dispatchUs'] as const;
/** A fitted parameter's name. */
export type FittedName = (typeof FITTED_PARAMETERS)[number];

/** The names of the assumed (unfitted) parameters of the GPU and CPU fallback. */
export const PRIOR_PARAMETERS = ['fallbackEfficiency', 'gpuOpOverheadUs', 'cpuOpOverheadUs', 'cpuGops'] as const;
/** An assumed parameter's name. */
export type PriorName = (typeof PRIOR_PARAMETERS)[number];

/** One device profile as stored in the data file. */
export interface DeviceEntry {
  readonly name: string;
  readonly aliases: readonly string[];
  /** Published ANE peak in tera-operations per second. */
  readonly aneTops: Provenanced;
  /** What the published figure counts: fp16 ops, or int8 ops (fp16 then runs at half). */
  readonly topsPrecision: Provenanced<'fp16' | 'int8'>;
  /** DRAM bandwidth the ANE reaches when streaming weights. */
  readonly bandwidthGBps: Provenanced;
  /** On-chip working set beyond which activation traffic goes to DRAM. */
  readonly workingSetMB: Provenanced;
  /** GPU fp32 peak, for ops that fall back. */
  readonly gpuTflops: Provenanced;
}

/** The whole data file. */
export interface CostModelData {
  readonly schema: string;
  readonly about: string;
  readonly fitted: Readonly<Record<FittedName, FittedParameter>>;
  readonly priors: Readonly<Record<PriorName, Provenanced>>;
  readonly devices: Readonly<Record<string, DeviceEntry>>;
  /** What the last fit did and how well it did (written by `npm run calibrate`). */
  readonly fit: Readonly<Record<string, unknown>>;
}

/** The flat parameter set the cost model computes with. */
export type CostParameters = Readonly<Record<FittedName | PriorName, number>>;

/** A device resolved for costing, in SI units. */
export interface DeviceModel {
  /** Profile id, e.g. `a17pro`. */
  readonly id: string;
  readonly name: string;
  /** fp16 multiply-accumulates per second at peak (TOPS / 2, halved again for int8-rated chips). */
  readonly macPerSecond: number;
  readonly bandwidthBytesPerSecond: number;
  readonly workingSetBytes: number;
  readonly gpuFlopsPerSecond: number;
}

const SCHEMA = 'fastvlm-ane-cost-model/1';

function dataError(message: string, where: string): never {
  throw passError('E_ANALYSIS_DATA', message, { where });
}

function checkFigure(v: unknown, where: string, positive = true): Provenanced {
  const o = v as Partial<Provenanced> | null;
  if (o === null || typeof o !== 'object') dataError(`${where}: expected an object {value, provenance}, found ${JSON.stringify(v)}`, where);
  if (typeof o.value !== 'number' || !Number.isFinite(o.value) || (positive ? o.value <= 0 : o.value < 0)) {
    dataError(`${where}.value: expected a finite ${positive ? 'positive' : 'non-negative'} number, found ${JSON.stringify(o.value)}`, where);
  }
  if (typeof o.provenance !== 'string' || o.provenance.length === 0) dataError(`${where}.provenance: every figure needs its provenance`, where);
  return o as Provenanced;
}

/**
 * Checks a cost-model data object (every figure present, finite, with provenance; fitted values
 * within their bounds) and returns it typed. Problems are `E_ANALYSIS_DATA` errors naming the field.
 */
export function validateCostModel(raw: unknown): CostModelData {
  const d = raw as Partial<CostModelData> | null;
  if (d === null || typeof d !== 'object') dataError('the cost-model data must be an object', 'cost model');
  if (d.schema !== SCHEMA) dataError(`schema: expected '${SCHEMA}', found ${JSON.stringify(d.schema)}`, 'schema');
  for (const n of FITTED_PARAMETERS) {
    const p = d.fitted?.[n] as Partial<FittedParameter> | undefined;
    const where = `fitted.${n}`;
    checkFigure(p, where, false);
    for (const k of ['start', 'min', 'max'] as const) {
      if (typeof p![k] !== 'number' || !Number.isFinite(p![k])) dataError(`${where}.${k}: expected a finite number, found ${JSON.stringify(p![k])}`, where);
    }
    if (!(p!.min! <= p!.value! && p!.value! <= p!.max! && p!.min! <= p!.start! && p!.start! <= p!.max!)) {
      dataError(`${where}: value ${p!.value} and start ${p!.start} must lie in [${p!.min}, ${p!.max}]`, where);
    }
  }
  for (const n of PRIOR_PARAMETERS) checkFigure(d.priors?.[n], `priors.${n}`, n !== 'gpuOpOverheadUs' && n !== 'cpuOpOverheadUs');
  if (d.devices === null || typeof d.devices !== 'object' || Object.keys(d.devices).length === 0) dataError('devices: expected at least one profile', 'devices');
  const seen = new Map<string, string>();
  for (const [id, e] of Object.entries(d.devices)) {
    const where = `devices.${id}`;
    if (typeof e?.name !== 'string') dataError(`${where}.name: expected a string`, where);
    if (!Array.isArray(e.aliases) || e.aliases.some((a) => typeof a !== 'string')) dataError(`${where}.aliases: expected a list of strings`, where);
    for (const k of ['aneTops', 'bandwidthGBps', 'workingSetMB', 'gpuTflops'] as const) checkFigure(e[k], `${where}.${k}`);
    const tp = e.topsPrecision as Partial<Provenanced<string>> | undefined;
    if (tp?.value !== 'fp16' && tp?.value !== 'int8') dataError(`${where}.topsPrecision.value: expected 'fp16' or 'int8', found ${JSON.stringify(tp?.value)}`, where);
    if (typeof tp.provenance !== 'string' || tp.provenance.length === 0) dataError(`${where}.topsPrecision.provenance: every figure needs its provenance`, where);
    for (const name of [id, ...e.aliases]) {
      const key = name.toLowerCase();
      if (seen.has(key)) dataError(`${where}: name '${name}' is also used by ${seen.get(key)}`, where);
      seen.set(key, id);
    }
  }
  if (d.fit === null || typeof d.fit !== 'object') dataError('fit: expected an object', 'fit');
  return d as CostModelData;
}

/** The committed data file, validated once. */
export const COST_MODEL: CostModelData = validateCostModel(COST_MODEL_JSON);

/** The parameters of `data` (default: the committed file), optionally with some fitted values replaced. */
export function costParameters(data: CostModelData = COST_MODEL, override: Partial<Record<FittedName, number>> = {}): CostParameters {
  const out: Record<string, number> = {};
  for (const n of FITTED_PARAMETERS) out[n] = override[n] ?? data.fitted[n].value;
  for (const n of PRIOR_PARAMETERS) out[n] = data.priors[n].value;
  return out as CostParameters;
}

/** The profile ids in file order (e.g. `a14`, ..., `m4max`). */
export function deviceIds(data: CostModelData = COST_MODEL): string[] {
  return Object.keys(data.devices);
}

/** `a17pro (iphone15pro, iphone15promax)`, one per profile: for help texts and errors. */
export function describeDevices(data: CostModelData = COST_MODEL): string {
  return Object.entries(data.devices)
    .map(([id, e]) => (e.aliases.length ? `${id} (${e.aliases.join(', ')})` : id))
    .join('; ');
}

/** The profile id for a name or alias (case-insensitive); `E_ANALYSIS_DEVICE` naming every profile otherwise. */
export function resolveDeviceId(name: string, data: CostModelData = COST_MODEL): string {
  const key = String(name).toLowerCase().replace(/[\s_]/g, '');
  for (const [id, e] of Object.entries(data.devices)) {
    if (id === key || e.aliases.some((a) => a.toLowerCase() === key)) return id;
  }
  throw passError('E_ANALYSIS_DEVICE', `unknown device '${name}'; profiles (aliases in parentheses): ${describeDevices(data)}`, {
    where: String(name),
    details: { found: String(name), allowed: deviceIds(data) },
  });
}

/** A device resolved into SI units for costing. */
export function deviceModel(name: string, data: CostModelData = COST_MODEL): DeviceModel {
  const id = resolveDeviceId(name, data);
  const e = data.devices[id]!;
  const opsPerSecond = e.aneTops.value * 1e12;
  // One MAC is two operations; an int8-rated figure counts int8 ops, which run at twice fp16.
  const macPerSecond = opsPerSecond / 2 / (e.topsPrecision.value === 'int8' ? 2 : 1);
  return {
    id,
    name: e.name,
    macPerSecond,
    bandwidthBytesPerSecond: e.bandwidthGBps.value * 1e9,
    workingSetBytes: e.workingSetMB.value * 1024 * 1024,
    gpuFlopsPerSecond: e.gpuTflops.value * 1e12,
  };
}
