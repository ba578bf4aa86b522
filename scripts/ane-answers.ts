/**
 * The figures of docs/ane-analysis.md ("what the model says"): FastViTHD at 1024 in four forms,
 * the LLM decode step of the three FastVLM sizes at fp16 and lut4 against the bandwidth bound,
 * and DistilBERT with and without the `ane` passes, on a17pro and m4. Every figure comes from
 * `analyze` of @fastvlm/compiler (what `fastvlm analyze` prints) with the committed parameters.
 *
 * Run: npx tsx --conditions=source scripts/ane-answers.ts [--markdown]
 */
import { deviceModel } from '../packages/ane-passes/src/index.js';
import { type AnalyzeOptions, type CompileSource, type SourceAnalysis, analyze } from '../packages/compiler/src/index.js';

const DEVICES = ['a17pro', 'm4'] as const;
const md = process.argv.includes('--markdown');

function table(head: string[], rows: string[][]): string {
  if (md) return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((r) => r.map((c, i) => c.padEnd(w[i]!)).join('  ')).join('\n');
}

const f2 = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

async function run(source: CompileSource, opts: AnalyzeOptions): Promise<SourceAnalysis> {
  return analyze(source, opts);
}

async function vision(): Promise<void> {
  const src: CompileSource = { kind: 'fastvlm', model: 'fastvlm-0.5b', parts: ['vision'], resolution: 1024 };
  const forms: [string, AnalyzeOptions][] = [
    ['(a) Apple export: fp32, cleanup only', { precision: 'fp32', passes: 'cleanup' }],
    ['(b) plain fp16 conversion (cleanup)', { precision: 'fp16', passes: 'cleanup' }],
    ['(c) --passes ane', { passes: 'ane' }],
    ['(d) ane + --compress lut4', { passes: 'ane', compress: 'lut4' }],
    ['(d) ane + --compress int8', { passes: 'ane', compress: 'int8' }],
  ];
  const rows: string[][] = [];
  for (const d of DEVICES) {
    for (const [label, o] of forms) {
      const a = await run(src, { ...o, device: d });
      const f = a.functions['vision']!;
      rows.push([d, label, f2(f.latency_ms), pct(f.ane_fraction), String(f.segments), f2(f.roofline_ms), `x${(f.latency_ms / f.roofline_ms).toFixed(2)}`, `${(f.weight_bytes / 1e6).toFixed(0)} MB`, String(f.findings.filter((x) => x.severity === 'error').length)]);
    }
  }
  console.log('FastViTHD + projector at 1024x1024 (fastvlm-0.5b vision)\n');
  console.log(table(['device', 'form', 'ms', 'ANE time', 'segments', 'roofline ms', 'modeled / roofline', 'weights', 'errors'], rows));
}

async function decode(): Promise<void> {
  const rows: string[][] = [];
  for (const d of DEVICES) {
    const bw = deviceModel(d).bandwidthBytesPerSecond;
    for (const model of ['fastvlm-0.5b', 'fastvlm-1.5b', 'fastvlm-7b']) {
      for (const compress of [undefined, 'lut4'] as const) {
        const a = await run({ kind: 'fastvlm', model, parts: ['llm'] }, { device: d, passes: 'ane', ...(compress ? { compress } : {}) });
        const f = a.functions['decode']!;
        const boundMs = (f.weight_bytes / bw) * 1e3;
        rows.push([d, model, compress ?? 'fp16', f2(f.latency_ms), (1000 / f.latency_ms).toFixed(1), `${(f.weight_bytes / 1e9).toFixed(2)} GB`, f2(boundMs), (1000 / boundMs).toFixed(1), `x${(f.latency_ms / boundMs).toFixed(2)}`, pct(f.ane_fraction), String(f.segments)]);
      }
    }
  }
  console.log('\nLLM decode step (context 1024, --passes ane)\n');
  console.log(table(['device', 'model', 'weights', 'ms / token', 'tokens/s', 'weight bytes / token', 'bound ms', 'bound tokens/s', 'modeled / bound', 'ANE time', 'segments'], rows));
}

async function distilbert(): Promise<void> {
  const rows: string[][] = [];
  for (const d of DEVICES) {
    for (const passes of ['none', 'cleanup', 'ane']) {
      const a = await run('distilbert', { device: d, passes });
      const f = a.functions['main']!;
      const by = new Map<string, number>();
      for (const x of f.findings) by.set(x.rule, (by.get(x.rule) ?? 0) + 1);
      rows.push([d, passes, f2(f.latency_ms), pct(f.ane_fraction), String(f.segments), f2(f.roofline_ms), `x${(f.latency_ms / f.roofline_ms).toFixed(2)}`, [...by].map(([k, n]) => `${k} x${n}`).join(', ')]);
    }
  }
  console.log('\nDistilBERT, 128 tokens (Hugging Face layout)\n');
  console.log(table(['device', 'passes', 'ms', 'ANE time', 'segments', 'roofline ms', 'modeled / roofline', 'findings'], rows));
}

await vision();
await decode();
await distilbert();
