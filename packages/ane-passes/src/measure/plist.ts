/**
 * A reader of XML property lists, enough for powermetrics' output (`-f plist`: one plist
 * document per sample, separated by NUL bytes): dict, array, key, string, integer, real, true,
 * false, date and data. Malformed input is an `E_MEASURE_PLIST` error naming the file and the
 * byte offset; nothing is guessed.
 * @module
 */
import { measureError } from './errors.js';

/** A property-list value (dates as ISO strings, data as base64 text). */
export type PlistValue = string | number | boolean | readonly PlistValue[] | { readonly [key: string]: PlistValue };

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeText(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

class Reader {
  pos = 0;
  constructor(
    readonly text: string,
    readonly file: string,
    readonly base: number,
  ) {}

  fail(what: string): never {
    throw measureError('E_MEASURE_PLIST', `${this.file}: ${what} at byte ${this.base + this.pos}`, { where: `${this.file}@${this.base + this.pos}` });
  }

  /** Skips whitespace, comments, the XML declaration and the DOCTYPE. */
  skip(): void {
    for (;;) {
      const m = /^(\s+|<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>)/.exec(this.text.slice(this.pos, this.pos + 4096));
      if (!m) return;
      this.pos += m[0].length;
    }
  }

  /** The next tag: its name, and whether it is a closing or self-closing tag. */
  tag(): { name: string; closing: boolean; empty: boolean } {
    this.skip();
    const m = /^<(\/?)([A-Za-z]+)(?:\s+[^>]*?)?(\/?)>/.exec(this.text.slice(this.pos, this.pos + 256));
    if (!m) this.fail(this.pos >= this.text.length ? 'unexpected end of the plist' : `expected a tag, found ${JSON.stringify(this.text.slice(this.pos, this.pos + 20))}`);
    this.pos += m[0].length;
    return { name: m[2]!, closing: m[1] === '/', empty: m[3] === '/' };
  }

  textUntil(name: string): string {
    const end = this.text.indexOf(`</${name}>`, this.pos);
    if (end < 0) this.fail(`<${name}> is not closed`);
    const raw = this.text.slice(this.pos, end);
    if (raw.includes('<')) this.fail(`<${name}> holds markup`);
    this.pos = end + name.length + 3;
    return decodeText(raw);
  }

  value(depth = 0): PlistValue {
    if (depth > 64) this.fail('nesting deeper than 64');
    const t = this.tag();
    if (t.closing) this.fail(`unexpected </${t.name}>`);
    switch (t.name) {
      case 'dict': {
        const out: Record<string, PlistValue> = {};
        if (t.empty) return out;
        for (;;) {
          const k = this.tag();
          if (k.closing && k.name === 'dict') return out;
          if (k.name !== 'key' || k.closing) this.fail(`expected <key> in a <dict>, found <${k.closing ? '/' : ''}${k.name}>`);
          const key = k.empty ? '' : this.textUntil('key');
          out[key] = this.value(depth + 1);
        }
      }
      case 'array': {
        const out: PlistValue[] = [];
        if (t.empty) return out;
        for (;;) {
          const save = this.pos;
          const n = this.tag();
          if (n.closing && n.name === 'array') return out;
          this.pos = save;
          out.push(this.value(depth + 1));
        }
      }
      case 'string':
      case 'date':
      case 'data':
        return t.empty ? '' : this.textUntil(t.name);
      case 'integer':
      case 'real': {
        const raw = t.empty ? '' : this.textUntil(t.name).trim();
        const n = Number(raw);
        if (raw === '' || !Number.isFinite(n) || (t.name === 'integer' && !/^[+-]?\d+$/.test(raw))) this.fail(`<${t.name}> holds ${JSON.stringify(raw)}, not a number`);
        return n;
      }
      case 'true':
      case 'false':
        if (!t.empty) {
          const close = this.tag();
          if (!close.closing || close.name !== t.name) this.fail(`<${t.name}> is not closed`);
        }
        return t.name === 'true';
      default:
        return this.fail(`unknown plist element <${t.name}>`);
    }
  }
}

/** Parses one plist document (`<plist>` around one value). */
export function parsePlist(text: string, file = '<plist>', base = 0): PlistValue {
  const r = new Reader(text, file, base);
  const open = r.tag();
  if (open.name !== 'plist' || open.closing) r.fail(`expected <plist>, found <${open.closing ? '/' : ''}${open.name}>`);
  const v = r.value();
  const close = r.tag();
  if (close.name !== 'plist' || !close.closing) r.fail('expected </plist>');
  r.skip();
  if (r.pos < text.length) r.fail('text after </plist>');
  return v;
}

/** Parses a stream of plist documents separated by NUL bytes (powermetrics' `-f plist`). */
export function parsePlistStream(text: string, file = '<plist>'): PlistValue[] {
  const out: PlistValue[] = [];
  let base = 0;
  for (const part of text.split('\0')) {
    if (part.trim() !== '') out.push(parsePlist(part, file, base));
    base += part.length + 1;
  }
  return out;
}
