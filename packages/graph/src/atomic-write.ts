/**
 * The one atomic file write of the toolkit (reports, IR dumps, safetensors files and their
 * index): a temporary sibling is written, flushed and renamed over the destination, so a reader
 * sees the old file or the new one, never half of one.
 * @module
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { ioError } from './errors.js';

/** Options of {@link writeFileAtomic}. */
export interface AtomicWriteOptions {
  /**
   * fsync the file before the rename and its directory after it, so the new content survives a
   * crash (default true). Without it the swap is still atomic for other processes.
   */
  readonly fsync?: boolean;
}

/** What {@link writeFileAtomic} writes: text (UTF-8), bytes, or a body that streams chunks. */
export type AtomicWriteContent = string | Uint8Array | ((write: (chunk: Uint8Array) => void) => void);

let tempCounter = 0;

/**
 * Writes `content` to `path` atomically and returns the number of bytes written. The data goes
 * to a new temporary file `.<name>.tmp-<pid>-<n>` beside `path` (created exclusively, so two
 * writers never share one), then is renamed over `path`. On any failure (of the file system or
 * of a streaming body) the temporary file is removed and `path` keeps its previous content, or
 * stays absent; file-system failures become `E_IO` / `E_NO_SPACE` errors naming `path`, a
 * FastVlmError thrown by the body passes through. The parent directory must exist.
 */
export function writeFileAtomic(path: string, content: AtomicWriteContent, opts: AtomicWriteOptions = {}): number {
  const fsync = opts.fsync ?? true;
  const dir = nodePath.dirname(path);
  const tmp = nodePath.join(dir, `.${nodePath.basename(path)}.tmp-${process.pid}-${tempCounter++}`);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'wx');
  } catch (e) {
    throw ioError(e, 'create a temporary file to write', path);
  }
  let written = 0;
  const write = (chunk: Uint8Array): void => {
    let off = 0;
    while (off < chunk.byteLength) off += fs.writeSync(fd, chunk, off, chunk.byteLength - off);
    written += chunk.byteLength;
  };
  try {
    if (typeof content === 'function') content(write);
    else write(typeof content === 'string' ? new TextEncoder().encode(content) : content);
    if (fsync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = -1;
    fs.renameSync(tmp, path);
  } catch (e) {
    // Best-effort cleanup: the first error is the one worth reporting.
    try {
      if (fd >= 0) fs.closeSync(fd);
      fs.rmSync(tmp, { force: true });
    } catch {
      /* keep the first error */
    }
    throw ioError(e, 'write', path);
  }
  if (fsync) syncDirectory(dir);
  return written;
}

/**
 * fsyncs a directory so the rename survives a crash. Not every file system can (some refuse to
 * open or fsync a directory); the new file is in place either way, so that is not an error.
 */
function syncDirectory(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch {
    /* see above */
    if (fd >= 0) {
      try {
        fs.closeSync(fd);
      } catch {
        /* nothing left to do */
      }
    }
  }
}
