/**
 * Small file helpers of the pipeline: IR dumps (through the toolkit's one atomic write,
 * `writeFileAtomic` of @fastvlm/graph) and the size of a written package.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ioError, writeFileAtomic } from '@fastvlm/graph';

/**
 * Writes a dump `text` to `file`, creating its directory. Atomic, so a dump directory never holds
 * half a file; no fsync (a debugging aid, as the PassManager's own dumps).
 */
export function writeTextFile(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  } catch (e) {
    throw ioError(e, 'create the directory of', file);
  }
  writeFileAtomic(file, text, { fsync: false });
}

/** Total size of the files under `dir`. */
export function directorySize(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    n += e.isDirectory() ? directorySize(p) : fs.statSync(p).size;
  }
  return n;
}
