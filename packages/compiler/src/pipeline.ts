/**
 * `compile(source, options)`: the whole pipeline, from a source to `.mlpackage` files. For each
 * unit of the source: build, passes, weight compression, I/O precision, image inputs, lowering
 * and the atomic write, then a read-back of the package; a typed event stream reports progress
 * and the result holds the summary and the report.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type FloatDType, type Program, numel, printProgram, writeFileAtomic } from '@fastvlm/graph';
import { type CompileProgress, DEFAULT_TARGET, type FsLayer, type InputOptions, type LowerOptions, TARGETS, type Target, compileToMlPackage, ioError, milOpTotals, printMil, readMlPackage, targetInfo } from '@fastvlm/emit-coreml';
import { type AnalysisReport, type CostModelData, DEFAULT_DEVICE, type PassRegistry, analyzeProgram } from '@fastvlm/ane-passes';
import { type SourceAnalysis, checkDevice, mergeAnalyses } from './analysis.js';
import { writeAnalysisHtml } from './report-page.js';
import { type CompressSpec, parseCompressSpec } from './compress-spec.js';
import { type CompressionReport, checkCompressTarget } from './compress.js';
import { optionError } from './errors.js';
import type { CompileEvent, CompilePhase } from './events.js';
import { directorySize, writeTextFile } from './files.js';
import { type ImageInputMode, type ImageInputSpec, imageInputOptions } from './image-input.js';
import type { IoChange } from './io-precision.js';
import type { PassesOption } from './passes.js';
import { prepareUnit } from './prepare.js';
import { type CompileReport, buildReport } from './report.js';
import { type CompileSource, resolveSource } from './source.js';
import { type FunctionReport, functionStats } from './stats.js';
import type { CompileUnit } from './units.js';

/** Options of {@link compile}. */
export interface CompileOptions {
  /** Output directory (created if missing). Existing packages are replaced atomically. */
  readonly out: string;
  /** Deployment target (default ios18). */
  readonly target?: Target;
  /**
   * Compute precision (default fp16, what the Neural Engine computes in). FastVLM is built at it;
   * a given Program in fp32 is converted by the `to-fp16` pass (function I/O kept). fp32 leaves
   * `to-fp16` out of the pipeline.
   */
  readonly precision?: FloatDType;
  /** Pass pipeline: `none` (default), a preset name (`cleanup`, `ane`) or custom steps. */
  readonly passes?: PassesOption;
  /** Where the names of custom steps are looked up (default: the built-in passes). */
  readonly passRegistry?: PassRegistry;
  /** Weight compression: a setting such as `lut4,lm_head=lut6`, parsed or as text. */
  readonly compress?: string | CompressSpec;
  /**
   * Image inputs of the source (FastVLM's `images`): `rgb` (FastVLM's default), `bgr`, `tensor`
   * (an fp32 multiarray), or a layout with its own scale and bias.
   */
  readonly imageInput?: ImageInputMode | ImageInputSpec;
  /** Write `<out>/<name>-report.json` (the result holds the report either way). */
  readonly report?: boolean;
  /**
   * Device profile of the ANE analysis (`a17pro`, `m4`, `iphone15pro`...; see `deviceIds` of
   * @fastvlm/ane-passes). With it, or with `report`, every function of the programs as lowered is
   * analyzed (default device a17pro) and the result and report hold the analysis.
   */
  readonly device?: string;
  /**
   * Also write the report page here: one self-contained HTML file with the analysis (on
   * `device`, default a17pro), the statistics before and after the passes, and the packages'
   * weights. Implies the analysis; the page is written after the packages.
   */
  readonly html?: string;
  /** Cost-model data of the analysis (default the committed parameter file; see `readCostModel`). */
  readonly costModel?: CostModelData;
  /** Write each unit's IR before and after every pass, the final IR and its MIL into `<dumpIr>/<unit>/`. */
  readonly dumpIr?: string;
  /** Receives the progress events. */
  readonly onProgress?: (event: CompileEvent) => void;
  /** File-system layer for the package writes (tests inject failures). */
  readonly fs?: FsLayer;
  /** Millisecond clock for the timings (default `performance.now`). */
  readonly now?: () => number;
}

/** One written package. */
export interface PackageSummary {
  /** The unit it holds (`vision`, `llm`, or the program's name). */
  readonly part: string;
  /** File name, e.g. `fastvlm-0.5b-llm.mlpackage`. */
  readonly package: string;
  /** Absolute path. */
  readonly path: string;
  /** Function names as stored (a single-function package calls its function `main`). */
  readonly functions: readonly string[];
  /** The IR functions the package holds. */
  readonly sourceFunctions: readonly string[];
  /** MIL operations other than `const`, read back from the package. */
  readonly ops: number;
  /** MIL `const` operations. */
  readonly consts: number;
  /** Model parameters its functions use (for FastVLM: checkpoint tensors, BatchNorm statistics excluded). */
  readonly parameters: number;
  /** Size of weight.bin (shared weights stored once). */
  readonly weightBytes: number;
  /** Size of the whole package directory. */
  readonly packageBytes: number;
  /** Wall time of this package, with the build and passes of its unit for the first package of a unit. */
  readonly timeMs: number;
}

/** What a compression did to one unit (see the compression passes of @fastvlm/ane-passes). */
export interface CompressionSummary {
  readonly compressed: number;
  readonly elements: number;
  readonly adjusted: readonly string[];
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

/** What {@link compile} produced. */
export interface CompileResult {
  /** The model's name (`fastvlm-0.5b`, a program's name). */
  readonly name: string;
  /** Absolute output directory. */
  readonly out: string;
  readonly target: Target;
  readonly precision: FloatDType;
  /** `none`, the preset's name or `custom`. */
  readonly passes: string;
  /** The compression setting as text, undefined without one. */
  readonly compress: string | undefined;
  readonly packages: readonly PackageSummary[];
  /** Per-function statistics before and after the passes. */
  readonly functions: readonly FunctionReport[];
  /** Per unit. */
  readonly compression: Readonly<Record<string, CompressionSummary>>;
  /** Remarks for the user (split packages, I/O precision, pipeline changes). */
  readonly notes: readonly string[];
  /** The report (what `report: true` writes). */
  readonly report: CompileReport;
  /** Path of the report file, when `report` was set. */
  readonly reportPath: string | undefined;
  /** Path of the report page, when `html` was set. */
  readonly htmlPath: string | undefined;
  /** The ANE analysis of the programs as lowered, with `device` or `report`. */
  readonly analysis: SourceAnalysis | undefined;
}

/** Checked options with defaults applied. */
interface Resolved {
  readonly out: string;
  readonly target: Target;
  readonly precision: FloatDType;
  readonly compress: CompressSpec | undefined;
  /** The analysis device, when one is to be analyzed. */
  readonly device: string | undefined;
  readonly now: () => number;
  readonly emit: (e: CompileEvent) => void;
}

function resolveOptions(opts: CompileOptions): Resolved {
  if (opts === null || typeof opts !== 'object') throw optionError('options', `expected an object with at least 'out', found ${JSON.stringify(opts)}`);
  if (typeof opts.out !== 'string' || opts.out === '') throw optionError('out', `expected an output directory, found ${JSON.stringify(opts.out)}`);
  const target = opts.target ?? DEFAULT_TARGET;
  if (!TARGETS.includes(target)) throw optionError('target', `unknown target ${JSON.stringify(target)}; allowed: ${TARGETS.join(', ')}`, { found: String(target), allowed: TARGETS });
  const precision = opts.precision ?? 'fp16';
  if (precision !== 'fp16' && precision !== 'fp32') throw optionError('precision', `expected fp16 or fp32, found ${JSON.stringify(precision)}`, { found: String(precision) });
  const compress = typeof opts.compress === 'string' ? parseCompressSpec(opts.compress) : opts.compress;
  if (compress) checkCompressTarget(compress, target);
  const onProgress = opts.onProgress;
  const device = opts.device !== undefined ? checkDevice(opts.device) : opts.report || opts.html !== undefined ? DEFAULT_DEVICE : undefined;
  if (opts.html !== undefined && (typeof opts.html !== 'string' || opts.html === '')) throw optionError('html', `expected the path of the page to write, found ${JSON.stringify(opts.html)}`);
  return { out: path.resolve(opts.out), target, precision, compress, device, now: opts.now ?? (() => performance.now()), emit: (e) => onProgress?.(e) };
}

function prepareOut(out: string): void {
  try {
    fs.mkdirSync(out, { recursive: true });
  } catch (e) {
    throw ioError(e, 'create the output directory', out);
  }
  if (!fs.statSync(out).isDirectory()) throw ioError(Object.assign(new Error('not a directory'), { code: 'ENOTDIR' }), 'use as the output directory', out);
}

/** Elements of the parameters that the functions `fns` of `program` use, each weight once. */
function countParameters(program: Program, fns: readonly string[], isParameter: (w: string) => boolean): number {
  const seen = new Set<string>();
  let n = 0;
  for (const name of fns) {
    for (const op of program.fn(name).body.ops) {
      const w = op.kind === 'const' ? op.attrs['weight'] : undefined;
      if (typeof w !== 'string' || seen.has(w) || !isParameter(w)) continue;
      seen.add(w);
      n += numel(program.weights.info(w).shape);
    }
  }
  return n;
}

/** The fp32 `[1, 3, H, W]` inputs of any function of `program` (static H and W), each name once. */
function imageShapedInputs(program: Program): string[] {
  const names = new Set<string>();
  for (const fn of program.functions.values()) {
    for (const v of fn.inputs) {
      const s = v.type.shape;
      if (v.type.dtype === 'fp32' && s.length === 4 && s[0] === 1 && s[1] === 3 && typeof s[2] === 'number' && typeof s[3] === 'number') names.add(v.name);
    }
  }
  return [...names];
}

function describeIoChanges(changes: readonly IoChange[]): string[] {
  const by = new Map<string, string[]>();
  for (const c of changes) {
    const key = `${c.kind} ${c.name} ${c.from} -> ${c.to}`;
    by.set(key, [...(by.get(key) ?? []), c.function]);
  }
  return [...by.entries()].map(([k, fns]) => `${k} (${fns.join(', ')})`);
}

function compressionNote(label: string, spec: CompressSpec, c: CompressionReport): string {
  const adjusted = c.adjusted.length > 3 ? `${c.adjusted.slice(0, 3).join('; ')}; and ${c.adjusted.length - 3} more (see the report)` : c.adjusted.join('; ');
  return (
    `${label}: compression ${spec.text} replaced ${c.compressed} weight constants (a weight shared by functions counts once per function)` +
    (c.adjusted.length ? `; adapted to their shape: ${adjusted}` : '') +
    (c.skipped.length ? `; left dense: ${c.skipped.map((k) => `${k.name} (${k.reason})`).join(', ')}` : '')
  );
}

/** The state of one compile run. */
class Run {
  readonly notes: string[] = [];
  readonly packages: PackageSummary[] = [];
  readonly functions: FunctionReport[] = [];
  readonly compression: Record<string, CompressionSummary> = {};
  readonly analyses: { unit: string; report: AnalysisReport }[] = [];
  /** The analyses of the programs as built, for the page's before/after (with `html` and passes). */
  readonly beforeAnalyses: { unit: string; report: AnalysisReport }[] = [];
  passesLabel = 'none';

  constructor(
    readonly opts: CompileOptions,
    readonly r: Resolved,
  ) {}

  note(message: string): void {
    if (this.notes.includes(message)) return;
    this.notes.push(message);
    this.r.emit({ type: 'note', message });
  }

  phase(task: string, phase: CompilePhase, detail?: string): void {
    this.r.emit(detail !== undefined ? { type: 'phase', task, phase, detail } : { type: 'phase', task, phase });
  }

  async unit(unit: CompileUnit): Promise<void> {
    const { r, opts } = this;
    const label = unit.task;
    const t0 = r.now();
    const dumpDir = opts.dumpIr !== undefined ? path.resolve(opts.dumpIr, label) : undefined;
    const prepared = await prepareUnit(
      unit,
      { precision: r.precision, target: r.target, passes: opts.passes, ...(opts.passRegistry ? { passRegistry: opts.passRegistry } : {}), compress: r.compress, imageInput: opts.imageInput, ...(dumpDir !== undefined ? { dumpDir } : {}), precomputePalettes: true },
      { phase: (phase, detail) => this.phase(label, phase, detail), note: (m) => this.note(m) },
    );
    const { original, program, imageMode, before } = prepared;
    const plan = { label: prepared.passesLabel };
    this.passesLabel = plan.label;
    if (prepared.compression) {
      const c = prepared.compression;
      this.compression[unit.part] = { compressed: c.compressed, elements: c.elements, adjusted: c.adjusted, skipped: c.skipped };
      this.note(compressionNote(label, r.compress!, c));
    }
    if (prepared.ioChanges.length) this.note(`${label}: ${describeIoChanges(prepared.ioChanges).join('; ')}`);
    if (r.device !== undefined) {
      const how = { device: r.device, ...(opts.costModel ? { costModel: opts.costModel } : {}) };
      this.analyses.push({ unit: unit.part, report: analyzeProgram(program, how) });
      // The program as built is untouched once a pass copied it (see prepareUnit).
      if (opts.html !== undefined && prepared.passesLabel !== 'none' && program !== original) this.beforeAnalyses.push({ unit: unit.part, report: analyzeProgram(original, how) });
    }

    // One package per unit, or per function where multifunction models do not exist.
    const fnNames = [...program.functions.keys()];
    const multifunction = targetInfo(r.target).specVersion >= 9;
    const groups = fnNames.length > 1 && !multifunction ? fnNames.map((fn) => ({ file: `${label}-${fn}.mlpackage`, functions: [fn] })) : [{ file: `${label}.mlpackage`, functions: fnNames }];
    if (groups.length > 1) {
      this.note(
        `${label}: ${r.target} has no multifunction models (they need ios18), so each function is its own package: ${groups.map((g) => g.file).join(', ')}; functions that share weights each carry a copy`,
      );
    }
    const inputs: Record<string, InputOptions> = { ...unit.inputs };
    const imageNames = unit.imageInputs === 'auto' ? imageShapedInputs(program) : unit.imageInputs;
    if (unit.imageInputs === 'auto' && imageMode !== 'tensor' && imageNames.length === 0) this.note(`${label}: no fp32 [1, 3, H, W] input to declare as an ${imageMode} image; the inputs stay tensors`);
    for (const [name, o] of Object.entries(imageInputOptions(imageNames, opts.imageInput, unit.defaultImageInput))) inputs[name] = { ...(inputs[name] ?? {}), ...o };
    let partStart = t0;
    for (const g of groups) {
      const dest = path.join(r.out, g.file);
      const task = g.file.replace(/\.mlpackage$/, '');
      const metadata = unit.metadata({ functions: g.functions, precision: r.precision, passes: plan.label, compress: r.compress?.text ?? 'none', imageInput: imageMode });
      const present = Object.fromEntries(Object.entries(inputs).filter(([n]) => g.functions.some((f) => program.fn(f).inputs.some((v) => v.name === n))));
      const lowerOpts: LowerOptions = { target: r.target, functions: g.functions, metadata, ...(Object.keys(present).length ? { inputs: present } : {}) };
      if (dumpDir !== undefined) writeTextFile(path.join(dumpDir, `${task}.mil`), printMil(program, lowerOpts));
      this.phase(task, 'lower', r.target);
      let wrote = false;
      const stats = await compileToMlPackage(program, dest, {
        ...lowerOpts,
        ...(opts.fs ? { fs: opts.fs } : {}),
        onProgress: (p: CompileProgress) => {
          if (p.phase === 'weights') r.emit({ type: 'bytes', task, phase: 'weights', done: p.bytesDone, total: p.bytesTotal });
          if (!wrote && p.bytesDone === p.bytesTotal && (p.phase === 'weights' || p.blobsTotal === 0)) {
            wrote = true;
            r.emit({ type: 'phase', task, phase: 'write', bytes: p.bytesTotal });
          }
        },
      });
      // Read the package back: proves it parses and gives the MIL op counts.
      const counts = milOpTotals(readMlPackage(dest).model);
      const timeMs = r.now() - partStart;
      partStart = r.now();
      const summary: PackageSummary = {
        part: unit.part,
        package: g.file,
        path: dest,
        functions: stats.functions,
        sourceFunctions: g.functions,
        ops: counts.ops,
        consts: counts.consts,
        parameters: countParameters(original, g.functions, unit.isParameter),
        weightBytes: stats.weightFileBytes,
        packageBytes: directorySize(dest),
        timeMs,
      };
      this.packages.push(summary);
      for (const fn of g.functions) this.functions.push({ part: unit.part, package: g.file, function: fn, before: before.get(fn)!, after: functionStats(program.fn(fn)) });
      r.emit({ type: 'package', task, package: summary });
    }
  }
}

/**
 * Compiles `source` into `.mlpackage` files in `options.out`: a Program built with the DSL, a
 * FastVLM preset name, or a source description ({@link CompileSource}). Each unit of the source
 * is built, optimized (`passes`), compressed (`compress`), given its I/O precision and image
 * inputs, lowered for `target` and written atomically (a failed write leaves the previous
 * package intact), then read back. Progress goes to `onProgress`; the result holds the
 * summary, the per-function statistics and the report. Errors are coded: `E_COMPILE_OPTION`,
 * `E_COMPILE_SOURCE`, and those of the stages (`E_LOWER_*`, `E_PASS_*`, `E_IO`, `E_NO_SPACE`,
 * `E_CHECKPOINT_*`...).
 *
 * ```ts
 * import { compile } from '@fastvlm/compiler';
 * const result = await compile('fastvlm-0.5b', { out: 'build', passes: 'ane', compress: 'lut4' });
 * for (const p of result.packages) console.log(p.package, p.weightBytes);
 * ```
 */
export async function compile(source: CompileSource, options: CompileOptions): Promise<CompileResult> {
  const r = resolveOptions(options);
  const run = new Run(options, r);
  prepareOut(r.out);
  if (r.compress !== undefined && r.target !== 'ios18' && [r.compress.default, ...r.compress.rules.map((x) => x.mode)].some((m) => m === 'lut4' || m === 'lut6')) {
    run.note(`compression on ${r.target}: look-up tables are one per tensor (grouped tables need ios18)`);
  }
  const resolved = resolveSource(source, r.precision, (label, detail) => run.phase(label, 'load', detail));
  for (const n of resolved.notes) run.note(n);
  for (const unit of resolved.units) await run.unit(unit);

  const partial = {
    name: resolved.name,
    out: r.out,
    target: r.target,
    precision: r.precision,
    passes: run.passesLabel,
    compress: r.compress?.text,
    packages: run.packages,
    functions: run.functions,
    compression: run.compression,
    notes: run.notes,
  };
  const analysis = r.device !== undefined ? mergeAnalyses(resolved.name, run.analyses, { precision: r.precision, passes: run.passesLabel, compress: r.compress?.text ?? null, notes: [] }) : undefined;
  const report = buildReport({ ...partial, analysis }, resolved.reportOptions);
  let reportPath: string | undefined;
  if (options.report) {
    reportPath = path.join(r.out, `${resolved.name}-report.json`);
    writeFileAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  }
  let htmlPath: string | undefined;
  if (options.html !== undefined && analysis !== undefined) {
    htmlPath = path.resolve(options.html);
    const before = run.beforeAnalyses.length === run.analyses.length && run.analyses.length > 0 ? mergeAnalyses(resolved.name, run.beforeAnalyses, { precision: r.precision, passes: 'none', compress: null, notes: [] }) : undefined;
    writeAnalysisHtml(htmlPath, analysis, { compile: partial, ...(before ? { before } : {}), ...(options.costModel ? { costModel: options.costModel } : {}) });
  }
  return { ...partial, analysis, report, reportPath, htmlPath };
}
