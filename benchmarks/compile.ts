/**
 * `npm run bench:compile`: compiles FastVLM-0.5B at full size (fp16, both parts, synthetic
 * weights, target ios18) with @fastvlm/compiler's `compile`, then writes the same number of bytes with
 * plain `fs` writes in the same run, and prints wall time, peak RSS, bytes written and the
 * ratio of the compile's time to the plain write's.
 *
 * Options: `--model NAME` (default fastvlm-0.5b), `--passes none|ane` (default none),
 * `--out DIR` (default a temporary directory, removed afterwards), `--keep` (keep the output).
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile } from '@fastvlm/compiler';
import { formatCompileSummary } from '@fastvlm/cli';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const model = arg('model') ?? 'fastvlm-0.5b';
const passes = arg('passes') ?? 'none';
const keep = process.argv.includes('--keep');
const out = arg('out') ?? mkdtempSync(join(tmpdir(), 'fastvlm-bench-compile-'));

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** Writes `bytes` bytes to `file` in 4 MiB chunks and fsyncs, as the package writer does; returns ms. */
function plainWrite(file: string, bytes: number): number {
  const chunk = new Uint8Array(4 << 20);
  // Non-zero, non-repeating-looking content so no layer can shortcut it.
  let x = 0x9e3779b9;
  for (let i = 0; i < chunk.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    chunk[i] = x & 0xff;
  }
  const t0 = performance.now();
  const fd = openSync(file, 'w');
  try {
    for (let done = 0; done < bytes; ) {
      const n = Math.min(chunk.length, bytes - done);
      done += writeSync(fd, chunk, 0, n, done);
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return performance.now() - t0;
}

try {
  console.log(`bench:compile: ${model}, fp16, vision + llm, passes ${passes}, synthetic weights, ios18 -> ${out}`);
  const t0 = performance.now();
  const result = await compile(
    { kind: 'fastvlm', model, parts: ['vision', 'llm'] },
    { out, target: 'ios18', precision: 'fp16', passes, onProgress: (e) => e.type === 'phase' && process.stderr.write(`${e.task}: ${e.phase}\n`) },
  );
  const compileMs = performance.now() - t0;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  const bytes = result.packages.reduce((sum, p) => sum + p.packageBytes, 0);
  process.stdout.write(formatCompileSummary(result, { report: false }));

  const copyMs = plainWrite(join(out, 'plain-write.bin'), bytes);
  rmSync(join(out, 'plain-write.bin'), { force: true });

  console.log('');
  console.log(`compile wall time       ${s(compileMs)}`);
  console.log(`peak RSS                ${mb(peakRss)}`);
  console.log(`bytes written           ${mb(bytes)} (${bytes} bytes in ${result.packages.length} packages)`);
  console.log(`compile throughput      ${(bytes / 1e6 / (compileMs / 1000)).toFixed(1)} MB/s`);
  console.log(`plain write, same bytes ${s(copyMs)} (${(bytes / 1e6 / (copyMs / 1000)).toFixed(1)} MB/s, 4 MiB writes + fsync)`);
  console.log(`ratio compile / write   ${(compileMs / copyMs).toFixed(2)}x`);
} finally {
  if (!keep && arg('out') === undefined) rmSync(out, { recursive: true, force: true });
}
