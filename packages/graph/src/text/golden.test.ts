import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import '../ops/index.js';
import { FastVlmError } from '../errors.js';
import { registerFixtureOps } from '../testing/fixture-ops.js';
import { parseProgram } from './parse.js';
import { printProgram } from './print.js';

registerFixtureOps();

/**
 * Golden files: `NAME.mlir` is parsed and printed; the result must equal `NAME.expected.mlir`
 * exactly, or the error message must equal `NAME.expected-error.txt` (first line).
 */
const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../test-data/golden');
const inputs = readdirSync(DIR)
  .filter((f) => f.endsWith('.mlir') && !f.endsWith('.expected.mlir'))
  .sort();

describe('golden IR text', () => {
  it('has golden inputs, each with exactly one expectation', () => {
    expect(inputs.length).toBeGreaterThanOrEqual(5);
    for (const f of inputs) {
      const base = f.slice(0, -'.mlir'.length);
      const has = [existsSync(join(DIR, `${base}.expected.mlir`)), existsSync(join(DIR, `${base}.expected-error.txt`))];
      expect(has.filter(Boolean).length, f).toBe(1);
    }
  });

  for (const f of inputs) {
    const base = f.slice(0, -'.mlir'.length);
    const text = readFileSync(join(DIR, f), 'utf8');
    const okFile = join(DIR, `${base}.expected.mlir`);
    if (existsSync(okFile)) {
      it(`${f} prints as ${base}.expected.mlir`, () => {
        const expected = readFileSync(okFile, 'utf8');
        expect(printProgram(parseProgram(text, undefined, { file: f }))).toBe(expected);
        // The expectation is already normalized: a fixpoint of parse + print.
        expect(printProgram(parseProgram(expected))).toBe(expected);
      });
    } else {
      it(`${f} fails as ${base}.expected-error.txt`, () => {
        const expected = readFileSync(join(DIR, `${base}.expected-error.txt`), 'utf8').split('\n')[0]!;
        let err: unknown;
        try {
          parseProgram(text, undefined, { file: f });
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(FastVlmError);
        expect((err as FastVlmError).message).toBe(expected);
      });
    }
  }
});
