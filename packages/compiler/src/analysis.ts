/**
 * The ANE analysis of a source (`analyze`), and of a compile's programs (the `device` option of
 * `compile`): each unit is built and run through the same passes, compression and I/O precision
 * as a compile, then judged by `analyzeProgram` of @fastvlm/ane-passes (rule findings, placement,
 * segments, modeled latency on a device profile). The result is plain JSON-serialisable data.
 * @module
 */
import { statSync } from 'node:fs';
import { DEFAULT_TARGET, TARGETS, type Target, ioError, readMlPackage } from '@fastvlm/emit-coreml';
import { type FloatDType, isFastVlmError } from '@fastvlm/graph';
import {
  type AnalysisReport,
  type AneBenchResult,
  type CostModelData,
  DEFAULT_DEVICE,
  type Finding,
  type FunctionReport as AneFunctionReport,
  LATENCY_TOTAL_NOTE,
  type PassRegistry,
  analyzeProgram,
  readBenchResult,
  resolveDeviceId,
} from '@fastvlm/ane-passes';
import { type PageMeasurement, joinMeasurement } from '@fastvlm/report';
import { type CompressSpec, parseCompressSpec } from './compress-spec.js';
import { checkCompressTarget } from './compress.js';
import { optionError } from './errors.js';
import type { PassesOption } from './passes.js';
import { prepareUnit } from './prepare.js';
import { writeAnalysisHtml } from './report-page.js';
import { type CompileSource, resolveSource } from './source.js';

/** The analysis of one function, with the unit (part) it belongs to. */
export type FunctionAnalysis = AneFunctionReport & {
  /** The unit of the source: `vision`, `llm`, or the program's name. */
  readonly unit: string;
  /** The on-device measurement joined with the model (`analyze` with `measured`), when there is one. */
  readonly measured?: PageMeasurement;
};

/**
 * The analysis of a source: every function of every unit on one device. The shape of
 * `fastvlm analyze --json`: `{ device, latency_ms, functions: { NAME: { latency_ms,
 * ane_fraction, segments, findings, ops, ... } } }` (see `AnalysisReport` of @fastvlm/ane-passes
 * for the per-function fields).
 */
export interface SourceAnalysis {
  /** The source's name (`fastvlm-0.5b`, `resnet50`, a package's name). */
  readonly model: string;
  /** Device profile id. */
  readonly device: string;
  readonly device_name: string;
  /** Sum of one prediction of every function (see {@link LATENCY_TOTAL_NOTE}). */
  readonly latency_ms: number;
  /** What `latency_ms` sums. */
  readonly latency_note: string;
  /** By function name; a name two units share is prefixed with its unit (`vision.main`). */
  readonly functions: Readonly<Record<string, FunctionAnalysis>>;
  /** Unit-level findings (weight file size), each naming its unit in `function` as `UNIT:`. */
  readonly findings: readonly Finding[];
  /** Weight bytes of all units. */
  readonly weight_file_bytes: number;
  /** Per unit: its functions (keys of `functions`) and weight bytes. */
  readonly units: readonly { readonly unit: string; readonly functions: readonly string[]; readonly weight_file_bytes: number }[];
  /** How the programs were prepared. */
  readonly precision: FloatDType;
  readonly passes: string;
  readonly compress: string | null;
  readonly notes: readonly string[];
}

/** Merges the analyses of a source's units into one {@link SourceAnalysis}. */
export function mergeAnalyses(
  model: string,
  parts: readonly { readonly unit: string; readonly report: AnalysisReport }[],
  how: { precision: FloatDType; passes: string; compress: string | null; notes: readonly string[] },
): SourceAnalysis {
  if (parts.length === 0) throw optionError('device', 'nothing to analyze: the source has no units');
  const counts = new Map<string, number>();
  for (const p of parts) for (const f of Object.keys(p.report.functions)) counts.set(f, (counts.get(f) ?? 0) + 1);
  const functions: Record<string, FunctionAnalysis> = {};
  const units: SourceAnalysis['units'][number][] = [];
  const findings: Finding[] = [];
  let latency = 0;
  let weights = 0;
  for (const p of parts) {
    const names: string[] = [];
    for (const [f, r] of Object.entries(p.report.functions)) {
      const key = counts.get(f)! > 1 ? `${p.unit}.${f}` : f;
      functions[key] = { unit: p.unit, ...r };
      names.push(key);
      latency += r.latency_ms;
    }
    for (const f of p.report.findings) findings.push({ ...f, function: `${p.unit}:` });
    weights += p.report.weight_file_bytes;
    units.push({ unit: p.unit, functions: names, weight_file_bytes: p.report.weight_file_bytes });
  }
  const first = parts[0]!.report;
  return {
    model,
    device: first.device,
    device_name: first.device_name,
    latency_ms: latency,
    latency_note: LATENCY_TOTAL_NOTE,
    functions,
    findings,
    weight_file_bytes: weights,
    units,
    ...how,
  };
}

/** The device of an option, checked: `E_COMPILE_OPTION` (option `device`) naming the profiles otherwise. */
export function checkDevice(device: unknown): string {
  if (typeof device !== 'string') throw optionError('device', `expected a device profile name, found ${JSON.stringify(device)}`);
  try {
    return resolveDeviceId(device);
  } catch (e) {
    if (isFastVlmError(e, 'E_ANALYSIS_DEVICE')) throw optionError('device', e.message, { ...e.details });
    throw e;
  }
}

/** Options of {@link analyze}. */
export interface AnalyzeOptions {
  /** Device profile or alias (default a17pro). */
  readonly device?: string;
  /** Build precision (default fp16); fp32 is what runs off the Neural Engine. */
  readonly precision?: FloatDType;
  /** Pass pipeline as for `compile` (default `none`). */
  readonly passes?: PassesOption;
  readonly passRegistry?: PassRegistry;
  /** Weight compression as for `compile`. */
  readonly compress?: string | CompressSpec;
  /** Target the compression and I/O precision are decided for (default ios18). */
  readonly target?: Target;
  /** Receives notes (pipeline changes, compression summaries). */
  readonly onNote?: (message: string) => void;
  /** Cost-model data (default the committed parameter file; `readCostModel` reads one `calibrate` wrote). */
  readonly costModel?: CostModelData;
  /**
   * An on-device measurement of the analysed package (a tools/ane-bench result, or its file):
   * joined with the model per function (placement agreement, measured vs modeled latency,
   * compute-plan cost shares next to modeled shares). Only for a package source; the result's
   * content hash must be the package's.
   */
  readonly measured?: string | AneBenchResult;
  /**
   * Also write the report page (one self-contained HTML file) here; with passes, the page shows
   * the analysis before them too.
   */
  readonly html?: string;
}

/**
 * Analyzes `source` (anything `compile` takes: a Program, a preset or zoo name, a FastVLM, zoo
 * or package description) for one device: each unit is built and prepared as a compile would
 * (passes, compression, I/O precision), never lowered or written. A package is lifted back to the
 * IR (the lifter's coded errors pass through) and its weight file's size is the one judged.
 */
export async function analyze(source: CompileSource, options: AnalyzeOptions = {}): Promise<SourceAnalysis> {
  if (options === null || typeof options !== 'object') throw optionError('options', `expected an object, found ${JSON.stringify(options)}`);
  const device = checkDevice(options.device ?? DEFAULT_DEVICE);
  const precision = options.precision ?? 'fp16';
  if (precision !== 'fp16' && precision !== 'fp32') throw optionError('precision', `expected fp16 or fp32, found ${JSON.stringify(precision)}`, { found: String(precision) });
  const target = options.target ?? DEFAULT_TARGET;
  if (!TARGETS.includes(target)) throw optionError('target', `unknown target ${JSON.stringify(target)}; allowed: ${TARGETS.join(', ')}`, { found: String(target), allowed: TARGETS });
  const compress = typeof options.compress === 'string' ? parseCompressSpec(options.compress) : options.compress;
  if (compress) checkCompressTarget(compress, target);
  const notes: string[] = [];
  const note = (m: string): void => {
    if (notes.includes(m)) return;
    notes.push(m);
    options.onNote?.(m);
  };
  const pkg = packagePath(source);
  if (options.measured !== undefined && pkg === undefined) throw optionError('measured', 'joins a measurement of a package with the analysis of that package: analyze the .mlpackage that was measured');
  const bench = typeof options.measured === 'string' ? readBenchResult(options.measured, { packagePath: pkg! }) : options.measured;
  const costModel = options.costModel;
  const resolved = resolveSource(source, precision, () => {});
  for (const n of resolved.notes) note(n);
  const parts: { unit: string; report: AnalysisReport }[] = [];
  const beforeParts: { unit: string; report: AnalysisReport }[] = [];
  let passes = 'none';
  for (const unit of resolved.units) {
    const prepared = await prepareUnit(
      unit,
      { precision, target, passes: options.passes, ...(options.passRegistry ? { passRegistry: options.passRegistry } : {}), compress, imageInput: undefined, precomputePalettes: false },
      { phase: () => {}, note },
    );
    passes = prepared.passesLabel;
    const weightFileBytes = pkg !== undefined ? packageWeightBytes(pkg) : undefined;
    const common = { device, ...(costModel ? { costModel } : {}) };
    parts.push({ unit: unit.part, report: analyzeProgram(prepared.program, { ...common, ...(weightFileBytes !== undefined ? { weightFileBytes } : {}) }) });
    // The program as built is untouched once a pass copied it (see prepareUnit).
    if (options.html !== undefined && passes !== 'none' && prepared.program !== prepared.original) beforeParts.push({ unit: unit.part, report: analyzeProgram(prepared.original, common) });
  }
  let result = mergeAnalyses(resolved.name, parts, { precision, passes, compress: compress?.text ?? null, notes });
  if (bench !== undefined) result = withMeasurement(result, bench);
  if (options.html !== undefined) {
    const before = beforeParts.length === parts.length ? mergeAnalyses(resolved.name, beforeParts, { precision, passes: 'none', compress: null, notes: [] }) : undefined;
    writeAnalysisHtml(options.html, result, { ...(before ? { before } : {}), ...(costModel ? { costModel } : {}) });
  }
  return result;
}

/** `a` with the measurement `bench` joined into the function it measured. */
export function withMeasurement(a: SourceAnalysis, bench: AneBenchResult): SourceAnalysis {
  const joined = joinMeasurement(a, bench);
  if (Object.keys(joined).length === 0) {
    const fns = Object.keys(a.functions);
    throw optionError('measured', `the measurement is of function ${JSON.stringify(bench.package.function ?? null)} with ${bench.runs.length} run(s); the package has ${fns.join(', ')}: nothing to join`, { found: String(bench.package.function), allowed: fns });
  }
  const functions = Object.fromEntries(Object.entries(a.functions).map(([n, f]) => [n, joined[n] ? { ...f, measured: joined[n]! } : f]));
  return { ...a, functions };
}

function packagePath(source: CompileSource): string | undefined {
  return typeof source === 'object' && source !== null && 'kind' in source && source.kind === 'mlpackage' ? source.path : undefined;
}

/** Size of a package's weight.bin (0 without one): a stat, never a read of a file that may be gigabytes. */
function packageWeightBytes(p: string): number {
  const pkg = readMlPackage(p);
  if (!pkg.weightsPath) return 0;
  try {
    return statSync(pkg.weightsPath).size;
  } catch (e) {
    throw ioError(e, 'read the size of', pkg.weightsPath);
  }
}
