/**
 * `fastvlm compile --report` on the tiny model: the numbers of the printed table and of the
 * JSON file, checked against naive counts over the IR text the same run dumps (--dump-ir).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Program, byteSize, parseProgram } from '@fastvlm/graph';
import { run, tempDir } from './helpers.js';

const tmp = tempDir('report');
afterAll(() => tmp.remove());

interface Stats {
  ops: number;
  consts: number;
  opCounts: Record<string, number>;
  transposes: number;
  reshapes: number;
  highestRank: number;
  largestIntermediate: { bytes: number; value: string; type: string } | null;
  fp16Share: number | null;
}
interface ReportFile {
  model: string;
  options: { passes: string; precision: string; target: string };
  packages: { package: string; functions: string[]; ops: number; parameters: number }[];
  functions: { part: string; function: string; package: string; before: Stats; after: Stats }[];
}

/** Naive per-function counts from IR text: `%v = kind(` lines between `func NAME(` and `}`. */
function naiveCounts(text: string): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  let cur: Map<string, number> | undefined;
  for (const line of text.split('\n')) {
    const f = /^func ([A-Za-z_][A-Za-z0-9_]*)\(/.exec(line);
    if (f) {
      cur = new Map();
      out.set(f[1]!, cur);
      continue;
    }
    const m = /^\s+%[^=]+= ([a-z_0-9]+)\(/.exec(line);
    if (m && cur) cur.set(m[1]!, (cur.get(m[1]!) ?? 0) + 1);
  }
  return out;
}

/** Naive highest rank and largest non-const result of a function. */
function naiveShapes(p: Program, fn: string): { rank: number; bytes: number } {
  const f = p.fn(fn);
  let rank = Math.max(0, ...f.inputs.map((v) => v.type.shape.length));
  let bytes = 0;
  for (const op of f.body.ops) {
    for (const o of op.outputs) {
      rank = Math.max(rank, o.type.shape.length);
      if (op.kind === 'const') continue;
      let n = 1;
      for (const d of o.type.shape) n *= d as number;
      bytes = Math.max(bytes, byteSize(o.type.dtype, n));
    }
  }
  return { rank, bytes };
}

function loadRun(dir: string, model = 'tiny'): { report: ReportFile; input: Map<string, string>; final: Map<string, string> } {
  const report = JSON.parse(readFileSync(join(dir, 'out', `${model}-report.json`), 'utf8')) as ReportFile;
  const input = new Map<string, string>();
  const final = new Map<string, string>();
  for (const part of ['vision', 'llm']) {
    input.set(part, readFileSync(join(dir, 'dump', `${model}-${part}`, '00-input.mlir'), 'utf8'));
    final.set(part, readFileSync(join(dir, 'dump', `${model}-${part}`, 'final.mlir'), 'utf8'));
  }
  return { report, input, final };
}

describe('--report with the ane passes (fp16)', () => {
  const dir = join(tmp.dir, 'ane');
  let stdout = '';
  beforeAll(async () => {
    const r = await run(['compile', '--model', 'tiny', '--passes', 'ane', '--report', '--dump-ir', join(dir, 'dump'), '--out', join(dir, 'out')]);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    stdout = r.stdout;
  });

  it('counts every op kind, transposes and reshapes before and after the passes', () => {
    const { report, input, final } = loadRun(dir);
    expect(report.functions.map((f) => `${f.part}/${f.function}`)).toEqual(['vision/vision', 'llm/embed', 'llm/embed_token', 'llm/prefill', 'llm/decode']);
    for (const f of report.functions) {
      const before = naiveCounts(input.get(f.part)!).get(f.function)!;
      const after = naiveCounts(final.get(f.part)!).get(f.function)!;
      expect(f.before.opCounts).toEqual(Object.fromEntries(before));
      expect(f.after.opCounts).toEqual(Object.fromEntries(after));
      expect(f.before.transposes).toBe(before.get('transpose') ?? 0);
      expect(f.after.transposes).toBe(after.get('transpose') ?? 0);
      expect(f.before.reshapes).toBe(before.get('reshape') ?? 0);
      expect(f.after.reshapes).toBe(after.get('reshape') ?? 0);
      let total = 0;
      for (const n of after.values()) total += n;
      expect(f.after.ops).toBe(total - (after.get('const') ?? 0));
    }
    // The vision encoder of the tiny model has transposes around its attention before the passes.
    expect(report.functions[0]!.before.transposes).toBeGreaterThan(0);
  });

  it('reports the highest rank and the largest intermediate tensor', () => {
    const { report, final } = loadRun(dir);
    for (const f of report.functions) {
      const naive = naiveShapes(parseProgram(final.get(f.part)!), f.function);
      expect(f.after.highestRank).toBe(naive.rank);
      expect(f.after.largestIntermediate?.bytes).toBe(naive.bytes);
    }
  });

  it('has an fp16 share of exactly 1 in every function', () => {
    const { report } = loadRun(dir);
    for (const f of report.functions) expect(f.after.fp16Share, f.function).toBe(1);
  });

  it('prints the table and names the JSON file', () => {
    expect(stdout).toMatch(/^function\s+ops before\s+ops after\s+transposes\s+reshapes\s+max rank\s+largest intermediate\s+fp16 share$/m);
    for (const fn of ['vision/vision', 'llm/embed', 'llm/embed_token', 'llm/prefill', 'llm/decode']) expect(stdout).toMatch(new RegExp(`^${fn}\\s+\\d+\\s+\\d+\\s+\\d+ -> \\d+.*1\\.000$`, 'm'));
    expect(stdout).toContain('Op counts by type (before -> after the passes):');
    expect(stdout).toContain(`Report written to ${join(dir, 'out', 'tiny-report.json')}`);
  });
});

describe('--report of an fp32 build', () => {
  it('has an fp16 share of 0 and the same op counts before and after without passes', async () => {
    const dir = join(tmp.dir, 'fp32');
    const r = await run(['compile', '--model', 'tiny', '--precision', 'fp32', '--report', '--dump-ir', join(dir, 'dump'), '--out', join(dir, 'out')]);
    expect(r.code).toBe(0);
    const { report } = loadRun(dir);
    for (const f of report.functions) {
      expect(f.after.fp16Share, f.function).toBe(0);
      expect(f.after.opCounts).toEqual(f.before.opCounts);
    }
    expect(report.options).toMatchObject({ passes: 'none', precision: 'fp32', target: 'ios18' });
  });
});
