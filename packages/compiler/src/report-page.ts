/**
 * The report page of an analysis (`analyze` with `html`, `compile` with `html`): the
 * {@link SourceAnalysis} with, when there are, the analysis before the passes, a compile's
 * per-function statistics and packages, and on-device measurements, as one
 * {@link ReportPage} of @fastvlm/report, written as one self-contained HTML file.
 * @module
 */
import { COST_MODEL, type CostModelData } from '@fastvlm/ane-passes';
import { type PageMeasurement, type PagePackage, type ReportPage, calibrationOf, reportPage, writeReportHtml } from '@fastvlm/report';
import type { SourceAnalysis } from './analysis.js';
import type { FunctionReport } from './stats.js';

/** What a compile adds to the page. */
export interface CompilePageParts {
  /** Per function, the statistics before and after the passes. */
  readonly functions: readonly FunctionReport[];
  /** The packages written, for their weights' sizes and bits per weight. */
  readonly packages: readonly { readonly package: string; readonly parameters: number; readonly weightBytes: number }[];
}

/** Optional parts of {@link analysisPage}. */
export interface AnalysisPageOptions {
  /** Page title (default: the model's name and the device). */
  readonly title?: string;
  /** The analysis of the same source before the passes, for the before/after latency and op counts. */
  readonly before?: SourceAnalysis;
  /** A compile's statistics and packages. */
  readonly compile?: CompilePageParts;
  /** On-device measurements by function name (see `joinMeasurement` of @fastvlm/report); default those joined into the analysis. */
  readonly measured?: Readonly<Record<string, PageMeasurement>>;
  /** The cost model the analysis used, for its calibration figures (default the committed one). */
  readonly costModel?: CostModelData;
}

/** The analysis's key of a compiled function: its name, or `unit.name` where two units share it. */
function functionKey(a: SourceAnalysis, part: string, fn: string): string {
  return a.functions[fn]?.unit === part ? fn : `${part}.${fn}`;
}

/** The measurements `analyze` joined into the functions of `a`. */
function measurementsOf(a: SourceAnalysis): Record<string, PageMeasurement> {
  const out: Record<string, PageMeasurement> = {};
  for (const [name, f] of Object.entries(a.functions)) if (f.measured) out[name] = f.measured;
  return out;
}

/** The page of `analysis` and what goes with it. */
export function analysisPage(analysis: SourceAnalysis, options: AnalysisPageOptions = {}): ReportPage {
  const compiled = options.compile;
  const passStats = compiled
    ? Object.fromEntries(
        compiled.functions.map((f) => [
          functionKey(analysis, f.part, f.function),
          {
            before: { ops: f.before.ops, transposes: f.before.transposes, reshapes: f.before.reshapes },
            after: { ops: f.after.ops, transposes: f.after.transposes, reshapes: f.after.reshapes },
          },
        ]),
      )
    : undefined;
  const packages: PagePackage[] | undefined = compiled?.packages.map((p) => ({
    package: p.package,
    parameters: p.parameters,
    weight_bytes: p.weightBytes,
    bits_per_weight: p.parameters > 0 ? (8 * p.weightBytes) / p.parameters : 0,
  }));
  return reportPage({
    title: options.title ?? `${analysis.model} on ${analysis.device_name}`,
    analysis,
    latencyNote: analysis.latency_note,
    calibration: calibrationOf(options.costModel ?? COST_MODEL, analysis.device),
    ...(options.before ? { before: options.before } : {}),
    ...(passStats ? { passStats } : {}),
    compression: analysis.compress,
    ...(packages ? { packages } : {}),
    measured: options.measured ?? measurementsOf(analysis),
  });
}

/**
 * Writes the page of `analysis` to `file` (through a temporary sibling and a rename: a failed
 * write leaves the previous page); returns the page's size in bytes.
 */
export function writeAnalysisHtml(file: string, analysis: SourceAnalysis, options: AnalysisPageOptions = {}): number {
  return writeReportHtml(file, analysisPage(analysis, options));
}
