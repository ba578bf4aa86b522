/**
 * `fastvlm compile`: turns the flags into a source and options of @fastvlm/compiler's
 * `compile`, renders its progress events, and prints the summary (and with `--report` the
 * per-function tables).
 * @module
 */
import * as path from 'node:path';
import { type CompileOptions, type CompileResult, type CompileSource, compile, readCostModel } from '@fastvlm/compiler';
import { formatBytes, formatMs, formatTable, groupDigits } from '../format.js';
import type { CliIo } from '../io.js';
import { loadModuleSource } from '../module-source.js';
import { Progress } from '../progress.js';
import { formatAnalysis } from '@fastvlm/ane-passes';
import { formatReport } from '../report.js';
import { type CompileArgs, usageOf } from './compile-spec.js';

/** The compile source the flags name. */
async function sourceOf(args: CompileArgs): Promise<CompileSource> {
  if (args.module !== undefined) {
    const src = await loadModuleSource(args.module, args.exportName);
    // --image-input on a module: its fp32 [1, 3, H, W] inputs become images.
    return args.imageInput !== undefined && args.imageInput !== 'tensor' ? { ...src, imageInputs: 'auto' } : src;
  }
  if (args.zoo !== undefined) return { kind: 'zoo', model: args.zoo, seed: args.seed };
  return {
    kind: 'fastvlm',
    ...(args.model !== undefined ? { model: args.model } : {}),
    ...(args.checkpoint !== undefined ? { checkpoint: args.checkpoint } : {}),
    parts: args.parts,
    seed: args.seed,
    ...(args.resolution !== undefined ? { resolution: args.resolution } : {}),
    ...(args.contextLength !== undefined ? { contextLength: args.contextLength } : {}),
    ...(args.prefillLength !== undefined ? { prefillLength: args.prefillLength } : {}),
  };
}

/** Compiles what the flags say, with progress on stderr; see `compile` of @fastvlm/compiler. */
export async function runCompile(args: CompileArgs, io: CliIo): Promise<CompileResult> {
  const progress = new Progress(io);
  const options: CompileOptions = {
    out: args.out,
    target: args.target,
    precision: args.precision,
    passes: args.passes,
    ...(args.compress !== undefined ? { compress: args.compress } : {}),
    ...(args.imageInput !== undefined ? { imageInput: args.imageInput } : {}),
    report: args.report,
    ...(args.device !== undefined ? { device: args.device } : {}),
    ...(args.html !== undefined ? { html: args.html } : {}),
    ...(args.costModel !== undefined ? { costModel: readCostModel(args.costModel) } : {}),
    ...(args.dumpIr !== undefined ? { dumpIr: args.dumpIr } : {}),
    ...(io.fs ? { fs: io.fs } : {}),
    now: () => io.now(),
    onProgress: (e) => progress.event(e),
  };
  const source = await sourceOf(args);
  try {
    return await compile(source, options);
  } catch (e) {
    throw usageOf(e);
  }
}

/** The summary printed after a compile (stdout). */
export function formatCompileSummary(result: CompileResult, args: Pick<CompileArgs, 'report'>): string {
  const rows = result.packages.map((p) => [
    p.package,
    p.functions.length === 1 && p.sourceFunctions.length === 1 && p.functions[0] === 'main' && p.sourceFunctions[0] !== 'main' ? `main (${p.sourceFunctions[0]})` : p.functions.join(', '),
    groupDigits(p.ops),
    groupDigits(p.parameters),
    formatBytes(p.weightBytes),
    formatBytes(p.packageBytes),
    formatMs(p.timeMs),
  ]);
  const head = `Compiled ${result.name} for ${result.target} (${result.precision}, passes ${result.passes}${result.compress ? `, compress ${result.compress}` : ''}) into ${path.resolve(result.out)}\n`;
  let text = head + formatTable(['package', 'functions', 'ops', 'parameters', 'weights', 'size', 'time'], rows, ['left', 'left', 'right', 'right', 'right', 'right', 'right']);
  if (result.notes.length) text += `\nNotes:\n${result.notes.map((n) => `  - ${n}`).join('\n')}\n`;
  if (args.report) {
    text += `\n${formatReport(result.functions)}`;
    if (result.analysis) text += `\n${formatAnalysis(result.analysis, { top: 5 })}`;
    if (result.reportPath) text += `\nReport written to ${result.reportPath}\n`;
    if (result.htmlPath) text += `Report page written to ${result.htmlPath}\n`;
  }
  return text;
}
