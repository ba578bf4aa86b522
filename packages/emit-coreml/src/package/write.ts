/**
 * The .mlpackage writer. A package is built in a temporary sibling directory
 * (`.<name>.tmp-<pid>-<random>`), fsynced, then swapped into place with renames: an existing
 * package is first renamed to a backup sibling (`.<name>.bak-<pid>-<random>`), the new one
 * renamed to `dest`, and the backup deleted (restored if the second rename fails). A failure or
 * a kill at any moment leaves either the previous package at `dest`, the new one, or (between
 * the two renames) the previous one in a backup that {@link recoverMlPackage} puts back; the
 * next write runs that recovery first and removes leftovers of interrupted runs.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { FastVlmError } from '@fastvlm/graph';
import { emitError, ioError } from '../errors.js';
import { type FsLayer, fsyncDir, nodeFs, writeFileDurable } from '../fs-layer.js';
import { encodeModel } from '../proto/codec.js';
import type { CoreMLModel } from '../proto/model-types.js';
import { type BlobFileSummary, BlobWriter } from '../weights/blob-writer.js';
import { type Manifest, MODEL_ITEM, WEIGHTS_ITEM, WEIGHT_FILE_NAME, buildManifest, serializeManifest } from './manifest.js';

/** Options of {@link writeMlPackage} and {@link recoverMlPackage}. */
export interface WriteMlPackageOptions {
  /** File-system layer (tests inject failures through it). Default: `node:fs`. */
  readonly fs?: FsLayer;
  /** fsync files and directories before the swap. Default true. */
  readonly fsync?: boolean;
  /** Store identical blobs once. Default true. */
  readonly dedup?: boolean;
}

/**
 * What to write. `model` is the model message, or a function that appends the weights to the
 * writer and returns the model (so the model can hold the blob offsets the writer returned).
 * `writeWeights`, when given, runs first.
 */
export interface MlPackageContent {
  readonly model: CoreMLModel | ((weights: BlobWriter) => CoreMLModel | Promise<CoreMLModel>);
  readonly writeWeights?: (weights: BlobWriter) => void | Promise<void>;
}

/** What {@link writeMlPackage} reports. */
export interface WriteMlPackageResult {
  /** Absolute path of the package. */
  readonly path: string;
  readonly manifest: Manifest;
  /** Size of model.mlmodel. */
  readonly modelBytes: number;
  readonly weights: BlobFileSummary;
  /** True when a previous package was replaced. */
  readonly replaced: boolean;
}

/** What {@link recoverMlPackage} did. */
export interface RecoveryReport {
  /** The backup renamed back to `dest`, if one was. */
  readonly restored?: string;
  /** Leftover temporary and backup directories removed. */
  readonly removed: readonly string[];
}

/** Temporary directories of writes running in this process (never cleaned as leftovers). */
const inFlight = new Set<string>();

function leftoverPrefixes(name: string): { tmp: string; bak: string } {
  return { tmp: `.${name}.tmp-`, bak: `.${name}.bak-` };
}

const LEFTOVER_SUFFIX = /^\d+-[0-9a-f]+$/;

function uniqueSuffix(): string {
  return `${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** True when the process that created a leftover may still be running it. */
function ownerAlive(suffix: string, full: string): boolean {
  const pid = Number(suffix.split('-')[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return inFlight.has(full);
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

function attempt<T>(op: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw ioError(e, op, path);
  }
}

function quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // Best effort: whatever stays behind is removed by the next run's recovery.
  }
}

/**
 * Cleans up after interrupted writes of `dest`: when `dest` is missing and a backup exists, the
 * backup is renamed back to `dest`; other leftover temporary and backup siblings are removed
 * (except those of writes still running, in this or another live process).
 */
export function recoverMlPackage(dest: string, opts: WriteMlPackageOptions = {}): RecoveryReport {
  const fsl = opts.fs ?? nodeFs;
  const abs = resolve(dest);
  const parent = dirname(abs);
  const { tmp, bak } = leftoverPrefixes(basename(abs));
  const names = attempt('list the directory', parent, () => fsl.readdirSync(parent)).sort();
  // Only exact `<prefix><pid>-<hex>` names: `.M.tmp-1.tmp-...` belongs to a package named `M.tmp-1`.
  const stale = (prefix: string): string[] =>
    names
      .filter((n) => n.startsWith(prefix) && LEFTOVER_SUFFIX.test(n.slice(prefix.length)) && !ownerAlive(n.slice(prefix.length), join(parent, n)))
      .map((n) => join(parent, n));
  const backups = stale(bak);
  const temps = stale(tmp);
  let restored: string | undefined;
  if (backups.length > 0 && attempt('inspect', abs, () => fsl.statSync(abs)) === undefined) {
    restored = backups.shift()!;
    attempt(`restore the backup '${restored}' to`, abs, () => fsl.renameSync(restored!, abs));
  }
  const removed: string[] = [];
  for (const p of [...temps, ...backups]) {
    attempt('remove the leftover', p, () => fsl.rmSync(p));
    removed.push(p);
  }
  return restored !== undefined ? { restored, removed } : { removed };
}

/**
 * Writes an .mlpackage at `dest` atomically (see the module doc): Manifest.json,
 * Data/com.apple.CoreML/model.mlmodel and Data/com.apple.CoreML/weights/weight.bin. The same
 * content always yields byte-identical files. File-system failures are `E_IO` (or `E_NO_SPACE`)
 * errors naming the path; errors thrown by the content callbacks pass through unchanged.
 */
export async function writeMlPackage(dest: string, content: MlPackageContent, opts: WriteMlPackageOptions = {}): Promise<WriteMlPackageResult> {
  const fsl = opts.fs ?? nodeFs;
  const fsync = opts.fsync ?? true;
  const abs = resolve(dest);
  const parent = dirname(abs);
  const name = basename(abs);
  if (name === '' || abs === parent) throw emitError('E_IO', `'${dest}' cannot be a package path`, { where: dest });
  const pst = attempt('inspect the parent directory', parent, () => fsl.statSync(parent));
  if (!pst?.isDirectory) throw emitError('E_IO', `cannot write '${abs}': the parent directory '${parent}' does not exist or is not a directory`, { where: abs });
  checkReplaceable(fsl, abs);
  // Fail fast on a malformed model before any weight is written.
  const early = typeof content.model === 'function' ? undefined : encodeModel(content.model);

  recoverMlPackage(abs, opts);
  const tmp = join(parent, `${leftoverPrefixes(name).tmp}${uniqueSuffix()}`);
  inFlight.add(tmp);
  try {
    try {
      fsl.mkdirSync(tmp, false);
    } catch (e) {
      throw ioError(e, `create the temporary directory (is '${parent}' writable?)`, tmp);
    }
    const coremlDir = join(tmp, 'Data', 'com.apple.CoreML');
    const weightsDir = join(tmp, 'Data', WEIGHTS_ITEM.path);
    attempt('create the directory', weightsDir, () => fsl.mkdirSync(weightsDir, true));
    const writer = BlobWriter.create(join(weightsDir, WEIGHT_FILE_NAME), { fs: fsl, fsync, ...(opts.dedup !== undefined ? { dedup: opts.dedup } : {}) });
    let modelBytes: Uint8Array;
    let weights: BlobFileSummary;
    try {
      if (content.writeWeights) await content.writeWeights(writer);
      modelBytes = early ?? encodeModel(await (content.model as (w: BlobWriter) => CoreMLModel | Promise<CoreMLModel>)(writer));
      weights = writer.finish();
    } catch (e) {
      writer.abort();
      throw e;
    }
    const modelPath = join(tmp, 'Data', MODEL_ITEM.path);
    attempt('write the model', modelPath, () => writeFileDurable(fsl, modelPath, modelBytes, fsync));
    const manifest = buildManifest(modelBytes, true);
    const manifestPath = join(tmp, 'Manifest.json');
    attempt('write the manifest', manifestPath, () => writeFileDurable(fsl, manifestPath, new TextEncoder().encode(serializeManifest(manifest)), fsync));
    if (fsync) {
      for (const d of [weightsDir, coremlDir, join(tmp, 'Data'), tmp]) attempt('fsync the directory', d, () => fsyncDir(fsl, d));
    }
    const replaced = swapIntoPlace(fsl, tmp, abs, parent, fsync);
    return { path: abs, manifest, modelBytes: modelBytes.length, weights, replaced };
  } catch (e) {
    quietly(() => fsl.rmSync(tmp));
    throw forDestination(e, abs);
  } finally {
    inFlight.delete(tmp);
  }
}

/** File-system errors inside the temporary directory are reported against the destination. */
function forDestination(e: unknown, abs: string): unknown {
  if (!(e instanceof FastVlmError) || (e.code !== 'E_IO' && e.code !== 'E_NO_SPACE') || e.where === abs) return e;
  return new FastVlmError(e.code, `cannot write the package '${abs}': ${e.detail}`, { where: abs, details: e.details, cause: e });
}

/**
 * Refuses to replace something that is not a package: an existing `dest` must be a directory
 * holding a Manifest.json, or an empty directory (a mistyped path must never delete data).
 */
function checkReplaceable(fsl: FsLayer, abs: string): void {
  const st = attempt('inspect', abs, () => fsl.statSync(abs));
  if (st === undefined) return;
  const isPackage = st.isDirectory && (attempt('inspect', join(abs, 'Manifest.json'), () => fsl.statSync(join(abs, 'Manifest.json')))?.isFile ?? false);
  if (isPackage || (st.isDirectory && attempt('list', abs, () => fsl.readdirSync(abs)).length === 0)) return;
  throw emitError('E_IO', `refusing to replace '${abs}': it exists and is not an .mlpackage (no Manifest.json)`, { where: abs });
}

/** Renames `tmp` to `abs`, moving an existing `abs` to a backup first. Returns whether one existed. */
function swapIntoPlace(fsl: FsLayer, tmp: string, abs: string, parent: string, fsync: boolean): boolean {
  const existed = attempt('inspect', abs, () => fsl.statSync(abs)) !== undefined;
  if (!existed) {
    attempt(`move the new package into place at`, abs, () => fsl.renameSync(tmp, abs));
  } else {
    const bak = join(parent, `${leftoverPrefixes(basename(abs)).bak}${uniqueSuffix()}`);
    attempt(`move the previous package aside to '${bak}':`, abs, () => fsl.renameSync(abs, bak));
    try {
      fsl.renameSync(tmp, abs);
    } catch (e) {
      // Put the previous package back; if even that fails, the next run restores the backup.
      quietly(() => fsl.renameSync(bak, abs));
      throw ioError(e, 'move the new package into place at', abs);
    }
    quietly(() => fsl.rmSync(bak));
  }
  // Committed: a failed directory fsync cannot be undone, and the content is consistent.
  if (fsync) quietly(() => fsyncDir(fsl, parent));
  return existed;
}
