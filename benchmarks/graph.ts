/**
 * bench:graph — build, verify and print a graph of N Qwen2-style transformer blocks (hidden
 * 896, 14 query / 2 KV heads, SwiGLU 4864, sequence 128) for N = 24, 96, 384, with weights
 * registered lazily (never materialized). Prints ops/s per phase and the time ratios between
 * sizes next to the op-count ratios: they should grow linearly, not worse.
 * Run: npm run bench:graph [-- --repeat 3]
 */
import { graph, nn, printProgram, verifyProgram } from '@fastvlm/graph';

const SIZES = [24, 96, 384];
const repeat = Number(process.argv[process.argv.indexOf('--repeat') + 1] ?? 1) || 1;

interface Row { n: number; ops: number; build: number; verify: number; print: number; chars: number }

function buildBlocks(n: number) {
  const g = graph({ locations: false });
  const f = g.function('main');
  let x = f.input('hidden_states', 'fp32', [1, 128, 896]);
  for (let i = 0; i < n; i++) {
    x = f.scope(`model.layers.${i}`, () => {
      const h = nn.rmsNorm(f, x, { name: 'input_layernorm', eps: 1e-6 });
      const a = f.add(x, nn.attention(f, h, { name: 'self_attn', numHeads: 14, numKvHeads: 2, qkvBias: true, rope: { theta: 1e6 }, mask: 'causal' }));
      const m = nn.rmsNorm(f, a, { name: 'post_attention_layernorm', eps: 1e-6 });
      return f.add(a, nn.gatedMlp(f, m, { name: 'mlp', intermediateSize: 4864 }));
    });
  }
  f.output(x.named('output'));
  return g;
}

function time<T>(fn: () => T): [T, number] {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return [r, Number(process.hrtime.bigint() - t0) / 1e6];
}

function measure(n: number): Row {
  const [g, tBuild] = time(() => buildBlocks(n));
  const [program, tBuilt] = time(() => g.build()); // build() verifies once as part of building
  const [, tVerify] = time(() => verifyProgram(program));
  const [text, tPrint] = time(() => printProgram(program));
  const ops = [...program.functions.values()].reduce((s, fn) => s + fn.body.ops.length, 0);
  return { n, ops, build: tBuild + tBuilt - tVerify, verify: tVerify, print: tPrint, chars: text.length };
}

measure(4); // warm up the JIT
const rows: Row[] = SIZES.map((n) => {
  const runs = Array.from({ length: repeat }, () => measure(n));
  const best = (k: 'build' | 'verify' | 'print') => Math.min(...runs.map((r) => r[k]));
  return { ...runs[0]!, build: best('build'), verify: best('verify'), print: best('print') };
});

const fmt = (x: number, d = 1) => x.toFixed(d).padStart(9);
console.log(`bench:graph  node ${process.version}  best of ${repeat}`);
console.log('  blocks      ops  build ms  verify ms  print ms   build op/s  verify op/s  print op/s');
for (const r of rows) {
  const ops = (ms: number) => String(Math.round((r.ops / ms) * 1000)).padStart(11);
  console.log(`${String(r.n).padStart(8)} ${String(r.ops).padStart(8)} ${fmt(r.build)} ${fmt(r.verify, 1)}  ${fmt(r.print)} ${ops(r.build)}  ${ops(r.verify)} ${ops(r.print)}`);
}
console.log('\nscaling (time ratio vs op-count ratio; linear growth keeps them about equal):');
for (let i = 1; i < rows.length; i++) {
  const a = rows[i - 1]!, b = rows[i]!;
  const opsRatio = b.ops / a.ops;
  const r = (k: 'build' | 'verify' | 'print') => (b[k] / a[k]).toFixed(2);
  console.log(`  ${a.n} -> ${b.n}: ops x${opsRatio.toFixed(2)}; build x${r('build')}, verify x${r('verify')}, print x${r('print')}`);
}
