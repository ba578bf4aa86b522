/**
 * bench:passes — runs the `ane` preset on the full-size FastVLM graphs (fastvlm-0.5b and
 * fastvlm-7b: vision at 1024 x 1024, and the LLM functions embed / embed_token / prefill / decode at the
 * default context 1024 and prefill 512) with lazy synthetic weights and no numeric check, and
 * prints per pass the time and the op counts before and after, for each model; then the ratio
 * of the pipeline times 7b / 0.5b next to the ratio of their op counts (linear scaling keeps
 * them about equal), every weight read a pass made (weights are meant to stay unread: passes
 * should build lazy computed weights), and the peak RSS.
 *
 * Run: npm run bench:passes [-- --repeat 3] [-- --no-verify]
 *
 * The models run `--repeat` times (default 3), interleaved, and each pass's best time is shown,
 * so JIT warm-up and GC pauses of one run do not decide the ratios. Weight reads are found by
 * wrapping every weight source of the built programs (and, for weights the passes add, by
 * watching `WeightStore.read`), attributing each read to the pass running at the time.
 *
 * A report, not a test: nothing here asserts timings.
 */
import { type AnyPass, PRESETS, PassManager, type PassStats, builtinRegistry } from '@fastvlm/ane-passes';
import { type Program, type Tensor, type WeightSource, WeightStore } from '@fastvlm/graph';
import { buildFastVlm } from '@fastvlm/models';

const MODELS = ['fastvlm-0.5b', 'fastvlm-7b'] as const;
const PARTS = ['vision', 'llm'] as const;
type Part = (typeof PARTS)[number];
const verify = !process.argv.includes('--no-verify');
const repeatArg = process.argv.indexOf('--repeat');
const repeat = Math.max(1, Number(repeatArg >= 0 ? process.argv[repeatArg + 1] : 3) || 3);

/** Weight reads seen while a pass ran, by pass name (or outside any pass). */
interface ReadLog {
  count: number;
  elements: number;
  readonly names: Set<string>;
  largest: number;
  largestName: string;
}
const OUTSIDE = '(outside passes)';
let currentPass = OUTSIDE;
let reads = new Map<string, ReadLog>();
/** Nesting of WeightStore.read calls: a read counts once, at the outermost level. */
let storeReadDepth = 0;

function noteRead(name: string, elements: number): void {
  let log = reads.get(currentPass);
  if (!log) reads.set(currentPass, (log = { count: 0, elements: 0, names: new Set(), largest: 0, largestName: '' }));
  log.count += 1;
  log.elements += elements;
  log.names.add(name);
  if (elements > log.largest) {
    log.largest = elements;
    log.largestName = name;
  }
}

const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

// Benchmark-only instrumentation: every read through a store is noted (the weights the passes
// add included), and direct reads of the built weights' sources by wrapping them.
const storeRead = WeightStore.prototype.read;
WeightStore.prototype.read = function (this: WeightStore, name: string): Tensor {
  if (storeReadDepth === 0) noteRead(name, numel(this.source(name).shape));
  storeReadDepth++;
  try {
    return storeRead.call(this, name);
  } finally {
    storeReadDepth--;
  }
};

/** Replaces every weight source of `p` with one that notes reads not made through a store. */
function watchWeights(p: Program): void {
  for (const name of p.weights.names()) {
    const src = p.weights.source(name);
    const note = (): void => {
      if (storeReadDepth === 0) noteRead(name, numel(src.shape));
    };
    const watched: WeightSource = {
      dtype: src.dtype,
      shape: src.shape,
      read: (): Tensor => {
        note();
        return src.read();
      },
      ...(src.stream ? { stream: (chunkBytes: number) => (note(), src.stream!(chunkBytes)) } : {}),
      describe: () => src.describe(),
    };
    p.weights.replace(name, watched);
  }
}

/** The `ane` preset with every pass wrapped so weight reads are attributed to it. */
function watchedAnePreset(): PassManager {
  const pm = new PassManager();
  PRESETS.ane.steps.forEach(([name, options], i) => {
    const pass = builtinRegistry.get(name);
    const label = `${i + 1} ${pass.name}`;
    const watched: AnyPass = {
      ...pass,
      run(program, ctx) {
        currentPass = label;
        try {
          pass.run(program, ctx);
        } finally {
          currentPass = OUTSIDE;
        }
      },
    };
    pm.add(watched, options as never);
  });
  return pm;
}

const opCount = (p: Program): number => [...p.functions.values()].reduce((n, f) => n + f.body.ops.length, 0);

/** One part of one model: best times over the repeats. */
interface PartRun {
  readonly ops: number;
  readonly opsAfter: number;
  /** Sum over the passes of the ops each one started from: the work of a linear pipeline. */
  readonly opsProcessed: number;
  readonly buildMs: number;
  /** Per pass, with each pass's best time. */
  readonly stats: readonly PassStats[];
  /** Sum of the best pass times (verification excluded). */
  readonly passMs: number;
  /** Best wall time of PassManager.run (copy and verification included). */
  readonly runMs: number;
  /** Weight reads of the first run. */
  readonly reads: ReadonlyMap<string, ReadLog>;
}

/** Builds and optimizes one part once; merges the times into `best`. */
function runPart(model: string, part: Part, best: PartRun | undefined): PartRun {
  reads = new Map();
  const t0 = performance.now();
  const program = buildFastVlm(model, { parts: [part] })[part]!;
  const buildMs = performance.now() - t0;
  watchWeights(program);
  const t1 = performance.now();
  const res = watchedAnePreset().run(program, { verify, numericCheck: false });
  const runMs = performance.now() - t1;
  const opsAfter = opCount(res.program);
  if (best && (opsAfter !== best.opsAfter || res.stats.some((s, k) => s.opsAfter !== best.stats[k]!.opsAfter))) {
    console.log(`NOTE: ${model} ${part}: op counts differ between repeats (the pipeline is not deterministic)`);
  }
  const stats = best ? res.stats.map((s, k) => ({ ...s, ms: Math.min(s.ms, best.stats[k]!.ms) })) : res.stats;
  return {
    ops: opCount(program),
    opsAfter,
    opsProcessed: stats.reduce((n, s) => n + s.opsBefore, 0),
    buildMs: Math.min(buildMs, best?.buildMs ?? Number.POSITIVE_INFINITY),
    stats,
    passMs: stats.reduce((n, s) => n + s.ms, 0),
    runMs: Math.min(runMs, best?.runMs ?? Number.POSITIVE_INFINITY),
    reads: best?.reads ?? reads,
  };
}

const ms = (x: number): string => x.toFixed(1).padStart(9);
const n = (x: number): string => String(x).padStart(6);

function printModel(model: string, parts: Readonly<Record<Part, PartRun>>): void {
  const { vision, llm } = parts;
  console.log(`\n${model}: vision ${vision.ops} ops (built in ${vision.buildMs.toFixed(0)} ms), llm ${llm.ops} ops (built in ${llm.buildMs.toFixed(0)} ms)`);
  console.log(`  ${'#'.padStart(2)} ${'pass'.padEnd(32)} ${'vision ms'.padStart(9)} ${'ops before -> after'.padStart(18)}    ${'llm ms'.padStart(9)} ${'ops before -> after'.padStart(18)}`);
  vision.stats.forEach((v, i) => {
    const l = llm.stats[i]!;
    console.log(`  ${String(v.index).padStart(2)} ${v.name.padEnd(32)} ${ms(v.ms)} ${n(v.opsBefore)} -> ${n(v.opsAfter)}    ${ms(l.ms)} ${n(l.opsBefore)} -> ${n(l.opsAfter)}`);
  });
  console.log(`  ${''.padStart(2)} ${'sum of passes'.padEnd(32)} ${ms(vision.passMs)} ${n(vision.ops)} -> ${n(vision.opsAfter)}    ${ms(llm.passMs)} ${n(llm.ops)} -> ${n(llm.opsAfter)}`);
  console.log(`  ${''.padStart(2)} ${`PassManager.run (copy${verify ? ', verify' : ''})`.padEnd(32)} ${ms(vision.runMs)} ${''.padStart(18)}    ${ms(llm.runMs)}`);
  for (const part of PARTS) {
    const r = parts[part].reads;
    if (r.size === 0) {
      console.log(`  ${part} weight reads: none (every weight stayed lazy)`);
      continue;
    }
    console.log(`  ${part} weight reads (materialized weights), by pass:`);
    for (const [pass, log] of [...r].sort(([a], [b]) => (parseInt(a, 10) || 0) - (parseInt(b, 10) || 0))) {
      console.log(`    ${pass.padEnd(32)} ${String(log.names.size).padStart(4)} weights (${log.count} reads, ${log.elements} elements); largest ${log.largest} elements (${log.largestName})`);
    }
  }
}

// Warm up the JIT on the tiny model.
for (const part of PARTS) runPart('tiny', part, undefined);

console.log(`bench:passes  node ${process.version}  ane preset (${PRESETS.ane.steps.length} passes), verify ${verify ? 'on' : 'off'}, numeric check off, synthetic lazy weights, best of ${repeat}`);
const best = new Map<string, Record<Part, PartRun>>();
const rssAfterFirst = new Map<string, number>();
for (let rep = 0; rep < repeat; rep++) {
  for (const model of MODELS) {
    const prev = best.get(model);
    const parts = {} as Record<Part, PartRun>;
    for (const part of PARTS) parts[part] = runPart(model, part, prev?.[part]);
    best.set(model, parts);
    if (rep === 0) rssAfterFirst.set(model, process.resourceUsage().maxRSS / 1024);
  }
}
for (const model of MODELS) printModel(model, best.get(model)!);

type Measure = 'ops' | 'opsAfter' | 'opsProcessed' | 'passMs' | 'runMs';
const [a, b] = MODELS.map((m) => best.get(m)!) as [Record<Part, PartRun>, Record<Part, PartRun>];
const ratio = (x: number, y: number): string => `x${(x / y).toFixed(2)}`;
const total = (r: Record<Part, PartRun>, k: Measure): number => r.vision[k] + r.llm[k];
console.log(`\nscaling ${MODELS[1]} / ${MODELS[0]}: time ratios against op-count ratios (ops in, ops out, and ops processed =`);
console.log('the sum over the passes of the ops each starts from); linear passes keep the time ratio near the ops-processed ratio:');
const row = (label: string, get: (r: Record<Part, PartRun>, k: Measure) => number): void => {
  const q = (k: Measure): string => ratio(get(b, k), get(a, k)).padStart(6);
  console.log(`  ${label.padEnd(7)} ops in ${q('ops')}  ops out ${q('opsAfter')}  ops processed ${q('opsProcessed')}  |  pass time ${q('passMs')}  run time ${q('runMs')}`);
};
for (const part of PARTS) row(part, (r, k) => r[part][k]);
row('total', total);
for (const model of MODELS) {
  const r = best.get(model)!;
  const perOp = (total(r, 'passMs') * 1000) / total(r, 'opsProcessed');
  console.log(`  ${model}: ${total(r, 'ops')} -> ${total(r, 'opsAfter')} ops, ${total(r, 'opsProcessed')} processed; ${total(r, 'passMs').toFixed(0)} ms of passes (${perOp.toFixed(1)} us per op processed), ${total(r, 'runMs').toFixed(0)} ms of PassManager.run`);
}
console.log(`peak RSS: ${MODELS.map((m) => `${rssAfterFirst.get(m)!.toFixed(0)} MiB after the first ${m} run`).join(', ')}; ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB at the end`);
