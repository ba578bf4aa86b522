/**
 * bench:emit — compiles a program with about 1 GiB of fp16 weights (a chain of 32 linear layers
 * of 4096 x 4096, synthetic and streamed chunk by chunk, never held in memory) to an
 * .mlpackage, and prints the wall time, the peak RSS, the bytes written, and the ratio to a
 * plain copy: writing the same number of bytes with node:fs in the same chunk size (and fsync,
 * as the package writer does), measured in the same run. Goals: ratio <= 2, peak RSS well under
 * the weight size.
 *
 * Run: npm run bench:emit [-- --gib 0.25] [-- --dir /path/on/the/disk/to/test]
 *
 * The workspace packages are resolved from their TypeScript sources (the `source` export
 * condition); when started without it this script re-runs itself with it.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONDITION = '--conditions=source';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Writes `total` bytes in `chunk`-sized writes, fsyncs, and returns the seconds taken. */
function plainCopy(path: string, total: number, chunk: number): number {
  const buf = new Uint8Array(chunk);
  for (let i = 0; i < chunk; i++) buf[i] = (i * 131 + 7) & 0xff;
  const t0 = performance.now();
  const fd = openSync(path, 'w');
  for (let pos = 0; pos < total; pos += chunk) {
    const n = Math.min(chunk, total - pos);
    let done = 0;
    while (done < n) done += writeSync(fd, buf, done, n - done, pos + done);
  }
  fsyncSync(fd);
  closeSync(fd);
  return (performance.now() - t0) / 1000;
}

async function main(): Promise<void> {
  const { FunctionBuilder, Program, WeightStore } = await import('@fastvlm/graph');
  const { compileToMlPackage } = await import('@fastvlm/emit-coreml');
  type Source = import('@fastvlm/graph').WeightSource;

  const gib = Number(arg('gib', '1'));
  const dim = 4096;
  const layerBytes = dim * dim * 2;
  const layers = Math.max(1, Math.round((gib * 2 ** 30) / layerBytes));
  const chunk = 1 << 22;
  const total = layers * layerBytes;
  const dir = mkdtempSync(join(arg('dir', tmpdir()), 'bench-emit-'));

  /** A distinct, cheap fp16 weight: a fixed pattern with the layer and chunk index stamped in. */
  const layerSource = (layer: number): Source => ({
    dtype: 'fp16',
    shape: [dim, dim],
    read: () => {
      throw new Error('bench weights are streamed only');
    },
    *stream(chunkBytes: number) {
      for (let pos = 0, k = 0; pos < layerBytes; pos += chunkBytes, k++) {
        const c = new Uint8Array(Math.min(chunkBytes, layerBytes - pos));
        for (let i = 0; i < c.length; i += 2) c[i + 1] = 0x3c ^ ((i >> 9) & 0x03); // values near 1.0
        c[0] = layer & 0xff;
        c[2] = k & 0xff;
        yield c;
      }
    },
    describe: () => `bench layer ${layer}`,
  });

  const store = new WeightStore();
  const program = new Program(store);
  const f = new FunctionBuilder('main');
  let x = f.input('x', { dtype: 'fp16', shape: [1, dim] });
  for (let i = 0; i < layers; i++) {
    store.add(`layers.${i}.weight`, layerSource(i));
    const [w] = f.add('const', {}, { dtype: 'fp16', shape: [dim, dim], weight: `layers.${i}.weight` }, { names: [`w${i}`] });
    x = f.add('linear', { x, weight: w! }, {}, { names: [`h${i}`] })[0]!;
  }
  f.output(x);
  program.addFunction(f.fn);

  try {
    console.log(`bench:emit: ${layers} linear layers of ${dim}x${dim} fp16 = ${mib(total)} of weights, chunks of ${mib(chunk)}, in ${dir}`);
    const copySec = plainCopy(join(dir, 'plain-copy.bin'), total, chunk);
    rmSync(join(dir, 'plain-copy.bin'));
    const t0 = performance.now();
    const stats = await compileToMlPackage(program, join(dir, 'Bench.mlpackage'), { target: 'ios18' });
    const emitSec = (performance.now() - t0) / 1000;
    const weightFile = statSync(join(stats.path, 'Data/com.apple.CoreML/weights/weight.bin')).size;
    const rssKiB = process.resourceUsage().maxRSS;
    console.log(`  plain copy       ${copySec.toFixed(2)} s  (${(total / 2 ** 20 / copySec).toFixed(0)} MiB/s, write + fsync)`);
    console.log(`  compile          ${emitSec.toFixed(2)} s  (${(total / 2 ** 20 / emitSec).toFixed(0)} MiB/s; ${stats.ops} MIL ops, ${stats.blobs} blobs)`);
    console.log(`  bytes written    ${mib(weightFile + stats.modelBytes)} (weight.bin ${mib(weightFile)}, model.mlmodel ${stats.modelBytes} B)`);
    console.log(`  peak RSS         ${mib(rssKiB * 1024)} (${((rssKiB * 1024 * 100) / total).toFixed(1)}% of the weight bytes)`);
    console.log(`  ratio            ${(emitSec / copySec).toFixed(2)} x the plain copy (goal <= 2)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.execArgv.includes(CONDITION)) {
  await main();
} else {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [CONDITION, '--import', 'tsx', self, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
