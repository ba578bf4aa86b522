/**
 * Writes docs/passes/*.md from the pass definitions: `npx tsx packages/ane-passes/scripts/gen-pass-docs.ts`
 * (run with the `source` condition so the workspace packages resolve to their sources:
 * `npx tsx --conditions=source ...`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderPassDocs } from '../src/docs-render.js';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'passes');
mkdirSync(dir, { recursive: true });
for (const [file, text] of renderPassDocs()) writeFileSync(join(dir, file), text);
console.log(`wrote ${renderPassDocs().size} pages to ${dir}`);
