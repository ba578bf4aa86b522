/**
 * bench:analyze — times the ANE analysis (`analyzeProgram`: rule checks, placement, segments and
 * the cost model, on a17pro) of the full-size FastVLM LLM graphs (embed, embed_token, prefill at
 * 512 tokens, decode at a 1024 context) of fastvlm-7b and fastvlm-0.5b, built in fp16 (`--passes
 * none`) and after the `ane` preset, with lazy synthetic weights (the analysis reads shapes only:
 * no weight is read). The goal is under 2 s for the 7B graph.
 *
 * Baseline, measured in the same run on the same graph: `printProgram` (one linear walk over
 * every op, writing its text), so the ratio says what the analysis costs per op relative to the
 * cheapest full pass over the IR. Each timing is the best of `--repeat` runs (default 5).
 *
 * Run: npm run bench:analyze [-- --repeat 5]
 *
 * A report, not a test: nothing here asserts timings.
 */
import { PassManager, analyzeProgram } from '@fastvlm/ane-passes';
import { type Program, type Tensor, WeightStore, printProgram } from '@fastvlm/graph';
import { buildFastVlm } from '@fastvlm/models';

const repeatArg = process.argv.indexOf('--repeat');
const repeat = Math.max(1, Number(repeatArg >= 0 ? process.argv[repeatArg + 1] : 5) || 5);

let weightReads = 0;
const storeRead = WeightStore.prototype.read;
WeightStore.prototype.read = function read(this: WeightStore, name: string): Tensor {
  weightReads++;
  return storeRead.call(this, name);
};

function best(f: () => unknown): number {
  let t = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    f();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}

function ops(p: Program): number {
  let n = 0;
  for (const fn of p.functions.values()) n += fn.body.ops.length;
  return n;
}

const rows: string[][] = [['model', 'passes', 'ops', 'analysis ms', 'printProgram ms', 'ratio', 'ms / 1k ops', 'decode modeled ms']];
for (const model of ['fastvlm-7b', 'fastvlm-0.5b'] as const) {
  const built = buildFastVlm(model, { parts: ['llm'], dtype: 'fp16' }).llm!;
  const ane = PassManager.preset('ane').run(built).program;
  for (const [label, p] of [['none', built], ['ane', ane]] as const) {
    weightReads = 0;
    const tA = best(() => analyzeProgram(p, { device: 'a17pro' }));
    const readsDuring = weightReads;
    const tP = best(() => printProgram(p));
    const r = analyzeProgram(p, { device: 'a17pro' });
    const n = ops(p);
    rows.push([model, label, String(n), tA.toFixed(0), tP.toFixed(0), (tA / tP).toFixed(2), ((1000 * tA) / n).toFixed(1), r.functions['decode']!.latency_ms.toFixed(1)]);
    if (readsDuring) console.log(`warning: the analysis of ${model} (${label}) read ${readsDuring} weights`);
  }
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
const seven = rows.filter((r) => r[0] === 'fastvlm-7b').map((r) => Number(r[3]));
console.log(`\nfastvlm-7b LLM graph: analysis ${Math.max(...seven).toFixed(0)} ms at most (goal < 2000 ms); best of ${repeat}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
