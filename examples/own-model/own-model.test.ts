/**
 * examples/own-model: the library script and `fastvlm compile --module` compile the user's file
 * through the same pipeline (byte-identical packages for the same options), and the package
 * computes what the DSL program computes (lifted back, run by the reference interpreter).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { interpret, tensor } from '@fastvlm/graph';
import { liftProgram, readMlPackage } from '@fastvlm/emit-coreml';
import { compile } from '@fastvlm/compiler';
import { captureIo, main } from '@fastvlm/cli';
import tinyClassifier, { CLASSES, SIDE } from './tiny-classifier.js';
import { compileClassifier } from './compile.js';

const work = mkdtempSync(join(tmpdir(), 'fastvlm-own-model-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const MODULE = new URL('./tiny-classifier.ts', import.meta.url).pathname;

describe('examples/own-model', () => {
  it('compile.ts writes an ANE package with an image input, int8 weights and a report', async () => {
    const lines: string[] = [];
    const r = await compileClassifier(join(work, 'script'), (l) => lines.push(l));
    expect(r.packages.map((p) => p.package)).toEqual(['tiny-classifier.mlpackage']);
    expect(lines[0]).toBe('tiny-classifier: build (program)');
    expect(lines).toContain('tiny-classifier: passes (ane)');
    const pkg = readMlPackage(r.packages[0]!.path);
    expect(pkg.model.description?.input?.[0]?.type?.imageType).toMatchObject({ width: SIDE, height: SIDE, colorSpace: 20 });
    expect(r.compression['tiny-classifier']!.compressed).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(r.reportPath!, 'utf8')).model).toBe('tiny-classifier');
  });

  it('fastvlm compile --module gives the same bytes as the library with the same options', async () => {
    const cli = join(work, 'cli');
    const io = captureIo();
    const code = await main(['compile', '--module', MODULE, '--passes', 'ane', '--out', cli], io);
    expect(io.stderrText()).not.toContain('error');
    expect(code).toBe(0);
    expect(io.stdoutText()).toMatch(/^Compiled tiny-classifier for ios18 \(fp16, passes ane\)/);
    const lib = join(work, 'lib');
    await compile({ kind: 'program', program: tinyClassifier, name: 'tiny-classifier' }, { out: lib, passes: 'ane' });
    for (const f of ['weights/weight.bin', 'model.mlmodel']) {
      const rel = `tiny-classifier.mlpackage/Data/com.apple.CoreML/${f}`;
      expect(Buffer.compare(readFileSync(join(cli, rel)), readFileSync(join(lib, rel))), f).toBe(0);
    }
  });

  it('the fp32 package computes exactly what the DSL program computes', async () => {
    const out = join(work, 'fp32');
    const io = captureIo();
    expect(await main(['compile', '--module', MODULE, '--precision', 'fp32', '--out', out], io)).toBe(0);
    const pkg = readMlPackage(join(out, 'tiny-classifier.mlpackage'));
    const x = tensor('fp32', [1, 3, SIDE, SIDE], Array.from({ length: 3 * SIDE * SIDE }, (_, i) => Math.cos(i * 0.37)));
    const want = interpret(tinyClassifier(), 'main', { image: x }).get('logits')!;
    expect(want.shape).toEqual([1, CLASSES]);
    const got = interpret(liftProgram(pkg.model, pkg.weightsPath), 'main', { image: x }).get('logits')!;
    expect(got.data).toEqual(want.data);
  });
});
