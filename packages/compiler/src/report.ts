/**
 * The compile report: the options, the packages, each function's statistics before and after
 * the passes, the compression and the notes, as one JSON-serialisable object (what
 * `report: true` writes to `<out>/<name>-report.json`).
 * @module
 */
import type { CompileResult } from './pipeline.js';
import type { SourceAnalysis } from './analysis.js';
import type { FunctionReport } from './stats.js';

/** The report file's content. */
export interface CompileReport {
  /** The model's name. */
  readonly model: string;
  /** The options of the compile, with the source's own (FastVLM: parts, sizes, weights). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly packages: readonly {
    readonly package: string;
    readonly part: string;
    readonly functions: readonly string[];
    readonly ops: number;
    readonly consts: number;
    readonly parameters: number;
    readonly weightBytes: number;
    readonly packageBytes: number;
    readonly timeMs: number;
  }[];
  readonly functions: readonly FunctionReport[];
  readonly compression: CompileResult['compression'];
  readonly notes: readonly string[];
  /** The ANE analysis of the programs as lowered (compile's `device` or `report`); absent otherwise. */
  readonly analysis?: SourceAnalysis;
}

/** The report of a compile's result (without its own `report` fields). */
export function buildReport(result: Omit<CompileResult, 'report' | 'reportPath' | 'htmlPath' | 'analysis'> & { readonly analysis?: SourceAnalysis | undefined }, sourceOptions: Readonly<Record<string, unknown>>): CompileReport {
  const { parts, resolution, contextLength, prefillLength, weights, ...rest } = sourceOptions;
  return {
    model: result.name,
    options: {
      target: result.target,
      // FastVLM's options keep the order of earlier reports.
      ...(parts !== undefined ? { parts } : {}),
      precision: result.precision,
      passes: result.passes,
      compress: result.compress ?? null,
      ...(resolution !== undefined ? { resolution, contextLength, prefillLength, weights } : {}),
      ...rest,
    },
    packages: result.packages.map((p) => ({
      package: p.package,
      part: p.part,
      functions: p.functions,
      ops: p.ops,
      consts: p.consts,
      parameters: p.parameters,
      weightBytes: p.weightBytes,
      packageBytes: p.packageBytes,
      timeMs: Math.round(p.timeMs),
    })),
    functions: result.functions,
    compression: result.compression,
    notes: result.notes,
    ...(result.analysis !== undefined ? { analysis: result.analysis } : {}),
  };
}
