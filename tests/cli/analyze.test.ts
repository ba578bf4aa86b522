/**
 * `fastvlm analyze` (presets, zoo models, packages; --device, --passes, --compress, --json,
 * --top), `compile --report --device`, and `inspect` of zoo models.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceIds } from '@fastvlm/ane-passes';
import { run, tempDir } from './helpers.js';

const tmp = tempDir('analyze');
afterAll(() => tmp.remove());
const out = join(tmp.dir, 'out');

interface Json {
  model: string;
  device: string;
  latency_ms: number;
  functions: Record<string, { unit: string; latency_ms: number; ane_fraction: number; segments: number; weight_bytes: number; findings: { rule: string; severity: string; op: string | null; message: string; fix: string | null }[]; ops: { name: string; latency_ms: number; unit: string }[] }>;
  findings: { rule: string }[];
  weight_file_bytes: number;
  passes: string;
  compress: string | null;
}

async function json(argv: string[]): Promise<Json> {
  const r = await run(['analyze', ...argv, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Json;
}

beforeAll(async () => {
  // The tiny preset compiled with the report's analysis on m4; its packages are analyzed below.
  const r = await run(['compile', '--model', 'tiny', '--out', out, '--report', '--device', 'm4']);
  expect(r.code).toBe(0);
});

describe('fastvlm analyze', () => {
  it('--json of a preset: every function of every part, the total summing them', async () => {
    const a = await json(['tiny']);
    expect(a.device).toBe('a17pro');
    expect(Object.keys(a.functions)).toEqual(['vision', 'embed', 'embed_token', 'prefill', 'decode']);
    expect(Object.values(a.functions).map((f) => f.unit)).toEqual(['vision', 'llm', 'llm', 'llm', 'llm']);
    const sum = Object.values(a.functions).reduce((s, f) => s + f.latency_ms, 0);
    expect(a.latency_ms).toBeCloseTo(sum, 9);
    for (const f of Object.values(a.functions)) {
      expect(f.latency_ms).toBeGreaterThan(0);
      expect(f.ane_fraction).toBeGreaterThanOrEqual(0);
      expect(f.ane_fraction).toBeLessThanOrEqual(1);
      for (const x of f.findings) expect(Object.keys(x)).toEqual(expect.arrayContaining(['rule', 'severity', 'op', 'message']));
    }
    // The embedding lookups have no ANE path: the embed function runs on the CPU.
    expect(a.functions['embed']!.findings.map((x) => x.rule)).toContain('no-ane-path');
    expect(a.functions['embed']!.ane_fraction).toBe(0);
  });

  it('--device takes profiles and aliases; an unknown one is a usage error naming every profile', async () => {
    expect((await json(['mobileone-s0', '--device', 'iphone12pro'])).device).toBe('a14');
    const slow = (await json(['mobileone-s0', '--device', 'a14'])).latency_ms;
    const fast = (await json(['mobileone-s0', '--device', 'm4'])).latency_ms;
    // M4: 19 fp16 TMAC/s... against A14's 5.5: the same network never models slower on it.
    expect(fast).toBeLessThan(slow);
    const r = await run(['analyze', 'mobileone-s0', '--device', 'pixel8']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--device: .*unknown device 'pixel8'/);
    for (const id of deviceIds()) expect(r.stderr).toContain(id);
  });

  it('--passes ane fixes what it promises on DistilBERT (the layer norms move to the channel axis)', async () => {
    const none = await json(['distilbert', '--sequence-length', '32']);
    const ane = await json(['distilbert', '--sequence-length', '32', '--passes', 'ane']);
    const rules = (a: Json): string[] => a.functions['main']!.findings.map((x) => x.rule);
    expect(rules(none).filter((r) => r === 'norm-off-channel')).toHaveLength(13);
    expect(rules(ane)).not.toContain('norm-off-channel');
    expect(ane.passes).toBe('ane');
    // The word embedding is a gather on the CPU either way: two segments.
    expect([none.functions['main']!.segments, ane.functions['main']!.segments]).toEqual([2, 2]);
  });

  it('--compress streams weights at their stored size', async () => {
    const dense = await json(['mobilenetv2']);
    const lut4 = await json(['mobilenetv2', '--compress', 'lut4']);
    expect(lut4.compress).toBe('lut4');
    const d = dense.functions['main']!.weight_bytes;
    const c = lut4.functions['main']!.weight_bytes;
    // 4-bit indices for every weight above 2048 elements: well under a third of fp16, above an eighth (small weights stay dense).
    expect(c).toBeLessThan(d / 3);
    expect(c).toBeGreaterThan(d / 8);
    expect(lut4.latency_ms).toBeLessThanOrEqual(dense.latency_ms);
    const bad = await run(['analyze', 'mobilenetv2', '--compress', 'lut3']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--compress/);
  });

  it('--top N keeps the N costliest ops in --json, and limits the text tables', async () => {
    const a = await json(['resnet50', '--top', '3']);
    const ops = a.functions['main']!.ops;
    expect(ops).toHaveLength(3);
    expect(ops[0]!.latency_ms).toBeGreaterThanOrEqual(ops[1]!.latency_ms);
    expect(ops[1]!.latency_ms).toBeGreaterThanOrEqual(ops[2]!.latency_ms);
    const all = await json(['resnet50']);
    const sorted = [...all.functions['main']!.ops].sort((x, y) => y.latency_ms - x.latency_ms);
    expect(ops.map((o) => o.name)).toEqual(sorted.slice(0, 3).map((o) => o.name));
    const text = await run(['analyze', 'resnet50', '--top', '2']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^resnet50: fp16, passes none\nANE analysis on a17pro \(A17 Pro\): [\d.]+ ms\n/);
    const opsTable = text.stdout.split('costliest ops:\n')[1]!.split('\n');
    // Header and two rows, then the findings.
    expect(opsTable[3]).toMatch(/^ {2}findings: /);
  });

  it('analyzes a package as written, with the size of its weight file', async () => {
    const a = await json([join(out, 'tiny-llm.mlpackage'), '--device', 'm4']);
    expect(a.model).toBe('tiny-llm');
    expect(a.weight_file_bytes).toBe(statSync(join(out, 'tiny-llm.mlpackage', 'Data', 'com.apple.CoreML', 'weights', 'weight.bin')).size);
    expect(Object.keys(a.functions).sort()).toEqual(['decode', 'embed', 'embed_token', 'prefill']);
    // Same program as the report's analysis of the compile (on m4): the same modeled latencies.
    const report = JSON.parse(readFileSync(join(out, 'tiny-report.json'), 'utf8')) as { analysis: Json };
    expect(report.analysis.device).toBe('m4');
    for (const fn of ['embed', 'prefill', 'decode']) expect(a.functions[fn]!.latency_ms).toBeGreaterThan(0);
    expect(Object.keys(report.analysis.functions)).toEqual(['vision', 'embed', 'embed_token', 'prefill', 'decode']);
    const r = await run(['analyze', join(out, 'tiny-llm.mlpackage'), '--passes', 'ane']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--passes: runs on presets and zoo models/);
  });

  it('a package the lifter cannot read gets its coded error', async () => {
    const dir = join(tmp.dir, 'broken.mlpackage');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    const r = await run(['analyze', dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error E_MANIFEST: .*Manifest\.json: missing/);
  });

  it('rejects flags that do not apply to the target', async () => {
    const cases: [string[], RegExp][] = [
      [['resnet50', '--sequence-length', '8'], /--sequence-length: does not apply to resnet50 \(it takes --resolution\)/],
      [['resnet50', '--parts', 'vision'], /--parts: applies to FastVLM presets/],
      [['tiny', '--sequence-length', '8'], /--sequence-length: applies to zoo text models/],
      [['resnet5'], /'resnet5': is neither an \.mlpackage, a FastVLM preset nor a zoo model/],
    ];
    for (const [argv, msg] of cases) {
      const r = await run(['analyze', ...argv]);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  });
});

describe('compile --report --device', () => {
  it('prints the analysis after the tables and writes it into the report', async () => {
    const r = await run(['compile', '--model', 'tiny', '--parts', 'vision', '--out', join(tmp.dir, 'rep'), '--report', '--device', 'a14']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ANE analysis on a14 \(A14 Bionic\): [\d.]+ ms\n/);
    expect(r.stdout).toContain('function vision: ');
    const report = JSON.parse(readFileSync(join(tmp.dir, 'rep', 'tiny-report.json'), 'utf8')) as { analysis: Json };
    expect(report.analysis.device).toBe('a14');
    expect(Object.keys(report.analysis.functions)).toEqual(['vision']);
  });

  it('--device needs --report, and is checked', async () => {
    const a = await run(['compile', '--model', 'tiny', '--out', join(tmp.dir, 'x'), '--device', 'm4']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--device: chooses the device of the analysis that --report adds/);
    const b = await run(['compile', '--model', 'tiny', '--out', join(tmp.dir, 'x'), '--report', '--device', 'm9']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--device: .*unknown device 'm9'/);
  });
});

describe('inspect a zoo model', () => {
  it('describes it, with its parameter count against the published one', async () => {
    const r = await run(['inspect', 'mobileone-s4', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as { kind: string; model: string; family: string; input: string; parameters: number; published: { parameters: number }; function: { inputs: { name: string; type: string }[]; outputs: { name: string; type: string }[] } };
    expect(info).toMatchObject({ kind: 'zoo', model: 'mobileone-s4', family: 'MobileOne', input: 'image 224x224' });
    expect(info.published.parameters).toBe(14.8e6);
    expect(Math.abs(info.parameters - 14.8e6)).toBeLessThan(0.05e6);
    expect(info.function.inputs).toEqual([{ name: 'images', type: 'fp32[1,3,224,224]' }]);
    expect(info.function.outputs).toEqual([{ name: 'logits', type: 'fp16[1,1000]' }]);
    const text = await run(['inspect', 'distilbert']);
    expect(text.stdout).toMatch(/^distilbert \(BERT\)\n/);
    expect(text.stdout).toContain('parameters  66,362,880 (66.36 M); published 66.36 M (+0.00%)');
    expect(text.stdout).toContain('main(input_ids: int32[1,128])');
  });

  it('takes --resolution for image models and refuses FastVLM-only flags', async () => {
    const r = await run(['inspect', 'resnet50', '--resolution', '96', '--json']);
    expect((JSON.parse(r.stdout) as { input: string }).input).toBe('image 96x96');
    const bad = await run(['inspect', 'resnet50', '--prefill-length', '4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--prefill-length: applies to FastVLM presets, not to the zoo model 'resnet50'/);
  });
});
