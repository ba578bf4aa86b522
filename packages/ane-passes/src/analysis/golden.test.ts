import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeText } from './test-support.js';

/**
 * Golden analysis JSON: each `test-data/analysis/NAME.mlir` is analyzed on the test chip (fixed
 * figures, so a refit of the committed parameter file does not move them) and compared with
 * `NAME.json`. `UPDATE_GOLDEN=1` rewrites the files; review the diff before committing it.
 */
const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-data', 'analysis');
const CASES = readdirSync(DIR).filter((f) => f.endsWith('.mlir')).sort();

describe('golden analysis JSON', () => {
  it('has cases', () => expect(CASES.length).toBeGreaterThanOrEqual(3));
  for (const file of CASES) {
    it(file, () => {
      const got = `${JSON.stringify(analyzeText(readFileSync(join(DIR, file), 'utf8')), null, 2)}\n`;
      const golden = join(DIR, file.replace(/\.mlir$/, '.json'));
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(golden, got);
      expect(existsSync(golden), `${golden} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
      expect(got).toBe(readFileSync(golden, 'utf8'));
    });
  }
});
