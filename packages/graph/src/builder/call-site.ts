/**
 * Finds the author's call site of a DSL call: the first stack frame outside the builder and the
 * nn layers. Works from the TypeScript sources (frames under `builder/` and `nn/`) and from the
 * bundled package (frames in the bundle file itself).
 * @module
 */
import type { SourceLoc } from '../errors.js';

/** `at fn (file:line:col)` or `at file:line:col`, the file possibly a `file://` URL. */
const FRAME_RE = /(?:\(|\s)((?:file:\/\/)?[^\s()]+?):(\d+):(\d+)\)?\s*$/;

interface Frame {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

function parseFrame(line: string): Frame | undefined {
  const m = FRAME_RE.exec(line);
  if (!m) return undefined;
  let file = m[1]!;
  if (file.startsWith('file://')) {
    // file:///C:/x on Windows, file:///x elsewhere.
    file = decodeURIComponent(file.slice(7));
    if (/^\/[A-Za-z]:\//.test(file)) file = file.slice(1);
  }
  return { file, line: Number(m[2]), col: Number(m[3]) };
}

function framesOf(stack: string | undefined): Frame[] {
  if (!stack) return [];
  const out: Frame[] = [];
  for (const l of stack.split('\n').slice(1)) {
    const f = parseFrame(l);
    if (f) out.push(f);
  }
  return out;
}

function dirOf(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i >= 0 ? file.slice(0, i) : '';
}

function baseOf(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return path.slice(i + 1);
}

/** Where this module lives, read from a stack trace so it works in ESM, CJS and bundles. */
const SELF: string | undefined = framesOf(new Error().stack)[0]?.file;

/**
 * Files or directories whose frames belong to the DSL. From the sources: this `builder/`
 * directory and its sibling `nn/`; from a bundle: the bundle file.
 */
const INTERNAL: readonly string[] = (() => {
  if (SELF === undefined) return [];
  const dir = dirOf(SELF);
  if (baseOf(dir) === 'builder') {
    const sep = SELF.includes('\\') && !SELF.includes('/') ? '\\' : '/';
    return [dir + sep, dirOf(dir) + sep + 'nn' + sep];
  }
  return [SELF];
})();

/** Tests beside the DSL's sources are authors, not DSL internals. */
const TEST_FILE_RE = /\.(test|spec)(-d)?\.[cm]?[jt]sx?$/;

function isInternal(file: string): boolean {
  if (file.startsWith('node:') || file.startsWith('internal/')) return true;
  if (TEST_FILE_RE.test(file)) return false;
  return INTERNAL.some((p) => (p.endsWith('/') || p.endsWith('\\') ? file.startsWith(p) : file === p));
}

/** Frames needed to see past deeply nested layers (scope -> attention -> linear -> op). */
const STACK_DEPTH = 64;

/**
 * The first stack frame outside the DSL, as a {@link SourceLoc}; paths under the working
 * directory are made relative so messages stay short and stable across checkouts.
 * Returns `undefined` when no such frame exists (e.g. stack traces disabled).
 */
export function captureCallSite(): SourceLoc | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = STACK_DEPTH;
  let stack: string | undefined;
  try {
    stack = new Error().stack;
  } finally {
    Error.stackTraceLimit = limit;
  }
  for (const f of framesOf(stack)) {
    if (isInternal(f.file)) continue;
    return { file: relativize(f.file), line: f.line, col: f.col };
  }
  return undefined;
}

function relativize(file: string): string {
  const cwd = typeof process !== 'undefined' && typeof process.cwd === 'function' ? process.cwd() : '';
  if (cwd && file.startsWith(cwd + '/')) return file.slice(cwd.length + 1);
  if (cwd && file.startsWith(cwd + '\\')) return file.slice(cwd.length + 1);
  return file;
}
