import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');

describe('README quickstart', () => {
  it('the DSL example in README.md is the code of examples/quickstart (kept in sync)', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## The DSL in one example')))?.[1];
    const code = readFileSync(join(here, 'quickstart.ts'), 'utf8');
    expect(block).toBeDefined();
    // The README shows the building part; the example adds printing and a run.
    expect(code.startsWith(block!)).toBe(true);
  });

  it('runs: prints the IR and computes features of the right shape', () => {
    const out = execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', join(here, 'quickstart.ts')], { cwd: root, encoding: 'utf8' });
    expect(out).toContain('func main(%x: fp32[1,3,64,64]) -> (%features)');
    expect(out).toContain('conv2d(x=%x, weight=');
    expect(out).toContain('features [ 1, 16, 32, 32 ]');
  });
});
