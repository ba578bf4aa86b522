import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderPassDocs } from './docs-render.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'passes');

describe('docs/passes', () => {
  it('are up to date with the pass definitions (regenerate: npx tsx --conditions=source packages/ane-passes/scripts/gen-pass-docs.ts)', () => {
    for (const [file, text] of renderPassDocs()) {
      const path = join(DIR, file);
      expect(existsSync(path), `${path} is missing`).toBe(true);
      expect(readFileSync(path, 'utf8'), `${path} is stale`).toBe(text);
    }
  });

  it('list every option with its range and default', () => {
    const page = renderPassDocs().get('split-wide-ops.md')!;
    expect(page).toContain('| `maxChannels` | int | >= 1, <= 2147483647 | `16384` |');
  });
});
