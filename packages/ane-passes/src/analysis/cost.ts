/**
 * The latency cost model. On the ANE an op takes
 * `max(compute, memory) + opOverhead`, with
 * - compute = work / (fp16 MAC peak x the efficiency of its family: dense, depthwise or vector),
 *   where a depthwise conv's work is its outputs x taps^e (taps = kh x kw, e the fitted tap
 *   exponent: 1 when the cost grows with the kernel, 0 when only the outputs count);
 * - memory = weight bytes / (DRAM bandwidth, times the on-chip factor when the whole function's
 *   weights fit the on-chip working set and so stay resident between predictions) + activation
 *   bytes / (DRAM bandwidth, times the on-chip factor when the op's activations fit the working set).
 * Views that keep the last axis are free; an elementwise op fused into the pipeline of the op
 * before it (see placement) pays no per-op overhead. A fallback op (its bytes unpadded) costs the same way at the GPU's (fp32
 * peak x an assumed efficiency) or CPU's profile with its own dispatch overhead. A prediction
 * pays one dispatch, and each further segment another dispatch plus its input bytes at the DRAM
 * bandwidth.
 * @module
 */
import type { CostParameters, DeviceModel } from './devices.js';
import type { OpCost } from './op-model.js';
import type { FunctionPlan } from './placement.js';
import type { Placement } from './types.js';

/** One op's modeled time, in seconds. */
export interface OpTime {
  readonly compute: number;
  readonly memory: number;
  readonly overhead: number;
  readonly total: number;
}

const ZERO: OpTime = { compute: 0, memory: 0, overhead: 0, total: 0 };

/** The modeled time of one op on `unit`. */
export function opTime(cost: OpCost, unit: Placement, d: DeviceModel, p: CostParameters, fused = false, residentWeights = false): OpTime {
  if (unit === 'const' || cost.family === 'free' || cost.family === 'constant') return ZERO;
  const bw = d.bandwidthBytesPerSecond;
  let compute: number;
  let memory: number;
  let overhead: number;
  if (unit === 'ane') {
    const eff = cost.family === 'dense' ? p.denseEfficiency : cost.family === 'depthwise' ? p.depthwiseEfficiency : p.vectorEfficiency;
    const work = cost.family === 'depthwise' && cost.taps > 1 ? cost.work * cost.taps ** (p.depthwiseTapExponent - 1) : cost.work;
    compute = cost.family === 'memory' ? 0 : work / (d.macPerSecond * eff);
    const onChip = cost.activationBytes <= d.workingSetBytes ? p.onChipBandwidthFactor : 1;
    memory = cost.weightBytes / (residentWeights ? bw * p.onChipBandwidthFactor : bw) + cost.activationBytes / (bw * onChip);
    overhead = fused ? 0 : p.opOverheadUs * 1e-6;
  } else {
    // Dense work is MACs (two flops each); vector work is one flop per element operation.
    const flops = cost.family === 'dense' || cost.family === 'depthwise' ? 2 * cost.work : cost.work;
    compute = unit === 'gpu' ? flops / (d.gpuFlopsPerSecond * p.fallbackEfficiency) : flops / (p.cpuGops * 1e9);
    // No 64-byte padding off the ANE.
    memory = (cost.weightBytes + cost.denseActivationBytes) / bw;
    overhead = (unit === 'gpu' ? p.gpuOpOverheadUs : p.cpuOpOverheadUs) * 1e-6;
  }
  return { compute, memory, overhead, total: Math.max(compute, memory) + overhead };
}

/** True when the weights the function's ANE ops stream fit the device's on-chip working set (they then stay resident). */
export function weightsResident(plan: FunctionPlan, d: DeviceModel): boolean {
  return plan.aneWeightBytes <= d.workingSetBytes;
}

/** A function's modeled time, in seconds. */
export interface FunctionTime {
  readonly total: number;
  readonly dispatch: number;
  readonly transfer: number;
  /** Time of the ops on the ANE. */
  readonly ane: number;
  /** Time of all ops. */
  readonly ops: number;
  /** Per op of the plan, in plan order. */
  readonly perOp: readonly OpTime[];
  /** Per segment: the sum of its ops. */
  readonly perSegment: readonly number[];
}

/** Times a planned function on a device. */
export function functionTime(plan: FunctionPlan, d: DeviceModel, p: CostParameters): FunctionTime {
  const perOp: OpTime[] = [];
  const perSegment = new Array<number>(plan.segments.length).fill(0);
  const resident = weightsResident(plan, d);
  let ane = 0;
  let ops = 0;
  for (const o of plan.ops) {
    const t = opTime(o.cost, o.unit, d, p, o.fusedInto !== null, resident);
    perOp.push(t);
    ops += t.total;
    if (o.unit === 'ane') ane += t.total;
    if (o.segment !== null) perSegment[o.segment]! += t.total;
  }
  const dispatch = p.dispatchUs * 1e-6;
  const extra = Math.max(0, plan.segments.length - 1);
  const transfer = extra * dispatch + plan.boundaryBytes / d.bandwidthBytesPerSecond;
  return { total: dispatch + ops + transfer, dispatch, transfer, ane, ops, perOp, perSegment };
}

/** Total modeled seconds of a planned function: the fast path the calibration fit calls. */
export function functionSeconds(plan: FunctionPlan, d: DeviceModel, p: CostParameters): number {
  let ops = 0;
  const resident = weightsResident(plan, d);
  for (const o of plan.ops) ops += opTime(o.cost, o.unit, d, p, o.fusedInto !== null, resident).total;
  const dispatch = p.dispatchUs * 1e-6;
  return dispatch + ops + Math.max(0, plan.segments.length - 1) * dispatch + plan.boundaryBytes / d.bandwidthBytesPerSecond;
}
