/**
 * The report page from the command line: `fastvlm analyze ... --html FILE` and `fastvlm compile
 * --report --html FILE` write one HTML file whose embedded data holds the same analysis as the
 * JSON outputs (read independently here, from a second run); `analyze PACKAGE --measured
 * RESULT.json` joins an ane-bench result with the model in the text, JSON and page outputs. The
 * page in a real browser: tests/report/page.test.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageContentHash } from '@fastvlm/ane-passes';
import type { ReportPage } from '@fastvlm/report';
import { ROOT, run, tempDir } from './helpers.js';

const tmp = tempDir('report-page');
afterAll(() => tmp.remove());
const DATA = join(ROOT, 'packages/ane-passes/test-data/ane-bench/result.json');
const MODULE = join(ROOT, 'examples/own-model/tiny-classifier.ts');

/** The data a page embeds (the page draws everything from it). */
function pageData(file: string): ReportPage {
  const html = readFileSync(file, 'utf8');
  const m = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m, `${file} embeds its data`).not.toBeNull();
  // No external script, style or font: one file.
  expect(/<(script|link)[^>]+(src|href)=/.test(html), `${file} loads nothing`).toBe(false);
  return JSON.parse(m![1]!) as ReportPage;
}

interface FnJson {
  latency_ms: number;
  ane_fraction: number;
  segments: number;
  findings: { rule: string }[];
  ops: { name: string; kind: string; unit: string; latency_ms: number }[];
  measured?: { measured_median_ms: number; placement_matched: number; placement_agree: number; modeled_ms: number; ratio: number; disagreements: { op: string; modeled: string; measured: string }[]; shares: { op: string; plan_share: number }[] };
}
async function json(argv: string[]): Promise<{ device: string; latency_ms: number; functions: Record<string, FnJson> }> {
  const r = await run(['analyze', ...argv, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

describe('fastvlm analyze --html', () => {
  it('writes the analysis of a zoo model after the passes, with the analysis before them', async () => {
    const file = join(tmp.dir, 'mobileone.html');
    const r = await run(['analyze', 'mobileone-s0', '--passes', 'ane', '--device', 'm4', '--html', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Report page written to ${file}`);
    const page = pageData(file);
    const after = await json(['mobileone-s0', '--passes', 'ane', '--device', 'm4']);
    const before = await json(['mobileone-s0', '--passes', 'none', '--device', 'm4']);
    expect(page.device).toBe('m4');
    expect(page.latency_ms).toBe(after.latency_ms);
    expect(page.functions.map((f) => f.name)).toEqual(Object.keys(after.functions));
    for (const f of page.functions) {
      const a = after.functions[f.name]!;
      expect([f.latency_ms, f.ane_fraction, f.segments, f.findings.length]).toEqual([a.latency_ms, a.ane_fraction, a.segments, a.findings.length]);
      // Before/after: the modeled latency of each side as its own run gives it, and op counts
      // from each side's op list.
      expect(f.passes!.before.latency_ms).toBe(before.functions[f.name]!.latency_ms);
      expect(f.passes!.after.latency_ms).toBe(a.latency_ms);
      const count = (ops: FnJson['ops'], kind?: string): number => ops.filter((o) => o.kind !== 'const' && (kind === undefined || o.kind === kind)).length;
      expect(f.passes!.before.ops).toBe(count(before.functions[f.name]!.ops));
      expect(f.passes!.after.ops).toBe(count(a.ops));
      expect(f.passes!.after.transposes).toBe(count(a.ops, 'transpose'));
      // The treemap's root holds every non-constant op's time.
      expect(f.scope_tree.ops).toBe(count(a.ops));
      expect(f.scope_tree.latency_ms).toBeCloseTo(a.ops.filter((o) => o.unit !== 'const').reduce((s, o) => s + o.latency_ms, 0), 9);
    }
    // M4 has no calibration row; the page says so rather than showing other devices' rows.
    expect(page.calibration.fitted).toBe(true);
    expect(page.calibration.device_rows).toEqual([]);
  });

  it('without passes there is no before/after; the device rows of a calibrated device are shown', async () => {
    const file = join(tmp.dir, 'resnet.html');
    expect((await run(['analyze', 'resnet50', '--device', 'iphone15pro', '--html', file])).code).toBe(0);
    const page = pageData(file);
    expect(page.functions[0]!.passes).toBeNull();
    // C14 (ResNet50) and C15 (OPT-1.3B) were measured on the A17 Pro (ane-latency-calibration.md).
    expect(page.calibration.device_rows.map((r) => [r.id, r.measured_ms])).toEqual([['C14', 1.38], ['C15', 92.15]]);
  });
});

describe('fastvlm compile --report --html', () => {
  const out = join(tmp.dir, 'compiled');
  const file = join(tmp.dir, 'compile.html');
  let report: { packages: { package: string; parameters: number; weightBytes: number }[]; functions: { function: string; before: { ops: number; transposes: number }; after: { ops: number; transposes: number } }[]; analysis: { latency_ms: number; functions: Record<string, { latency_ms: number }> } };
  beforeAll(async () => {
    const r = await run(['compile', '--model', 'tiny', '--parts', 'vision', '--passes', 'ane', '--compress', 'int8', '--report', '--device', 'a16', '--html', file, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Report page written to ${file}`);
    report = JSON.parse(readFileSync(join(out, 'tiny-report.json'), 'utf8'));
  });

  it('holds the report\'s analysis, its before/after statistics and its packages', () => {
    const page = pageData(file);
    expect(page.device).toBe('a16');
    expect(page.compression).toBe('int8');
    expect(page.latency_ms).toBe(report.analysis.latency_ms);
    const vision = page.functions.find((f) => f.name === 'vision')!;
    const stats = report.functions.find((f) => f.function === 'vision')!;
    expect(vision.latency_ms).toBe(report.analysis.functions['vision']!.latency_ms);
    expect([vision.passes!.before.ops, vision.passes!.after.ops, vision.passes!.before.transposes, vision.passes!.after.transposes]).toEqual([stats.before.ops, stats.after.ops, stats.before.transposes, stats.after.transposes]);
    // The build's own analysis before the passes models a different latency.
    expect(vision.passes!.before.latency_ms).not.toBeNull();
    expect(page.packages.map((p) => [p.package, p.parameters, p.weight_bytes])).toEqual(report.packages.map((p) => [p.package, p.parameters, p.weightBytes]));
    // int8: one byte per weight plus the per-channel scales and the small dense tensors, so a
    // little over 8 bits and well under fp16's 16.
    const bits = page.packages[0]!.bits_per_weight;
    expect(bits).toBe((8 * report.packages[0]!.weightBytes) / report.packages[0]!.parameters);
    expect(bits).toBeGreaterThan(8);
    expect(bits).toBeLessThan(12);
  });

  it('--html and --cost-model need --report', async () => {
    const r = await run(['compile', '--model', 'tiny', '--html', file, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe("error E_CLI_USAGE: --html: belongs to the analysis that --report adds; give --report too (or use fastvlm analyze ... --html)");
  });
});

describe('fastvlm analyze PACKAGE --measured', () => {
  const out = join(tmp.dir, 'measured');
  let pkg: string;
  let ops: FnJson['ops'];
  beforeAll(async () => {
    expect((await run(['compile', '--module', MODULE, '--passes', 'ane', '--out', out])).code).toBe(0);
    pkg = join(out, 'tiny-classifier.mlpackage');
    ops = (await json([pkg])).functions['main']!.ops.filter((o) => o.kind !== 'const');
  });

  /** An ane-bench result of the package: every op in the compute plan, the first on the GPU, costs 1, 2, 3... */
  function result(sha256: string, name: string): string {
    const r = JSON.parse(readFileSync(DATA, 'utf8'));
    r.package = { path: pkg, sha256, function: null };
    r.computePlan = { computeUnits: 'all', functions: { main: ops.map((o, i) => ({ operator: o.kind, outputs: [o.name], preferred: i === 0 ? 'gpu' : o.unit, supported: ['ane', 'gpu', 'cpu'], cost: i + 1 })) } };
    const file = join(tmp.dir, name);
    writeFileSync(file, JSON.stringify(r));
    return file;
  }

  it('joins the measurement in the JSON, the text and the page', async () => {
    const file = result(packageContentHash(pkg), 'ok.json');
    const a = await json([pkg, '--measured', file]);
    const m = a.functions['main']!.measured!;
    // The result's run on 'all': median 12.5 ms (test-data/ane-bench/result.json).
    expect(m.measured_median_ms).toBe(12.5);
    expect(m.modeled_ms).toBe(a.functions['main']!.latency_ms);
    expect(m.ratio).toBeCloseTo(12.5 / m.modeled_ms, 12);
    expect([m.placement_matched, m.placement_agree]).toEqual([ops.length, ops.length - 1]);
    expect(m.disagreements).toEqual([{ op: ops[0]!.name, modeled: ops[0]!.unit, measured: 'gpu' }]);
    // Shares: the costliest op of the plan is the last one, with cost n of 1 + 2 + ... + n.
    const n = ops.length;
    expect(m.shares[0]).toMatchObject({ op: ops[n - 1]!.name, plan_share: n / ((n * (n + 1)) / 2) });
    const text = await run(['analyze', pkg, '--measured', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`main: measured on all: median 12.500 ms, p90 13.200 ms; modeled ${m.modeled_ms.toFixed(3)} ms`);
    expect(text.stdout).toContain(`the compute plan agrees with the model on ${n - 1} of ${n} ops; differs at ${ops[0]!.name} (model ${ops[0]!.unit}, plan gpu)`);
    expect(text.stdout).toContain('compute-plan costs are relative estimates, not latencies');
    const html = join(tmp.dir, 'measured.html');
    expect((await run(['analyze', pkg, '--measured', file, '--html', html])).code).toBe(0);
    expect(pageData(html).functions[0]!.measured).toEqual(m);
  });

  it('refuses a result of another package, and a measurement of a preset', async () => {
    const other = result('ab'.repeat(32), 'other.json');
    const r = await run(['analyze', pkg, '--measured', other]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error E_MEASURE_PACKAGE: .*other\.json: measured package .*tiny-classifier\.mlpackage \(sha256 abababababab\.\.\.\), not /);
    const p = await run(['analyze', 'tiny', '--measured', other]);
    expect(p.code).toBe(2);
    expect(p.stderr.split('\n')[0]).toBe("error E_CLI_USAGE: --measured: joins a measurement with the analysis of the package measured; 'tiny' is not a package (analyze the .mlpackage you ran ane-bench on)");
  });
});
