import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FunctionBuilder, Program, WeightStore, memorySource, syntheticSource, tensor } from '@fastvlm/graph';
import { type CompileProgress, compileToMlPackage, lowerProgramPlan } from './compile.js';
import { readMlPackage } from './package/read.js';
import { encodeModel } from './proto/codec.js';
import { FaultyFs } from './testing/faulty-fs.js';
import { readWeightBin } from './weights/blob-reader.js';
import { errorCodeAsync, fastVlmRejection } from '../../graph/src/testing/errors.js';

const root = mkdtempSync(join(tmpdir(), 'compile-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** x -> linear(W1) -> relu -> linear(W2); W2 optionally a copy of W1 (same bytes). */
function mlp(opts: { shared?: boolean; seed?: number } = {}): Program {
  const store = new WeightStore();
  store.add('w1', syntheticSource('w1', 'fp16', [64, 64], { seed: opts.seed ?? 1 }));
  store.add('w2', opts.shared ? syntheticSource('w1', 'fp16', [64, 64], { seed: opts.seed ?? 1 }) : syntheticSource('w2', 'fp16', [64, 64], { seed: opts.seed ?? 1 }));
  const p = new Program(store);
  const f = new FunctionBuilder('main');
  const x = f.input('x', { dtype: 'fp16', shape: [1, 64] });
  const [w1] = f.add('const', {}, { dtype: 'fp16', shape: [64, 64], weight: 'w1' }, { names: ['w1'] });
  const [w2] = f.add('const', {}, { dtype: 'fp16', shape: [64, 64], weight: 'w2' }, { names: ['w2'] });
  const [h] = f.add('linear', { x, weight: w1! }, {}, { names: ['h'] });
  const [r] = f.add('relu', { x: h! }, {}, { names: ['r'] });
  f.output(f.add('linear', { x: r!, weight: w2! }, {}, { names: ['y'] })[0]!);
  p.addFunction(f.fn);
  return p;
}

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d).sort()) {
      const full = join(d, e);
      if (statSync(full).isDirectory()) walk(full, `${rel}${e}/`);
      else out[`${rel}${e}`] = createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

function place(): { parent: string; dest: string } {
  const parent = join(root, `d${n++}`);
  mkdirSync(parent);
  return { parent, dest: join(parent, 'Model.mlpackage') };
}

describe('compileToMlPackage', () => {
  it('writes a readable package and reports ops, weight bytes, blobs and time', async () => {
    const { dest } = place();
    const progress: CompileProgress[] = [];
    const stats = await compileToMlPackage(mlp(), dest, { target: 'ios17', onProgress: (p) => progress.push(p) });
    expect(stats.path).toBe(dest);
    expect(stats.target).toBe('ios17');
    expect(stats.functions).toEqual(['main']);
    expect(stats.ops).toBe(5); // 2 consts, linear, relu, linear
    expect(stats.weightBytes).toBe(2 * 64 * 64 * 2);
    expect(stats.blobs).toBe(2);
    expect(stats.deduplicated).toBe(0);
    expect(stats.weightFileBytes).toBe(statSync(join(dest, 'Data/com.apple.CoreML/weights/weight.bin')).size);
    expect(stats.timeMs).toBeGreaterThan(0);
    expect(stats.replaced).toBe(false);
    expect(progress[0]!.phase).toBe('lower');
    expect(progress.at(-1)).toEqual({ phase: 'done', bytesDone: stats.weightBytes, bytesTotal: stats.weightBytes, blobsDone: 2, blobsTotal: 2 });
    const done = progress.map((p) => p.bytesDone);
    expect(done.every((d, i) => i === 0 || d >= done[i - 1]!)).toBe(true);
    const pkg = readMlPackage(dest);
    expect(pkg.checkBlobReferences()).toBe(2);
  });

  it('stores identical weights once and points both consts at that blob', async () => {
    const { dest } = place();
    const stats = await compileToMlPackage(mlp({ shared: true }), dest, { target: 'ios18' });
    expect(stats.blobs).toBe(1);
    expect(stats.deduplicated).toBe(1);
    const pkg = readMlPackage(dest);
    const ops = pkg.model.mlProgram!.functions!.main!.blockSpecializations!.CoreML8!.operations!;
    const offsets = ops.filter((o) => o.type === 'const').map((o) => o.attributes!.val!.blobFileValue!.offset);
    expect(offsets).toEqual([64, 64]);
    expect(readWeightBin(pkg.weightsPath!).count).toBe(1);
  });

  it('is deterministic: two compiles give byte-identical packages', async () => {
    const a = place();
    const b = place();
    await compileToMlPackage(mlp(), a.dest);
    await compileToMlPackage(mlp(), b.dest);
    expect(tree(b.dest)).toEqual(tree(a.dest));
  });

  it('provisional offsets of lowerProgram equal the written ones when nothing is deduplicated', async () => {
    const { dest } = place();
    const planned = encodeModel(lowerProgramPlan(mlp(), {}).model);
    await compileToMlPackage(mlp(), dest);
    expect(Buffer.from(readFileSync(join(dest, 'Data/com.apple.CoreML/model.mlmodel'))).equals(Buffer.from(planned))).toBe(true);
  });
});

describe('bad inputs leave no half-written package', () => {
  it('a lowering error writes nothing and keeps the previous package', async () => {
    const { parent, dest } = place();
    await compileToMlPackage(mlp(), dest, { target: 'ios16' });
    const before = tree(dest);
    expect(await errorCodeAsync(compileToMlPackage(mlp(), dest, { target: 'ios15' }))).toBe('E_LOWER_TARGET'); // fp16 I/O
    expect(tree(dest)).toEqual(before);
    expect(readdirSync(parent)).toEqual(['Model.mlpackage']);
  });

  it('a destination that is not writable is E_IO naming the path', async () => {
    const file = join(root, `file${n++}`);
    writeFileSync(file, 'x');
    const dest = join(file, 'Model.mlpackage');
    const e = await fastVlmRejection(compileToMlPackage(mlp(), dest), 'E_IO');
    expect(e.message).toContain(file);
    expect(await errorCodeAsync(compileToMlPackage(mlp(), join(root, 'no', 'such', 'dir', 'M.mlpackage')))).toBe('E_IO');
    const { dest: d2 } = place();
    const ffs = new FaultyFs({ only: ['mkdir'], failAt: 0, code: 'EACCES' });
    expect(await errorCodeAsync(compileToMlPackage(mlp(), d2, { fs: ffs }))).toBe('E_IO');
  });

  it('a full disk at any point is E_NO_SPACE; the previous package stays intact and no temp dir remains', async () => {
    for (const budget of [0, 100, 4096, 9000, 16_500, 17_000]) {
      const { parent, dest } = place();
      await compileToMlPackage(mlp({ seed: 1 }), dest);
      const before = tree(dest);
      const r = await errorCodeAsync(compileToMlPackage(mlp({ seed: 2 }), dest, { fs: new FaultyFs({ noSpaceAfterBytes: budget }) }));
      expect([budget, r]).toEqual([budget, 'E_NO_SPACE']);
      expect(tree(dest)).toEqual(before);
      expect(readdirSync(parent)).toEqual(['Model.mlpackage']);
    }
  });

  it('a weight whose source fails mid-stream is a coded error; nothing is left behind', async () => {
    const { parent, dest } = place();
    const p = mlp();
    p.weights.replace('w2', {
      dtype: 'fp16',
      shape: [64, 64],
      read: () => tensor('fp16', [64, 64], new Array<number>(4096).fill(0)),
      *stream() {
        yield new Uint8Array(1024);
        throw Object.assign(new Error('EIO: disk read failed'), { code: 'EIO' });
      },
      describe: () => 'flaky',
    });
    expect(await errorCodeAsync(compileToMlPackage(p, dest))).toBe('E_IO');
    expect(readdirSync(parent)).toEqual([]);
  });

  it('a weight with the wrong byte count is rejected', async () => {
    const { parent, dest } = place();
    const p = mlp();
    p.weights.replace('w2', { ...memorySource(tensor('fp16', [64, 64], new Array<number>(4096).fill(1))), stream: () => [new Uint8Array(10)] });
    const r = await errorCodeAsync(compileToMlPackage(p, dest));
    expect(r).toMatch(/^E_/);
    expect(readdirSync(parent)).toEqual([]);
  });
});
