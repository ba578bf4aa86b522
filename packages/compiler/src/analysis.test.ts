/**
 * analyze() and the analysis of compile(): sources (a Program, a zoo name), the programs judged
 * being the ones compile lowers, merging units with clashing function names, option errors.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FastVlmError, type Program, graph } from '@fastvlm/graph';
import { analyzeProgram } from '@fastvlm/ane-passes';
import { liftProgram, readMlPackage } from '@fastvlm/emit-coreml';
import { analyze, compile, mergeAnalyses } from './index.js';

const work = mkdtempSync(join(tmpdir(), 'fastvlm-analysis-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An fp32 conv net: conv, relu, conv. */
function convNet(): Program {
  const g = graph({ seed: 2 });
  const f = g.function('main');
  const x = f.input('x', 'fp32', [1, 32, 16, 16]);
  const w1 = f.param('a.weight', 'fp32', [64, 32, 1, 1]);
  const w2 = f.param('b.weight', 'fp32', [32, 64, 1, 1]);
  f.output(f.conv2d(f.relu(f.conv2d(x, w1)), w2).named('y'));
  return g.build();
}

async function failure(p: Promise<unknown>): Promise<FastVlmError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FastVlmError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('analyze', () => {
  it('judges a Program as compile would prepare it: fp16 by default, fp32 on the GPU', async () => {
    const fp16 = await analyze(convNet());
    const main = fp16.functions['main']!;
    expect(main.unit).toBe('model');
    // to-fp16 keeps the fp32 I/O: the casts at the boundary are exempt, every op runs on the ANE.
    expect(main.ane_op_fraction).toBe(1);
    expect(main.segments).toBe(1);
    const fp32 = await analyze(convNet(), { precision: 'fp32', device: 'm4' });
    expect(fp32.device).toBe('m4');
    expect(fp32.functions['main']!.ane_fraction).toBe(0);
    expect(fp32.functions['main']!.findings.map((f) => f.rule)).toContain('fp32-compute');
  });

  it('takes zoo names, and is deterministic', async () => {
    const a = await analyze('mobileone-s0', { passes: 'cleanup' });
    const b = await analyze('mobileone-s0', { passes: 'cleanup' });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.model).toBe('mobileone-s0');
    expect(Object.keys(a.functions)).toEqual(['main']);
    expect(a.passes).toBe('cleanup');
  });

  it('rejects unknown devices, precisions and names with coded errors', async () => {
    const d = await failure(analyze(convNet(), { device: 'a13' }));
    expect(d.code).toBe('E_COMPILE_OPTION');
    expect(d.details['option']).toBe('device');
    expect(d.message).toMatch(/unknown device 'a13'; profiles .*a14 \(iphone12/);
    expect((await failure(analyze(convNet(), { precision: 'bf16' as never }))).details['option']).toBe('precision');
    const n = await failure(analyze('resnet49'));
    expect(n.code).toBe('E_COMPILE_SOURCE');
    expect(n.message).toMatch(/presets: .*; zoo: fastvit-t8, .*resnet50/);
  });
});

describe('compile with a device', () => {
  it('analyzes exactly the program it lowered (the package lifted back models the same)', async () => {
    const out = join(work, 'c');
    const r = await compile('mobileone-s0', { out, device: 'a16', passes: 'cleanup' });
    expect(r.packages.map((p) => p.package)).toEqual(['mobileone-s0.mlpackage']);
    expect(r.analysis?.device).toBe('a16');
    expect(r.report.analysis?.device).toBe('a16');
    const pkg = readMlPackage(join(out, 'mobileone-s0.mlpackage'));
    const lifted = analyzeProgram(liftProgram(pkg.model, pkg.weightsPath), { device: 'a16' });
    const mine = r.analysis!.functions['main']!;
    const back = lifted.functions['main']!;
    expect(back.macs).toBe(mine.macs);
    expect(back.weight_bytes).toBe(mine.weight_bytes);
    // The lifter names values its own way, but the network and its cost are the same to 1e-9.
    expect(back.latency_ms).toBeCloseTo(mine.latency_ms, 9);
  });

  it('no device and no report: no analysis', async () => {
    const r = await compile(convNet(), { out: join(work, 'd') });
    expect(r.analysis).toBeUndefined();
    expect(r.report.analysis).toBeUndefined();
  });
});

describe('mergeAnalyses', () => {
  it('prefixes a function name two units share with its unit', () => {
    const report = analyzeProgram(convNet(), { device: 'a14' });
    const m = mergeAnalyses('two', [{ unit: 'left', report }, { unit: 'right', report }], { precision: 'fp32', passes: 'none', compress: null, notes: [] });
    expect(Object.keys(m.functions)).toEqual(['left.main', 'right.main']);
    expect(m.latency_ms).toBeCloseTo(2 * report.latency_ms, 12);
    expect(m.units.map((u) => u.functions)).toEqual([['left.main'], ['right.main']]);
  });
});
