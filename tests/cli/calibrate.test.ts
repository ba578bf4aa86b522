/**
 * `fastvlm calibrate --measured DIR`: a refit of the cost model to a user's ane-bench results,
 * read as zoo models by name or as the packages measured, written with --out and used by
 * `analyze --cost-model`; and its coded errors. Synthetic measurements: each result says 1.5x
 * what the committed model gives, so the committed model's error on them is exactly -1/3 and a
 * refit has something to correct. The reference fit itself: tests/analysis/calibration.test.ts.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateCostModel } from '@fastvlm/ane-passes';
import { ROOT, run, tempDir } from './helpers.js';

const tmp = tempDir('calibrate');
afterAll(() => tmp.remove());
const DATA = join(ROOT, 'packages/ane-passes/test-data/ane-bench/result.json');
/** Three zoo models measured on an M3; fp16 after the cleanup preset, as the rows are built. */
const MODELS = ['mobileone-s0', 'mobilenetv3-small', 'fastvit-t8'];
const SCALE = 1.5;

async function modeled(model: string, extra: string[] = []): Promise<number> {
  const r = await run(['analyze', model, '--passes', 'cleanup', '--device', 'm3', '--json', ...extra]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).latency_ms as number;
}

/** Writes an ane-bench result of `packagePath` with median `ms` on `all` into `dir`. */
function writeResult(dir: string, name: string, packagePath: string, ms: number, edit: (r: Record<string, unknown>) => void = () => {}): void {
  const r = JSON.parse(readFileSync(DATA, 'utf8'));
  r.package = { path: packagePath, sha256: '0'.repeat(64), function: null };
  r.runs = [{ ...r.runs[0], latencyMs: { median: ms, p90: ms, mean: ms, min: ms, max: ms }, samplesMs: [ms] }];
  r.computePlan = null;
  edit(r);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), JSON.stringify(r));
}

const dir = join(tmp.dir, 'results');
const before: Record<string, number> = {};
beforeAll(async () => {
  for (const [i, m] of MODELS.entries()) {
    before[m] = await modeled(m);
    writeResult(dir, `${i}-${m}.json`, `/Users/me/build/${m}-fp16.mlpackage`, Number((SCALE * before[m]!).toFixed(4)));
  }
});

describe('fastvlm calibrate --measured', () => {
  it('refits to the measurements alone, writes the file, and analyze --cost-model uses it', async () => {
    const file = join(tmp.dir, 'm3.json');
    const r = await run(['calibrate', '--measured', dir, '--only-measured', '--out', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`M1  0-mobileone-s0.json: mobileone-s0 (the zoo model) on m3, all median ${Number((SCALE * before['mobileone-s0']!).toFixed(4))} ms`);
    // Under the committed model every row is off by 1/1.5 - 1 = -33.3 %.
    const committed = r.stdout.split('Your rows under the committed model')[1]!.split('Refit to')[0]!;
    expect(committed.match(/-33\.3%/g)).toHaveLength(MODELS.length);
    expect(r.stdout).toContain('note: 3 row(s) for 7 fitted parameters: the fit is underdetermined');
    const data = validateCostModel(JSON.parse(readFileSync(file, 'utf8')));
    expect(data.fit['rows']).toMatch(/^3 measurement\(s\) of results \(M1 mobileone-s0 on m3, M2 mobilenetv3-small on m3, M3 fastvit-t8 on m3\) alone$/);
    // The refit moves every row toward its measurement.
    for (const m of MODELS) {
      const after = await modeled(m, ['--cost-model', file]);
      expect(Math.abs(after / (SCALE * before[m]!) - 1), m).toBeLessThan(Math.abs(before[m]! / (SCALE * before[m]!) - 1));
    }
    // Deterministic: the same directory gives the same bytes.
    const again = join(tmp.dir, 'm3-again.json');
    expect((await run(['calibrate', '--measured', dir, '--only-measured', '--out', again])).code).toBe(0);
    expect(readFileSync(again, 'utf8')).toBe(readFileSync(file, 'utf8'));
  });

  it('reads a measured package that is on this machine, checking it is the one measured', async () => {
    // A zoo model compiled as a user would, to measure it.
    const out = join(tmp.dir, 'pkg');
    expect((await run(['compile', '--model', 'mobilenetv3-small', '--out', out])).code).toBe(0);
    const pkg = join(out, 'mobilenetv3-small.mlpackage');
    const { packageContentHash } = await import('@fastvlm/ane-passes');
    const good = join(tmp.dir, 'with-package');
    writeResult(good, 'tiny.json', pkg, 0.4, (r) => ((r.package as { sha256: string }).sha256 = packageContentHash(pkg)));
    // The compiled package's name would also name the zoo model; the package itself wins.
    const r = await run(['calibrate', '--measured', good, '--only-measured']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('M1  tiny.json: mobilenetv3-small.mlpackage (the package lifted) on m3, all median 0.4 ms');
    expect(r.stdout).toContain('(nothing written: give --out FILE to keep the fit)');
    const bad = join(tmp.dir, 'wrong-package');
    writeResult(bad, 'tiny.json', pkg, 0.4);
    const b = await run(['calibrate', '--measured', bad]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/^error E_CALIBRATE: .*tiny\.json: the package at .*mobilenetv3-small\.mlpackage is not the one measured \(sha256 [0-9a-f]{12}\.\.\., the result says 000000000000\.\.\.\)/);
  });

  it('names what is wrong: an empty directory, an unknown chip, a package naming no zoo model, no ANE run, flags without --measured', async () => {
    const empty = join(tmp.dir, 'empty');
    mkdirSync(empty);
    const e = await run(['calibrate', '--measured', empty]);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/^error E_CALIBRATE: .*empty: no \.json result in it; run tools\/ane-bench\/ane-bench\.swift/);
    const chip = join(tmp.dir, 'chip');
    writeResult(chip, 'r.json', '/x/resnet50.mlpackage', 2, (r) => ((r.machine as { chip: string }).chip = 'Apple M9 Ultra'));
    const c = await run(['calibrate', '--measured', chip]);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/^error E_CALIBRATE: .*r\.json: no device profile for the chip 'Apple M9 Ultra'; give --device \(profiles: a14, .*m4max.*\)/);
    expect((await run(['calibrate', '--measured', chip, '--device', 'm3', '--only-measured'])).stdout).toContain('M1  r.json: resnet50 (the zoo model) on m3, all median 2 ms');
    const zoo = join(tmp.dir, 'zoo');
    writeResult(zoo, 'r.json', '/x/my-net.mlpackage', 2);
    const z = await run(['calibrate', '--measured', zoo]);
    expect(z.code).toBe(1);
    expect(z.stderr).toMatch(/^error E_CALIBRATE: .*r\.json: the package \/x\/my-net\.mlpackage is not on this machine and its name names no zoo model \(fastvit-t8, /);
    const cpu = join(tmp.dir, 'cpu');
    writeResult(cpu, 'r.json', '/x/resnet50.mlpackage', 2, (r) => ((r.runs as { computeUnits: string }[])[0]!.computeUnits = 'cpuOnly'));
    const u = await run(['calibrate', '--measured', cpu]);
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/^error E_CALIBRATE: .*r\.json: no run on 'all' or 'cpuAndNeuralEngine' compute units \(found cpuOnly\)/);
    const f = await run(['calibrate', '--only-measured']);
    expect(f.code).toBe(2);
    expect(f.stderr.split('\n')[0]).toBe('error E_CLI_USAGE: --only-measured: applies to a refit to your measurements; give --measured DIR too');
  });
});
