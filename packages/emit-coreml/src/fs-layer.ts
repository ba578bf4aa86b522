/**
 * The file-system operations the weight writer and the package writer use, behind an interface
 * so tests can inject failures (a full disk after N bytes, a failing rename) at any step. The
 * default, {@link nodeFs}, is a thin synchronous wrapper over `node:fs`.
 * @module
 */
import * as fs from 'node:fs';

/** What `stat` tells us about a path. */
export interface PathStat {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly size: number;
}

/** Synchronous file-system primitives. Implementations throw Node-style errors (`err.code`). */
export interface FsLayer {
  openSync(path: string, flags: 'r' | 'w' | 'w+' | 'r+'): number;
  closeSync(fd: number): void;
  /** Writes up to `length` bytes of `data` at `position`; returns the count written. */
  writeSync(fd: number, data: Uint8Array, position: number): number;
  /** Reads up to `buf.length` bytes at `position` into `buf`; returns the count read. */
  readSync(fd: number, buf: Uint8Array, position: number): number;
  fsyncSync(fd: number): void;
  ftruncateSync(fd: number, length: number): void;
  /** Stat of a path (following symlinks), or undefined when it does not exist. */
  statSync(path: string): PathStat | undefined;
  /** Stat of an open file. */
  fstatSync(fd: number): PathStat;
  mkdirSync(path: string, recursive: boolean): void;
  renameSync(from: string, to: string): void;
  /** Removes a file or a directory tree; no error when absent. */
  rmSync(path: string): void;
  readdirSync(path: string): string[];
  readFileSync(path: string): Uint8Array;
}

function toStat(s: fs.Stats): PathStat {
  return { isFile: s.isFile(), isDirectory: s.isDirectory(), size: s.size };
}

/** The real file system. */
export const nodeFs: FsLayer = {
  openSync: (p, flags) => fs.openSync(p, flags),
  closeSync: (fd) => fs.closeSync(fd),
  writeSync: (fd, data, position) => fs.writeSync(fd, data, 0, data.length, position),
  readSync: (fd, buf, position) => fs.readSync(fd, buf, 0, buf.length, position),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  ftruncateSync: (fd, length) => fs.ftruncateSync(fd, length),
  statSync: (p) => {
    const s = fs.statSync(p, { throwIfNoEntry: false });
    return s ? toStat(s) : undefined;
  },
  fstatSync: (fd) => toStat(fs.fstatSync(fd)),
  mkdirSync: (p, recursive) => {
    fs.mkdirSync(p, { recursive });
  },
  renameSync: (a, b) => fs.renameSync(a, b),
  rmSync: (p) => fs.rmSync(p, { recursive: true, force: true }),
  readdirSync: (p) => fs.readdirSync(p),
  readFileSync: (p) => {
    const b = fs.readFileSync(p);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  },
};

/** Writes all of `data` at `position`, looping over short writes. */
export function writeFully(layer: FsLayer, fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.length) {
    const n = layer.writeSync(fd, done === 0 ? data : data.subarray(done), position + done);
    if (n <= 0) throw Object.assign(new Error(`write returned ${n}`), { code: 'EIO' });
    done += n;
  }
}

/** Reads exactly `length` bytes at `position`; fewer available is reported as `short`. */
export function readFully(layer: FsLayer, fd: number, length: number, position: number): { bytes: Uint8Array; short: boolean } {
  const buf = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = layer.readSync(fd, buf.subarray(done), position + done);
    if (n <= 0) return { bytes: buf.subarray(0, done), short: true };
    done += n;
  }
  return { bytes: buf, short: false };
}

/** Writes a whole file (create or truncate), optionally fsyncing it before closing. */
export function writeFileDurable(layer: FsLayer, path: string, data: Uint8Array, fsync: boolean): void {
  const fd = layer.openSync(path, 'w');
  try {
    writeFully(layer, fd, data, 0);
    if (fsync) layer.fsyncSync(fd);
  } catch (e) {
    closeQuietly(layer, fd);
    throw e;
  }
  layer.closeSync(fd);
}

/** Closes a descriptor on an error path, keeping the original error. */
export function closeQuietly(layer: FsLayer, fd: number): void {
  try {
    layer.closeSync(fd);
  } catch {
    // The first error is the one worth reporting.
  }
}

/** fsyncs a directory so renames and new entries in it survive a crash. */
export function fsyncDir(layer: FsLayer, path: string): void {
  const fd = layer.openSync(path, 'r');
  try {
    layer.fsyncSync(fd);
  } catch (e) {
    closeQuietly(layer, fd);
    throw e;
  }
  layer.closeSync(fd);
}
