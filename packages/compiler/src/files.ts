/**
 * Small file helpers of the pipeline: text files (dumps, the report) and the read-back counts
 * of a written package.
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CoreMLModel, ioError } from '@fastvlm/emit-coreml';

/** Writes `text` to `file`, creating its directory. */
export function writeTextFile(file: string, text: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  } catch (e) {
    throw ioError(e, 'write', file);
  }
}

/** Writes `text` to `file` through a temporary sibling and a rename (no half-written file). */
export function writeTextFileAtomic(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}`);
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw ioError(e, 'write', file);
  }
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

/** MIL operations of a model: `const` ones and the others, over every function and block. */
export function countMilOps(model: CoreMLModel): { ops: number; consts: number } {
  let ops = 0;
  let consts = 0;
  for (const f of Object.values(model.mlProgram?.functions ?? {})) {
    for (const b of Object.values(f.blockSpecializations ?? {})) {
      for (const op of b.operations ?? []) {
        if (op.type === 'const') consts++;
        else ops++;
      }
    }
  }
  return { ops, consts };
}
