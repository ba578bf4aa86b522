/** `fastvlm measure import`: a powermetrics recording into an ane-bench result, and its errors. */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, run, tempDir } from './helpers.js';

const tmp = tempDir('measure');
afterAll(() => tmp.remove());
const DATA = join(ROOT, 'packages/ane-passes/test-data/ane-bench');

describe('fastvlm measure import', () => {
  it('adds the power summary and prints it', async () => {
    const result = join(tmp.dir, 'r.json');
    copyFileSync(join(DATA, 'result.json'), result);
    const plist = join(tmp.dir, 'power.plist');
    writeFileSync(plist, readFileSync(join(DATA, 'power.plist.txt'), 'utf8').replace(/@NUL@\n?/g, '\0'));
    const r = await run(['measure', 'import', plist, '--into', result]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${result}: power from 2 samples (every 200 ms): ANE mean 2.50 W (peak 3.00 W), CPU 1.25 W, GPU 0.05 W\n`);
    expect(JSON.parse(readFileSync(result, 'utf8')).power.aneMw).toEqual({ mean: 2500, max: 3000 });
  });

  it('names a wrong action, a missing --into and a bad plist', async () => {
    const a = await run(['measure', 'export', 'x.plist', '--into', 'r.json']);
    expect(a.code).toBe(2);
    expect(a.stderr.split('\n')[0]).toBe("error E_CLI_USAGE: 'export': unknown action of 'fastvlm measure'; actions: import");
    const b = await run(['measure', 'import', 'x.plist']);
    expect(b.stderr.split('\n')[0]).toBe("error E_CLI_USAGE: --into: required by 'fastvlm measure' (RESULT.json)");
    const result = join(tmp.dir, 'r2.json');
    copyFileSync(join(DATA, 'result.json'), result);
    const bad = join(tmp.dir, 'bad.plist');
    writeFileSync(bad, '<plist><dict><key>x</key>');
    const c = await run(['measure', 'import', bad, '--into', result]);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/^error E_MEASURE_PLIST: .*bad\.plist: unexpected end of the plist at byte \d+/);
    expect(readFileSync(result, 'utf8')).toBe(readFileSync(join(DATA, 'result.json'), 'utf8'));
  });
});
