/**
 * `analyzeProgram`: rule checking, placement and the cost model over every function of a
 * program, for one device profile.
 * @module
 */
import { type Program, byteSize, fmtType, numel } from '@fastvlm/graph';
import { passError } from '../errors.js';
import { type FunctionTime, functionTime, weightsResident } from './cost.js';
import { COST_MODEL, type CostModelData, type DeviceModel, costParameters, deviceModel } from './devices.js';
import { type FunctionPlan, planFunction } from './placement.js';
import { aneRule } from './rules.js';
import type { AnalysisReport, Finding, FunctionReport, OpReport, SegmentReport } from './types.js';

/** The device `fastvlm analyze` and `compile --report` use when none is given. */
export const DEFAULT_DEVICE = 'a17pro';

/** iOS keeps weight files under about 1 GB (decimal, as ANEMLL sizes its chunks). */
export const WEIGHT_FILE_WARN_BYTES = 1e9;
/** The ANE compiler refuses weight files above 2 GiB. */
export const WEIGHT_FILE_MAX_BYTES = 2 ** 31;

/** Options of {@link analyzeProgram}. */
export interface AnalyzeOptions {
  /** Device profile id or alias (default {@link DEFAULT_DEVICE}); see `deviceIds()`. */
  readonly device?: string;
  /**
   * Size of the weight file (e.g. a lifted package's weight.bin), for the file-size rules.
   * Default: the stored bytes of every distinct weight the program reads.
   */
  readonly weightFileBytes?: number;
  /** Functions to analyze, in this order (default all, in program order). */
  readonly functions?: readonly string[];
  /** Cost-model data (default: the committed parameter file). */
  readonly costModel?: CostModelData;
}

const KNOWN_OPTIONS = new Set(['device', 'weightFileBytes', 'functions', 'costModel']);

/** Bytes of the weights the program reads, each stored tensor once (compressed ones at their compressed size). */
export function programWeightBytes(program: Program): number {
  const seen = new Set<string>();
  let total = 0;
  for (const fn of program.functions.values()) {
    for (const op of fn.body.ops) {
      if (op.kind !== 'const') continue;
      const t = op.outputs[0]!.type;
      const w = op.attrs['weight'];
      if (typeof w === 'string') {
        if (seen.has(w)) continue;
        seen.add(w);
      }
      const shape = t.shape.map((d) => (typeof d === 'number' ? d : 1));
      total += byteSize(t.dtype, numel(shape));
    }
  }
  return total;
}

function programFindings(bytes: number): Finding[] {
  const gb = (n: number): string => `${(n / 1e9).toFixed(2)} GB`;
  const make = (id: 'weight-file-large' | 'weight-file-too-large', message: string): Finding => {
    const r = aneRule(id);
    return { rule: r.id, severity: r.severity, function: null, op: null, kind: null, value: null, shapes: '', message, fix: r.fix ?? null };
  };
  if (bytes > WEIGHT_FILE_MAX_BYTES) return [make('weight-file-too-large', `weights of ${gb(bytes)} exceed the 2 GiB the ANE compiler accepts in one file`)];
  if (bytes > WEIGHT_FILE_WARN_BYTES) return [make('weight-file-large', `weights of ${gb(bytes)} exceed the 1 GB per file iOS deployments keep to`)];
  return [];
}

const ms = (s: number): number => s * 1e3;

/** The report of one planned and timed function. */
export function functionReport(plan: FunctionPlan, time: FunctionTime, device: DeviceModel): FunctionReport {
  const ops: OpReport[] = plan.ops.map((o, i) => {
    const t = time.perOp[i]!;
    const bound: OpReport['bound'] = t.total === 0 ? 'none' : t.overhead > Math.max(t.compute, t.memory) ? 'overhead' : t.compute >= t.memory ? 'compute' : 'memory';
    return {
      name: o.name,
      kind: o.op.kind,
      scope: o.scope,
      cost_class: o.unit === 'const' ? 'const' : o.cost.costClass,
      unit: o.unit,
      fallback_rule: o.fallbackRule,
      segment: o.segment,
      fused_into: o.fusedInto,
      output: o.op.outputs.map((v) => fmtType(v.type)).join(', '),
      macs: o.cost.work,
      activation_bytes: o.unit === 'ane' || o.unit === 'const' ? o.cost.activationBytes : o.cost.denseActivationBytes,
      weight_bytes: o.cost.weightBytes,
      compute_ms: ms(t.compute),
      memory_ms: ms(t.memory),
      overhead_ms: ms(t.overhead),
      latency_ms: ms(t.total),
      bound,
    };
  });
  const segments: SegmentReport[] = plan.segments.map((s, i) => ({ index: i, unit: s.unit, ops: s.ops, latency_ms: ms(time.perSegment[i]!), input_bytes: s.inputBytes, output_bytes: s.outputBytes }));
  const executed = plan.ops.filter((o) => o.unit !== 'const');
  const busy = time.ops + time.transfer;
  let macs = 0;
  let weightBytes = 0;
  let activationBytes = 0;
  for (const o of executed) {
    if (o.cost.family === 'dense' || o.cost.family === 'depthwise') macs += o.cost.work;
    weightBytes += o.cost.weightBytes;
    activationBytes += o.unit === 'ane' ? o.cost.activationBytes : o.cost.denseActivationBytes;
  }
  return {
    latency_ms: ms(time.total),
    ane_fraction: busy > 0 ? time.ane / busy : executed.every((o) => o.unit === 'ane') ? 1 : 0,
    ane_op_fraction: executed.length ? executed.filter((o) => o.unit === 'ane').length / executed.length : 1,
    segments: plan.segments.length,
    segment_list: segments,
    boundary_bytes: plan.boundaryBytes,
    transfer_ms: ms(time.transfer),
    dispatch_ms: ms(time.dispatch),
    macs,
    weight_bytes: weightBytes,
    activation_bytes: activationBytes,
    weights_resident: weightsResident(plan, device),
    roofline_ms: ms(Math.max(macs / device.macPerSecond, weightBytes / device.bandwidthBytesPerSecond)),
    findings: plan.findings,
    ops,
  };
}

function checkOptions(opts: AnalyzeOptions): void {
  if (opts === null || typeof opts !== 'object') throw passError('E_ANALYSIS_OPTION', 'analysis options must be an object', { where: 'options' });
  for (const k of Object.keys(opts)) {
    if (!KNOWN_OPTIONS.has(k)) throw passError('E_ANALYSIS_OPTION', `unknown analysis option '${k}'; known: ${[...KNOWN_OPTIONS].join(', ')}`, { where: k });
  }
  const w = opts.weightFileBytes;
  if (w !== undefined && (typeof w !== 'number' || !Number.isFinite(w) || w < 0)) {
    throw passError('E_ANALYSIS_OPTION', `weightFileBytes must be a non-negative number, found ${JSON.stringify(w)}`, { where: 'weightFileBytes' });
  }
  if (opts.functions !== undefined && (!Array.isArray(opts.functions) || opts.functions.some((f) => typeof f !== 'string'))) {
    throw passError('E_ANALYSIS_OPTION', 'functions must be a list of function names', { where: 'functions' });
  }
}

/** Plans (checks, places and segments) the functions of a program: the device-independent part of the analysis. */
export function planProgram(program: Program, functions?: readonly string[]): FunctionPlan[] {
  const names = functions ?? [...program.functions.keys()];
  return names.map((n) => {
    const fn = program.functions.get(n);
    if (!fn) throw passError('E_ANALYSIS_OPTION', `no function named '${n}'; the program has ${[...program.functions.keys()].join(', ')}`, { where: n });
    return planFunction(fn);
  });
}

/**
 * Analyzes every function of `program` for one device: the rule findings, a compute unit per
 * op, the segments and their boundary bytes, and the modeled latency per op and per function.
 * The program is only read. An unknown device is an `E_ANALYSIS_DEVICE` error naming the profiles.
 */
export function analyzeProgram(program: Program, opts: AnalyzeOptions = {}): AnalysisReport {
  checkOptions(opts);
  const data = opts.costModel ?? COST_MODEL;
  const device = deviceModel(opts.device ?? DEFAULT_DEVICE, data);
  const params = costParameters(data);
  const weightFileBytes = opts.weightFileBytes ?? programWeightBytes(program);
  const functions: Record<string, FunctionReport> = {};
  let total = 0;
  for (const plan of planProgram(program, opts.functions)) {
    const time = functionTime(plan, device, params);
    functions[plan.name] = functionReport(plan, time, device);
    total += time.total;
  }
  return { device: device.id, device_name: device.name, latency_ms: ms(total), functions, findings: programFindings(weightFileBytes), weight_file_bytes: weightFileBytes };
}
