/**
 * The top-level API: {@link compileToMlPackage} lowers a Program to MIL for a deployment target
 * and writes an `.mlpackage` atomically, streaming every weight from the WeightStore into
 * weight.bin (identical blobs stored once). Also re-exports the lowering, the MIL printer and
 * the lifting (MIL -> IR).
 * @module
 */
import type { Program } from '@fastvlm/graph';
import type { FsLayer } from './fs-layer.js';
import { lowerProgramPlan } from './lower/program.js';
import type { LowerOptions } from './lower/options.js';
import type { Target } from './lower/target.js';
import { writeMlPackage } from './package/write.js';

export { lowerProgram, lowerProgramPlan, METADATA_KEYS, type LoweredModel } from './lower/program.js';
export type { LowerOptions, InputOptions, ImageInputOptions, ColorLayout, MetadataOptions } from './lower/options.js';
export { TARGETS, DEFAULT_TARGET, type Target, type TargetInfo, targetInfo, parseTarget } from './lower/target.js';
export { LowerErrorCodes, type LowerErrorCode } from './lower/errors.js';
export { LOWERINGS, hasLowering } from './lower/ops/index.js';
export type { LoweringTable, OpLowering } from './lower/ops/types.js';
export type { LoweringContext, MilVal, OutSlot } from './lower/context.js';
export { MIL_OPS, type MilOpVersion, type MilInputSpec, type Domain } from './lower/mil-schema.js';
export { sanitizeMilName, isMilName } from './lower/names.js';
export type { BlobPlanEntry } from './lower/context.js';
export { liftProgram, type LiftOptions } from './lower/lift.js';
export { printMil, type PrintMilOptions } from './mil-text/print.js';

/** Progress of {@link compileToMlPackage}. */
export interface CompileProgress {
  /** `lower`: MIL built; `weights`: a chunk of weights written; `done`: package in place. */
  readonly phase: 'lower' | 'weights' | 'done';
  /** Weight bytes streamed so far and in total (before deduplication). */
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Blobs finished so far and in total. */
  readonly blobsDone: number;
  readonly blobsTotal: number;
}

/** Options of {@link compileToMlPackage}: the lowering options plus writing options. */
export interface CompileOptions extends LowerOptions {
  /** Called as the compile advances (after lowering, after each weight chunk, at the end). */
  readonly onProgress?: (p: CompileProgress) => void;
  /** File-system layer (tests inject failures through it). Default: `node:fs`. */
  readonly fs?: FsLayer;
  /** fsync files and directories before the atomic swap. Default true. */
  readonly fsync?: boolean;
}

/** What {@link compileToMlPackage} reports. */
export interface CompileStats {
  /** Absolute path of the written package. */
  readonly path: string;
  readonly target: Target;
  /** MIL function names, default first. */
  readonly functions: readonly string[];
  /** MIL operations written, consts included. */
  readonly ops: number;
  /** Weight data bytes streamed (before deduplication). */
  readonly weightBytes: number;
  /** Distinct blobs in weight.bin. */
  readonly blobs: number;
  /** Blob references answered by an identical earlier blob. */
  readonly deduplicated: number;
  /** Size of weight.bin. */
  readonly weightFileBytes: number;
  /** Size of model.mlmodel. */
  readonly modelBytes: number;
  /** Wall time in milliseconds. */
  readonly timeMs: number;
  /** True when an existing package at the destination was replaced. */
  readonly replaced: boolean;
}

/**
 * Compiles `program` to an `.mlpackage` at `dest` (see {@link LowerOptions} for target,
 * functions, image inputs, enumerated shapes and metadata). The package is written next to
 * `dest` and swapped in atomically: on any failure (coded errors: lowering `E_LOWER_*`, `E_IO`,
 * `E_NO_SPACE`) a previous package at `dest` is left intact and nothing half-written remains.
 */
export async function compileToMlPackage(program: Program, dest: string, opts: CompileOptions = {}): Promise<CompileStats> {
  const t0 = performance.now();
  const lowered = lowerProgramPlan(program, opts);
  const bytesTotal = lowered.blobs.reduce((s, b) => s + b.byteLength, 0);
  const blobsTotal = lowered.blobs.length;
  const report = (phase: CompileProgress['phase'], bytesDone: number, blobsDone: number): void => {
    opts.onProgress?.({ phase, bytesDone, bytesTotal, blobsDone, blobsTotal });
  };
  report('lower', 0, 0);
  let bytesDone = 0;
  let blobsDone = 0;
  const result = await writeMlPackage(
    dest,
    {
      model: (writer) => {
        for (const blob of lowered.blobs) {
          const counted = function* (): Iterable<Uint8Array> {
            for (const c of blob.chunks()) {
              yield c;
              bytesDone += c.length;
              report('weights', bytesDone, blobsDone);
            }
          };
          const offset = writer.append(blob.dtype, counted(), { elements: blob.count, where: blob.origin });
          for (const r of blob.refs) r.offset = offset;
          blobsDone++;
        }
        return lowered.model;
      },
    },
    { ...(opts.fs ? { fs: opts.fs } : {}), ...(opts.fsync !== undefined ? { fsync: opts.fsync } : {}) },
  );
  report('done', bytesDone, blobsDone);
  const desc = lowered.model.description;
  const functions = desc?.functions?.length ? [desc.defaultFunctionName ?? '', ...desc.functions.map((f) => f.name ?? '').filter((n) => n !== desc.defaultFunctionName)] : ['main'];
  return {
    path: result.path,
    target: lowered.target,
    functions,
    ops: lowered.opCount,
    weightBytes: bytesTotal,
    blobs: result.weights.count,
    deduplicated: result.weights.deduplicated,
    weightFileBytes: result.weights.size,
    modelBytes: result.modelBytes,
    timeMs: performance.now() - t0,
    replaced: result.replaced,
  };
}
