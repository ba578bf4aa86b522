/**
 * Reads the before/after IR examples out of a pass's doc (test support).
 * @module
 */
import { passError } from '../errors.js';

/** One before/after example of a pass doc. */
export interface DocExample {
  readonly before: string;
  readonly after: string;
  /** Options from a leading `// options: {...}` comment of the before block. */
  readonly options: Readonly<Record<string, unknown>>;
}

/** The code blocks of a markdown text, in order. */
export function codeBlocks(markdown: string): string[] {
  const out: string[] = [];
  const re = /```[a-z]*\n([\s\S]*?)```/g;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) out.push(m[1]!);
  return out;
}

/** The example of a doc: its first two code blocks. */
export function docExample(name: string, doc: string): DocExample {
  const blocks = codeBlocks(doc);
  if (blocks.length < 2) throw passError('E_PASS_DEFINITION', `the doc of '${name}' needs a before and an after IR block, found ${blocks.length}`, { where: name });
  const before = blocks[0]!;
  const m = /^\/\/ options: (\{.*\})\n/.exec(before);
  return { before, after: blocks[1]!, options: m ? (JSON.parse(m[1]!) as Record<string, unknown>) : {} };
}

/**
 * Compares printed IR with an expected text in which a line `...` (any indentation) matches
 * any number of lines. Returns undefined on a match, else a description of the first mismatch.
 */
export function matchWithEllipsis(actual: string, expected: string): string | undefined {
  const a = actual.trimEnd().split('\n');
  const e = expected.trimEnd().split('\n');
  const go = (i: number, j: number): boolean => {
    if (j === e.length) return i === a.length;
    if (e[j]!.trim().startsWith('...')) {
      for (let k = i; k <= a.length; k++) if (go(k, j + 1)) return true;
      return false;
    }
    return i < a.length && a[i] === e[j] && go(i + 1, j + 1);
  };
  if (go(0, 0)) return undefined;
  return `expected:\n${expected}\nactual:\n${actual}`;
}
