/**
 * `fastvlm compile`: build each part, run the passes, compress, fix the I/O precision, lower
 * and write the packages, then print a summary (and with `--report` the per-function tables and
 * a JSON file next to the packages).
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Func, type Program, type WeightStore, numel, printProgram } from '@fastvlm/graph';
import { type FastVlmConfig, type ModelPart, buildFastVlm, isBufferName, isCheckpointName, loadCheckpoint, resolveConfig } from '@fastvlm/models';
import { type CompileStats, type LowerOptions, compileToMlPackage, ioError, printMil, readMlPackage, targetInfo } from '@fastvlm/emit-coreml';
import { PRESETS, PassManager, type PipelineResult, isolateProgram } from '@fastvlm/ane-passes';
import { type CompressionReport, applyCompression, precomputeCompression } from '../compress-apply.js';
import { formatBytes, formatMs, formatTable, groupDigits } from '../format.js';
import { type IoChange, applyIoPrecision } from '../io-precision.js';
import type { CliIo } from '../io.js';
import { Progress } from '../progress.js';
import { type FunctionReport, type FunctionStats, formatReport, functionStats } from '../report.js';
import type { CompileOptions } from './compile-spec.js';

/** One written package. */
export interface PackageSummary {
  readonly part: ModelPart;
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
  /** Checkpoint parameters the package's functions use (BatchNorm statistics excluded). */
  readonly parameters: number;
  /** Size of weight.bin (shared weights stored once). */
  readonly weightBytes: number;
  /** Size of the whole package directory. */
  readonly packageBytes: number;
  /** Wall time of this package, with the build and passes of its part for the first package of a part. */
  readonly timeMs: number;
}

/** What a compile produced. */
export interface CompileResult {
  readonly packages: readonly PackageSummary[];
  /** Per-function statistics (always computed; printed and written with `--report`). */
  readonly reports: readonly FunctionReport[];
  /** Path of the report JSON, when `--report` was given. */
  readonly reportPath: string | undefined;
  /** Remarks for the user (split packages, I/O precision, pipeline changes). */
  readonly notes: readonly string[];
}

/** Description of a part for package metadata. */
function partDescription(model: string, part: ModelPart, shapes: { resolution: number; contextLength: number; prefillLength: number }, precision: string): string {
  return part === 'vision'
    ? `FastVLM ${model} vision encoder (FastViTHD + mlp2x_gelu projector): ${shapes.resolution}x${shapes.resolution} image -> image features, ${precision}`
    : `FastVLM ${model} language model (Qwen2): embed (${shapes.prefillLength} tokens), embed_token (1 token), prefill (${shapes.prefillLength} tokens), decode (context ${shapes.contextLength}), ${precision}`;
}

/** Checkpoint parameters referenced by `fns` (each once). */
function countFunctionParameters(program: Program, fns: readonly Func[]): number {
  const seen = new Set<string>();
  let n = 0;
  for (const fn of fns) {
    for (const op of fn.body.ops) {
      const w = op.kind === 'const' ? op.attrs['weight'] : undefined;
      if (typeof w !== 'string' || seen.has(w) || !isCheckpointName(w) || isBufferName(w)) continue;
      seen.add(w);
      n += numel(program.weights.info(w).shape);
    }
  }
  return n;
}

/** Total size of the files under `dir`. */
function dirSize(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? dirSize(p) : fs.statSync(p).size;
  }
  return n;
}

/** The pipeline of `--passes`; with fp32 precision the final fp16 conversion is left out. */
function passManager(name: string, precision: string, notes: string[]): PassManager {
  const preset = (PRESETS as Readonly<Record<string, { steps: readonly (readonly [string, Readonly<Record<string, unknown>>])[] }>>)[name]!;
  const pm = new PassManager();
  for (const [pass, options] of preset.steps) {
    if (pass === 'to-fp16' && precision === 'fp32') continue;
    pm.add(pass, options);
  }
  const note = `--precision fp32: the '${name}' pipeline ran without to-fp16; fp32 ops run on the GPU or CPU, not the Neural Engine`;
  if (precision === 'fp32' && preset.steps.some(([p]) => p === 'to-fp16') && !notes.includes(note)) notes.push(note);
  return pm;
}

function writeText(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  } catch (e) {
    throw ioError(e, 'write', file);
  }
}

/** Writes `text` to `file` through a temporary sibling and a rename (no half-written file). */
function writeFileAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw ioError(e, 'write', file);
  }
}

function describeIoChanges(changes: readonly IoChange[]): string[] {
  const by = new Map<string, string[]>();
  for (const c of changes) {
    const key = `${c.kind} ${c.name} ${c.from} -> ${c.to}`;
    by.set(key, [...(by.get(key) ?? []), c.function]);
  }
  return [...by.entries()].map(([k, fns]) => `${k} (${fns.join(', ')})`);
}

/** Builds, optimizes and writes every requested part; see {@link CompileResult}. */
export async function runCompile(opts: CompileOptions, io: CliIo): Promise<CompileResult> {
  const progress = new Progress(io);
  const notes: string[] = [];
  const out = path.resolve(opts.out);
  try {
    fs.mkdirSync(out, { recursive: true });
  } catch (e) {
    throw ioError(e, 'create the output directory', out);
  }
  if (!fs.statSync(out).isDirectory()) throw ioError(Object.assign(new Error('not a directory'), { code: 'ENOTDIR' }), 'use as the output directory', out);

  let config: FastVlmConfig = resolveConfig(opts.model);
  let weights: WeightStore | undefined;
  if (opts.checkpoint !== undefined) {
    progress.phase(opts.model, 'build', `loading ${opts.checkpoint}`);
    const ckpt = loadCheckpoint(opts.checkpoint, opts.model, { dtype: opts.precision, parts: opts.parts });
    config = ckpt.config;
    weights = ckpt.weights;
  }
  const packages: PackageSummary[] = [];
  const reports: FunctionReport[] = [];
  const compression = new Map<ModelPart, CompressionReport>();
  const usesLut = opts.compress !== undefined && [opts.compress.default, ...opts.compress.rules.map((r) => r.mode)].some((m) => m === 'lut4' || m === 'lut6');
  if (usesLut && opts.target !== 'ios18') {
    notes.push(`--compress on ${opts.target}: look-up tables are one per tensor (grouped tables need ios18)`);
  }
  const multifunction = targetInfo(opts.target).specVersion >= 9;
  const weightsText = weights ? 'checkpoint' : `synthetic (seed ${opts.seed})`;

  for (const part of opts.parts) {
    const label = `${opts.model}-${part}`;
    const t0 = io.now();
    progress.phase(label, 'build', `${opts.precision}, ${weights ? 'checkpoint weights' : `synthetic weights, seed ${opts.seed}`}`);
    const built = buildFastVlm(config, {
      parts: [part],
      dtype: opts.precision,
      seed: opts.seed,
      ...(weights ? { weights } : {}),
      ...(opts.resolution !== undefined ? { resolution: opts.resolution } : {}),
      ...(opts.contextLength !== undefined ? { contextLength: opts.contextLength } : {}),
      ...(opts.prefillLength !== undefined ? { prefillLength: opts.prefillLength } : {}),
    });
    const original = built[part]!;
    const before = new Map<string, FunctionStats>([...original.functions.values()].map((fn) => [fn.name, functionStats(fn)]));
    const dumpDir = opts.dumpIr !== undefined ? path.resolve(opts.dumpIr, label) : undefined;

    let program = original;
    if (opts.passes !== 'none') {
      progress.phase(label, 'passes', opts.passes);
      const result: PipelineResult = passManager(opts.passes, opts.precision, notes).run(original, dumpDir !== undefined ? { dumpDir } : {});
      program = result.program;
    } else if (dumpDir !== undefined) {
      writeText(path.join(dumpDir, '00-input.mlir'), printProgram(original));
    }
    if (opts.compress !== undefined) {
      progress.phase(label, 'compress', opts.compress.text);
      if (program === original) program = isolateProgram(original);
      const c = applyCompression(program, opts.compress, opts.target);
      compression.set(part, c);
      if (c.paletteJobs.length) {
        progress.phase(label, 'compress', `look-up tables of ${c.paletteJobs.length} weights on worker threads`);
        if (!(await precomputeCompression(c))) notes.push(`${label}: no compression worker could start; the look-up tables were computed while writing`);
      }
      notes.push(
        `${label}: --compress ${opts.compress.text} replaced ${c.compressed} weight constants (a weight shared by functions counts once per function)` +
          (c.adjusted.length ? `; adapted to their shape: ${c.adjusted.length > 3 ? `${c.adjusted.slice(0, 3).join('; ')}; and ${c.adjusted.length - 3} more (see --report)` : c.adjusted.join('; ')}` : '') +
          (c.skipped.length ? `; left dense: ${c.skipped.map((k) => `${k.name} (${k.reason})`).join(', ')}` : ''),
      );
    }
    const ioChanges = applyIoPrecision(program, opts.target);
    if (ioChanges.length) notes.push(`${label}: ${describeIoChanges(ioChanges).join('; ')}`);
    if (dumpDir !== undefined) writeText(path.join(dumpDir, 'final.mlir'), printProgram(program));

    // One package per part, or per function where multifunction models do not exist.
    const fnNames = [...program.functions.keys()];
    const groups: { file: string; functions: string[] }[] =
      fnNames.length > 1 && !multifunction ? fnNames.map((fn) => ({ file: `${label}-${fn}.mlpackage`, functions: [fn] })) : [{ file: `${label}.mlpackage`, functions: fnNames }];
    if (groups.length > 1) {
      notes.push(
        `${label}: ${opts.target} has no multifunction models (they need ios18), so each function is its own package: ${groups.map((g) => g.file).join(', ')}; functions that share weights each carry a copy`,
      );
    }
    const shapes = { resolution: built.resolution, contextLength: built.contextLength, prefillLength: built.prefillLength };
    let partStart = t0;
    for (const g of groups) {
      const dest = path.join(out, g.file);
      const task = g.file.replace(/\.mlpackage$/, '');
      const lowerOpts: LowerOptions = {
        target: opts.target,
        functions: g.functions,
        metadata: {
          shortDescription: partDescription(opts.model, part, shapes, opts.precision),
          userDefined: {
            'fastvlm.model': opts.model,
            'fastvlm.part': part,
            'fastvlm.functions': g.functions.join(','),
            'fastvlm.resolution': String(shapes.resolution),
            'fastvlm.context_length': String(shapes.contextLength),
            'fastvlm.prefill_length': String(shapes.prefillLength),
            'fastvlm.precision': opts.precision,
            'fastvlm.passes': opts.passes,
            'fastvlm.compress': opts.compress?.text ?? 'none',
            'fastvlm.weights': weightsText,
          },
        },
      };
      if (dumpDir !== undefined) writeText(path.join(dumpDir, `${task}.mil`), printMil(program, lowerOpts));
      progress.phase(task, 'lower', opts.target);
      let wrote = false;
      const stats: CompileStats = await compileToMlPackage(program, dest, {
        ...lowerOpts,
        ...(io.fs ? { fs: io.fs } : {}),
        onProgress: (p) => {
          if (p.phase === 'weights') progress.bytes(p.bytesDone, p.bytesTotal);
          if (!wrote && p.bytesDone === p.bytesTotal && (p.phase === 'weights' || p.blobsTotal === 0)) {
            wrote = true;
            progress.phase(task, 'write', `${formatBytes(p.bytesTotal)} of weights streamed`);
          }
        },
      });
      // Read the package back: proves it parses and gives the MIL op counts.
      const pkg = readMlPackage(dest);
      let ops = 0;
      let consts = 0;
      for (const f of Object.values(pkg.model.mlProgram?.functions ?? {})) {
        for (const b of Object.values(f.blockSpecializations ?? {})) {
          for (const op of b.operations ?? []) {
            if (op.type === 'const') consts++;
            else ops++;
          }
        }
      }
      const timeMs = io.now() - partStart;
      partStart = io.now();
      const summary: PackageSummary = {
        part,
        package: g.file,
        path: dest,
        functions: stats.functions,
        sourceFunctions: g.functions,
        ops,
        consts,
        parameters: countFunctionParameters(original, g.functions.map((n) => original.fn(n))),
        weightBytes: stats.weightFileBytes,
        packageBytes: dirSize(dest),
        timeMs,
      };
      packages.push(summary);
      for (const fnName of g.functions) {
        reports.push({ part, package: g.file, function: fnName, before: before.get(fnName)!, after: functionStats(program.fn(fnName)) });
      }
      progress.done(task, `wrote ${dest} (${formatBytes(summary.packageBytes)}) in ${formatMs(timeMs)}`);
    }
  }

  let reportPath: string | undefined;
  if (opts.report) {
    reportPath = path.join(out, `${opts.model}-report.json`);
    writeFileAtomic(reportPath, `${JSON.stringify(reportJson(opts, packages, reports, notes, compression), null, 2)}\n`);
  }
  return { packages, reports, reportPath, notes };
}

/** The report file's content. */
function reportJson(
  opts: CompileOptions,
  packages: readonly PackageSummary[],
  reports: readonly FunctionReport[],
  notes: readonly string[],
  compression: ReadonlyMap<ModelPart, CompressionReport>,
): Record<string, unknown> {
  return {
    model: opts.model,
    options: {
      target: opts.target,
      parts: opts.parts,
      precision: opts.precision,
      passes: opts.passes,
      compress: opts.compress?.text ?? null,
      resolution: opts.resolution ?? null,
      contextLength: opts.contextLength ?? null,
      prefillLength: opts.prefillLength ?? null,
      weights: opts.checkpoint !== undefined ? 'checkpoint' : `synthetic (seed ${opts.seed})`,
    },
    packages: packages.map((p) => ({
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
    functions: reports,
    compression: Object.fromEntries([...compression].map(([part, c]) => [part, { compressed: c.compressed, elements: c.elements, adjusted: c.adjusted, skipped: c.skipped }])),
    notes,
  };
}

/** The summary printed after a compile (stdout). */
export function formatCompileSummary(result: CompileResult, opts: CompileOptions): string {
  const rows = result.packages.map((p) => [
    p.package,
    p.functions.length === 1 && p.sourceFunctions.length === 1 && p.functions[0] === 'main' ? `main (${p.sourceFunctions[0]})` : p.functions.join(', '),
    groupDigits(p.ops),
    groupDigits(p.parameters),
    formatBytes(p.weightBytes),
    formatBytes(p.packageBytes),
    formatMs(p.timeMs),
  ]);
  const head = `Compiled ${opts.model} for ${opts.target} (${opts.precision}, passes ${opts.passes}${opts.compress ? `, compress ${opts.compress.text}` : ''}) into ${path.resolve(opts.out)}\n`;
  let text = head + formatTable(['package', 'functions', 'ops', 'parameters', 'weights', 'size', 'time'], rows, ['left', 'left', 'right', 'right', 'right', 'right', 'right']);
  if (result.notes.length) text += `\nNotes:\n${result.notes.map((n) => `  - ${n}`).join('\n')}\n`;
  if (opts.report) {
    text += `\n${formatReport(result.reports)}`;
    if (result.reportPath) text += `\nReport written to ${result.reportPath}\n`;
  }
  return text;
}
