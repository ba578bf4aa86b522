/**
 * Tokens of the IR text form. The lexer always advances, so it terminates on any input, and
 * reports every bad character as a coded E_PARSE error with its line and column.
 * @module
 */
import { graphError, type SourceLoc } from '../errors.js';

/** Token kinds. `ident` covers keywords (`func`, `return`, `true`, `inf`, ...) too. */
export type TokenKind = 'ident' | 'value' | 'number' | 'string' | 'punct' | 'eof';

/** One token. `text` is the source slice; `num`/`str` hold decoded literals. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly line: number;
  readonly col: number;
  /** For `number`: the value (also `-inf`); for `value`: unused. */
  readonly num?: number;
  /** For `string`: the decoded JSON string; for `value`: the name without `%`. */
  readonly str?: string;
}

const IDENT_RE = /[A-Za-z_][A-Za-z0-9_.]*/y;
const VALUE_RE = /%([A-Za-z0-9_][A-Za-z0-9_.@]*)/y;
const NUMBER_RE = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const PUNCT = new Set(['(', ')', '{', '}', '[', ']', ',', '=', ':']);

/** How a token is shown in "expected X, found Y" messages. */
export function describeToken(t: Token): string {
  if (t.kind === 'eof') return 'end of input';
  const text = t.text.length > 24 ? `${t.text.slice(0, 24)}...` : t.text;
  return `'${text}'`;
}

/** Splits IR text into tokens, ending with an `eof` token. */
export function tokenize(text: string, file?: string): Token[] {
  const toks: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const loc = (at: number): SourceLoc => ({ ...(file !== undefined ? { file } : {}), line, col: at - lineStart + 1 });
  const fail = (at: number, msg: string): never => {
    throw graphError('E_PARSE', msg, { loc: loc(at) });
  };
  const push = (kind: TokenKind, start: number, end: number, extra: { num?: number; str?: string } = {}): void => {
    toks.push({ kind, text: text.slice(start, end), line, col: start - lineStart + 1, ...extra });
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      i++;
      continue;
    }
    if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (PUNCT.has(ch)) {
      push('punct', i, i + 1);
      i++;
      continue;
    }
    if (ch === '-' && text[i + 1] === '>') {
      push('punct', i, i + 2);
      i += 2;
      continue;
    }
    if (ch === '-' && text.startsWith('inf', i + 1) && !/[A-Za-z0-9_.]/.test(text[i + 4] ?? '')) {
      push('number', i, i + 4, { num: -Infinity });
      i += 4;
      continue;
    }
    if (ch === '%') {
      VALUE_RE.lastIndex = i;
      const m = VALUE_RE.exec(text);
      if (!m) fail(i, `expected a value name after '%' (${VALUE_RE.source.slice(1)}), found ${JSON.stringify(text.slice(i + 1, i + 2) || 'end of input')}`);
      push('value', i, i + m![0].length, { str: m![1]! });
      i += m![0].length;
      continue;
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      NUMBER_RE.lastIndex = i;
      const m = NUMBER_RE.exec(text);
      if (!m) fail(i, `expected a number after '-', found ${JSON.stringify(text.slice(i + 1, i + 2) || 'end of input')}`);
      const end = i + m![0].length;
      // A number glued to letters (`12ab`) is a typo, not two tokens.
      if (/[A-Za-z_.]/.test(text[end] ?? '')) fail(end, `unexpected character ${JSON.stringify(text[end])} after number ${m![0]}`);
      push('number', i, end, { num: Number(m![0]) });
      i = end;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      IDENT_RE.lastIndex = i;
      const m = IDENT_RE.exec(text)!;
      push('ident', i, i + m[0].length);
      i += m[0].length;
      continue;
    }
    if (ch === '"') {
      const start = i;
      i++;
      for (;;) {
        if (i >= text.length || text[i] === '\n') fail(start, 'unterminated string literal');
        const c = text[i]!;
        if (c === '"') break;
        if (c.charCodeAt(0) < 0x20) fail(i, `control character U+${c.charCodeAt(0).toString(16).padStart(4, '0')} in string literal; escape it`);
        if (c === '\\') {
          const e = text[i + 1] ?? '';
          if (e === 'u') {
            if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) fail(i, 'expected 4 hex digits after \\u');
            i += 6;
          } else if ('"\\/bfnrt'.includes(e) && e !== '') {
            i += 2;
          } else {
            fail(i, `invalid escape '\\${e}' in string literal`);
          }
          continue;
        }
        i++;
      }
      i++;
      const raw = text.slice(start, i);
      let str: string;
      try {
        str = JSON.parse(raw) as string;
      } catch {
        return fail(start, 'malformed string literal');
      }
      push('string', start, i, { str });
      continue;
    }
    const cp = text.codePointAt(i)!;
    fail(i, `unexpected character ${JSON.stringify(String.fromCodePoint(cp))}`);
  }
  toks.push({ kind: 'eof', text: '', line, col: i - lineStart + 1 });
  return toks;
}
