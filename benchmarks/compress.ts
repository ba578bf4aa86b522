/**
 * bench:compress — our weight compression against coremltools 9.0, side by side in one run, on
 * the same fp16 .mlpackage: the fastvlm-0.5b language model (function `decode`: 24 Qwen2 layers
 * with q/k/v/o 896 wide, MLP 896 x 4864, and the 151936 x 896 LM head) with deterministic
 * synthetic weights from @fastvlm/models.
 *
 * Scenarios (same tensors compressed on both sides: the weights of linear/conv/matmul ops):
 * - `pal4-tensor`:   k-means palettization, 4 bits, one table per weight;
 * - `pal4-group16`:  k-means palettization, 4 bits, one table per 16 output channels;
 * - `int8-channel`:  int8 linear-symmetric quantization, one scale per output channel.
 *
 * Ours: read the package, lift it to IR, run `palettize-weights` / `quantize-weights`, write the
 * compressed package (iOS18) while worker threads compress the weights a few ahead of the
 * writer. coremltools:
 * `MLModel(path)`, `palettize_weights` / `linear_quantize_weights`, `save`. Printed per
 * scenario: wall time (and CPU time) of each side and their ratio, mean squared error of every
 * compressed weight against the fp16 original (computed by one script for both packages) and
 * its ratio, and the weight file sizes. Goals: >= 10x faster for palettization, >= 5x for int8,
 * at an MSE <= coremltools'. Not a test: it prints figures.
 *
 * Run: npm run bench:compress [-- --layers 24] [-- --scenarios pal4-tensor,pal4-group16,int8-channel]
 *      [-- --workers 2] [-- --dir /tmp/somewhere] [-- --keep] [-- --ours-only]
 * (`--workers 0` compresses on the main thread; `--ours-only` skips coremltools and the MSE.)
 * (The full run takes a while: coremltools' grouped palettization alone is several minutes.)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONDITION = '--conditions=source';
const REPO = fileURLToPath(new URL('..', import.meta.url));
const PYTHON = process.env.FASTVLM_PYTHON ?? join(REPO, '.venv', 'bin', 'python');
const ORACLE = join(REPO, 'tests', 'conformance', 'py', 'compress_oracle.py');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** A scenario: our pass settings and coremltools' equivalent config. */
interface Scenario {
  readonly name: string;
  readonly kind: 'palettize' | 'quantize';
  readonly ours: Readonly<Record<string, unknown>>;
  readonly theirs: Readonly<Record<string, unknown>>;
  readonly goal: number;
}

const SCENARIOS: readonly Scenario[] = [
  { name: 'pal4-tensor', kind: 'palettize', ours: { nbits: 4, mode: 'kmeans', granularity: 'per_tensor' }, theirs: { mode: 'kmeans', nbits: 4, granularity: 'per_tensor', weight_threshold: 2048 }, goal: 10 },
  {
    name: 'pal4-group16',
    kind: 'palettize',
    ours: { nbits: 4, mode: 'kmeans', granularity: 'per_grouped_channel', groupSize: 16 },
    theirs: { mode: 'kmeans', nbits: 4, granularity: 'per_grouped_channel', group_size: 16, weight_threshold: 2048 },
    goal: 10,
  },
  { name: 'int8-channel', kind: 'quantize', ours: { dtype: 'int8', mode: 'linear_symmetric', granularity: 'per_channel' }, theirs: { mode: 'linear_symmetric', dtype: 'int8', granularity: 'per_channel', weight_threshold: 2048 }, goal: 5 },
];

function python<T>(mode: string, jobs: unknown, dir: string): T {
  const file = join(dir, `${mode}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(jobs));
  const out = execFileSync(PYTHON, [ORACLE, mode, file], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, PYTHONWARNINGS: 'ignore', TQDM_DISABLE: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
  return JSON.parse(out) as T;
}

async function main(): Promise<void> {
  const { readMlPackage, liftProgram, compileToMlPackage } = await import('@fastvlm/emit-coreml');
  const { buildFastVlm, resolveConfig, withLlm } = await import('@fastvlm/models');
  const ap = await import('@fastvlm/ane-passes');

  const layers = Number(arg('layers', '24'));
  const workers = Number(arg('workers', String(availableParallelism())));
  const wanted = arg('scenarios', SCENARIOS.map((s) => s.name).join(',')).split(',');
  const scenarios = SCENARIOS.filter((s) => wanted.includes(s.name));
  const dir = mkdtempSync(join(arg('dir', tmpdir()), 'bench-compress-'));
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: create the venv with scripts/ensure-venv.sh`);

  try {
    // 1. The fp16 package both sides start from.
    const config = withLlm(resolveConfig('fastvlm-0.5b'), { numHiddenLayers: layers });
    let t = performance.now();
    const built = buildFastVlm(config, { parts: ['llm'], dtype: 'fp16', contextLength: 64, prefillLength: 16 });
    const dense = join(dir, 'dense-fp16.mlpackage');
    const denseStats = await compileToMlPackage(built.llm!, dense, { target: 'ios18', functions: ['decode'], fsync: false });
    console.log(`fastvlm-0.5b LLM (function decode, ${layers} layers, fp16, synthetic weights): ${mib(denseStats.weightFileBytes)} of weights, ${denseStats.ops} MIL ops, built in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    console.log(`ours: ${workers} worker thread(s) compressing while the main thread reads and writes; machine: ${availableParallelism()} core(s); coremltools from ${PYTHON}`);

    // Consts coremltools would compress but our passes leave alone (RoPE tables...): left
    // dense on its side too (op_name_configs = None), so both compress the same tensors.
    const lifted = liftProgram(readMlPackage(dense).model, readMlPackage(dense).weightsPath);
    const skip: string[] = [];
    for (const fn of lifted.functions.values()) {
      const ed = new ap.FunctionEditor(lifted, fn);
      const ours = new Set(ap.findCandidates(ed, ap.DEFAULT_WEIGHT_CONSUMERS).map((c) => c.value.name));
      for (const c of ap.findCandidates(ed, [])) if (!ours.has(c.value.name) && c.shape.reduce((a, b) => a * b, 1) > 2048) skip.push(c.value.name);
    }

    const rows: string[][] = [];
    for (const s of scenarios) {
      console.log(`\n== ${s.name}`);
      // 2. Ours: read + lift + pass + tables on workers + write.
      const out = join(dir, `ours-${s.name}.mlpackage`);
      const c0 = process.cpuUsage();
      t = performance.now();
      const pkg = readMlPackage(dense);
      const program = liftProgram(pkg.model, pkg.weightsPath);
      let jobs: readonly (InstanceType<typeof ap.PaletteJob> | InstanceType<typeof ap.QuantJob>)[];
      if (s.kind === 'palettize') {
        const o = s.ours as { nbits: number; mode: 'kmeans'; granularity: 'per_tensor' | 'per_grouped_channel'; groupSize?: number };
        jobs = ap.palettizeProgram(program, ap.palettizeRulesFromOptions({ groupSize: 32, channelAxis: -1, weightThreshold: 2048, rules: [], ...o })).jobs;
      } else {
        jobs = ap.quantizeProgram(program, ap.quantizeRulesFromOptions({ blockSize: 32, weightThreshold: 2048, rules: [], ...(s.ours as { dtype: 'int8'; mode: 'linear_symmetric'; granularity: 'per_channel' }) })).jobs;
      }
      const tPass = performance.now();
      // The weights are compressed on worker threads while the package is written.
      const write = (): ReturnType<typeof compileToMlPackage> => compileToMlPackage(program, out, { target: 'ios18', fsync: false });
      await (workers > 0 ? ap.withCompressWorkers(jobs, write, { workers }) : write());
      const oursSec = (performance.now() - t) / 1000;
      const cpu = process.cpuUsage(c0);
      const oursCpu = (cpu.user + cpu.system) / 1e6;
      console.log(`ours:        ${oursSec.toFixed(2)} s wall (${oursCpu.toFixed(1)} s CPU): lift + pass ${((tPass - t) / 1000).toFixed(2)} s, compress + write ${((performance.now() - tPass) / 1000).toFixed(2)} s; ${jobs.length} weights`);

      if (process.argv.includes('--ours-only')) continue;
      // 3. coremltools on the same package.
      const theirsOut = join(dir, `coremltools-${s.name}.mlpackage`);
      const r = python<{ jobs: { ok: boolean; seconds: number; cpuSeconds: number; error?: string; trace?: string }[] }>(
        'compress',
        { jobs: [{ path: dense, out: theirsOut, kind: s.kind, config: s.theirs, skip, timeOnly: true }] },
        dir,
      ).jobs[0]!;
      if (!r.ok) throw new Error(`coremltools failed: ${r.error}\n${r.trace}`);
      console.log(`coremltools: ${r.seconds.toFixed(2)} s wall (${r.cpuSeconds.toFixed(1)} s CPU)`);

      // 4. Errors and sizes, both measured by the same script.
      const m = python<{ jobs: { ok: boolean; mse: number; elements: number; weights: number; weightBytes: number; error?: string; trace?: string }[] }>(
        'mse',
        { jobs: [{ dense, compressed: out }, { dense, compressed: theirsOut }] },
        dir,
      ).jobs;
      for (const x of m) if (!x.ok) throw new Error(`MSE failed: ${x.error}\n${x.trace}`);
      const [mo, mt] = m as [(typeof m)[0], (typeof m)[0]];
      console.log(`MSE:         ours ${mo.mse.toExponential(4)} over ${mo.weights} weights (${mo.elements} elements), coremltools ${mt.mse.toExponential(4)} over ${mt.weights} weights (${mt.elements})`);
      const speed = r.seconds / oursSec;
      rows.push([
        s.name,
        `${oursSec.toFixed(1)} s`,
        `${r.seconds.toFixed(1)} s`,
        `${speed.toFixed(1)}x (goal >= ${s.goal}x${speed >= s.goal ? ', met' : ', NOT met'})`,
        `${(r.cpuSeconds / oursCpu).toFixed(1)}x`,
        `${(mo.mse / mt.mse).toFixed(4)}${mo.mse <= mt.mse ? '' : ' (ours larger)'}`,
        `${mib(mo.weightBytes)} / ${mib(mt.weightBytes)}`,
      ]);
    }

    console.log('\ncoremltools settings (coremltools 9.0, the same dense fp16 package, iOS18):');
    for (const s of scenarios) {
      const cls = s.kind === 'palettize' ? 'OpPalettizerConfig' : 'OpLinearQuantizerConfig';
      const fn = s.kind === 'palettize' ? 'palettize_weights' : 'linear_quantize_weights';
      const args = Object.entries(s.theirs).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ');
      console.log(`  ${s.name}: ct.optimize.coreml.${fn}(MLModel(path, skip_model_load=True), OptimizationConfig(global_config=${cls}(${args}), op_name_configs={${skip.map((n) => `'${n}': None`).join(', ')}})) then .save(out)`);
    }
    console.log('\nsummary (time ratio = coremltools / ours; MSE ratio = ours / coremltools; sizes = weight.bin ours / coremltools):');
    const head = ['scenario', 'ours', 'coremltools', 'wall ratio', 'CPU ratio', 'MSE ratio', 'weights'];
    const table = [head, ...rows];
    const widths = head.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    for (const r of table) console.log(`  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`);
  } finally {
    if (process.argv.includes('--keep')) console.log(`\npackages kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

if (process.execArgv.includes(CONDITION)) {
  await main();
} else {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(process.execPath, [CONDITION, '--import', 'tsx', self, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
