/**
 * The on-device measurement readers: an ane-bench result as the Swift script writes it (sorted
 * keys, nil fields left out), every kind of bad file with its coded error naming the field, the
 * package content hash against its definition, and the powermetrics import (plist stream,
 * energies and powers, atomic update).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importPowermetrics, packageContentHash, parseBenchResult, parsePlist, parsePlistStream, readBenchResult, summarisePowermetrics, validateJson } from './index.js';
import { ANE_BENCH_SCHEMA } from './read.js';
import { fastVlmError } from '../../../graph/src/testing/errors.js';

const DATA = new URL('../../test-data/ane-bench/', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'fastvlm-measure-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const sample = (): Record<string, unknown> => JSON.parse(readFileSync(join(DATA, 'result.json'), 'utf8')) as Record<string, unknown>;
const plistText = (): string => readFileSync(join(DATA, 'power.plist.txt'), 'utf8').replace(/@NUL@\n?/g, '\0');

describe('ane-bench results', () => {
  it('reads the Swift form: absent nullable fields read as null', () => {
    const r = parseBenchResult(JSON.stringify(sample()), 'result.json');
    expect(r.package.function).toBeNull();
    expect(r.power).toBeNull();
    expect(r.runs.map((x) => x.computeUnits)).toEqual(['all', 'cpuAndNeuralEngine', 'cpuOnly']);
    const ops = r.computePlan!.functions['main']!;
    expect(ops[1]).toEqual({ operator: 'gather', outputs: ['embeddings'], preferred: 'cpu', supported: ['cpu'], cost: null });
    expect(ops[2]!.preferred).toBeNull();
    expect(r.speedups.allVsCpuOnly).toBe(12);
  });

  it('names the field that breaks the schema', () => {
    const cases: [(j: Record<string, any>) => void, string][] = [
      [(j) => (j['runs'][1]['latencyMs']['p90'] = -1), '$.runs[1].latencyMs.p90: expected >= 0, found -1'],
      [(j) => (j['runs'][0]['computeUnits'] = 'ane'), '$.runs[0].computeUnits: expected one of "all", "cpuAndNeuralEngine", "cpuOnly", "cpuAndGPU", found "ane"'],
      [(j) => delete j['machine']['chip'], '$.machine.chip: missing'],
      [(j) => (j['machine']['cpuCores'] = 2.5), '$.machine.cpuCores: expected integer, found number'],
      [(j) => (j['computePlan']['functions']['main'][0]['supported'] = ['npu']), '$.computePlan.functions.main[0].supported[0]: expected one of "ane", "gpu", "cpu", found "npu"'],
      [(j) => (j['extra'] = 1), '$.extra: unknown field'],
      [(j) => (j['runs'] = {}), '$.runs: expected array, found object'],
    ];
    for (const [edit, problem] of cases) {
      const j = sample();
      edit(j);
      const e = fastVlmError(() => parseBenchResult(JSON.stringify(j), 'r.json'));
      expect(e.code, problem).toBe('E_MEASURE_SCHEMA');
      expect(e.message, problem).toContain(`r.json: ${problem}`);
    }
    expect(validateJson(sample(), ANE_BENCH_SCHEMA)).toBeUndefined();
  });

  it('refuses unknown versions and non-JSON with their own codes', () => {
    const j = sample();
    j['schema'] = 'fastvlm.ane-bench/2';
    const v = fastVlmError(() => parseBenchResult(JSON.stringify(j), 'r.json'));
    expect(v.code).toBe('E_MEASURE_VERSION');
    expect(v.message).toContain('r.json: schema "fastvlm.ane-bench/2" is not one this reader knows (fastvlm.ane-bench/1)');
    expect(fastVlmError(() => parseBenchResult('{"schema": ', 'r.json')).code).toBe('E_MEASURE_READ');
    expect(fastVlmError(() => readBenchResult(join(work, 'absent.json'))).code).toBe('E_MEASURE_READ');
  });

  it('ties a result to its package by content hash', () => {
    const pkg = join(work, 'm.mlpackage');
    mkdirSync(join(pkg, 'Data/com.apple.CoreML/weights'), { recursive: true });
    writeFileSync(join(pkg, 'Manifest.json'), '{}');
    writeFileSync(join(pkg, 'Data/com.apple.CoreML/model.mlmodel'), Buffer.from([1, 2, 3]));
    writeFileSync(join(pkg, 'Data/com.apple.CoreML/weights/weight.bin'), Buffer.alloc(5 << 20, 7));
    // The definition, written out: sorted paths, path NUL size(16 hex) NUL bytes.
    const h = createHash('sha256');
    for (const [rel, bytes] of [
      ['Data/com.apple.CoreML/model.mlmodel', Buffer.from([1, 2, 3])],
      ['Data/com.apple.CoreML/weights/weight.bin', Buffer.alloc(5 << 20, 7)],
      ['Manifest.json', Buffer.from('{}')],
    ] as const) {
      h.update(`${rel}\0${bytes.length.toString(16).padStart(16, '0')}\0`);
      h.update(bytes);
    }
    const want = h.digest('hex');
    expect(packageContentHash(pkg)).toBe(want);
    const file = join(work, 'result.json');
    const j = sample();
    (j['package'] as Record<string, unknown>)['sha256'] = want;
    writeFileSync(file, JSON.stringify(j));
    expect(readBenchResult(file, { packagePath: pkg }).package.sha256).toBe(want);
    // One changed weight byte: another package.
    const w = readFileSync(join(pkg, 'Data/com.apple.CoreML/weights/weight.bin'));
    w[12345] = 8;
    writeFileSync(join(pkg, 'Data/com.apple.CoreML/weights/weight.bin'), w);
    const e = fastVlmError(() => readBenchResult(file, { packagePath: pkg }));
    expect(e.code).toBe('E_MEASURE_PACKAGE');
    expect(e.message).toContain(`measured package /Users/me/build/fastvlm-0.5b-vision.mlpackage (sha256 ${want.slice(0, 12)}...), not ${pkg}`);
  });
});

describe('powermetrics', () => {
  it('parses the NUL-separated plist stream and summarises both forms of samples', () => {
    const docs = parsePlistStream(plistText(), 'power.plist');
    expect(docs).toHaveLength(2);
    expect((docs[1] as Record<string, Record<string, unknown>>)['processor']!['note']).toBe('a & b <c>');
    const s = summarisePowermetrics(plistText(), '/tmp/power.plist');
    // Sample 1: 400 mJ / 0.2 s = 2000 mW ANE, 1500 CPU, 100 GPU; sample 2: 3000, 1000.5, 0.
    expect(s).toEqual({ source: 'power.plist', samples: 2, intervalMs: 200, aneMw: { mean: 2500, max: 3000 }, cpuMw: { mean: 1250.25, max: 1500 }, gpuMw: { mean: 50, max: 100 } });
  });

  it('reports malformed plists with the byte offset, and recordings without ANE power', () => {
    for (const [text, what] of [
      ['<plist><dict><key>a</key></dict></plist>', 'unexpected </dict>'],
      ['<plist><dict><string>x</string></dict></plist>', 'expected <key> in a <dict>, found <string>'],
      ['<plist><integer>1.5</integer></plist>', '<integer> holds "1.5", not a number'],
      ['<plist><dict>', 'unexpected end of the plist'],
      ['<plist><foo/></plist>', 'unknown plist element <foo>'],
      ['<plist><true/></plist>trailing', 'text after </plist>'],
    ] as const) {
      const e = fastVlmError(() => parsePlist(text, 'p.plist'));
      expect(e.code, text).toBe('E_MEASURE_PLIST');
      expect(e.message, text).toMatch(new RegExp(`p\\.plist: .*${what.replace(/[.*+?^${}()|[\]\\<>/]/g, '\\$&')}.* at byte \\d+`));
    }
    const noAne = '<plist><dict><key>elapsed_ns</key><integer>1</integer><key>processor</key><dict><key>cpu_power</key><real>5</real></dict></dict></plist>';
    expect(fastVlmError(() => summarisePowermetrics(noAne, 'p.plist')).message).toContain('1 samples and none gives the Neural Engine\'s power');
  });

  it('imports into a result file atomically, leaving it untouched on failure', () => {
    const result = join(work, 'import.json');
    writeFileSync(result, JSON.stringify(sample()));
    const plist = join(work, 'power.plist');
    writeFileSync(plist, plistText());
    const r = importPowermetrics(plist, result);
    expect(r.power?.aneMw.mean).toBe(2500);
    expect(readBenchResult(result).power).toEqual(r.power);
    const before = readFileSync(result);
    writeFileSync(plist, '<plist><dict>');
    expect(fastVlmError(() => importPowermetrics(plist, result)).code).toBe('E_MEASURE_PLIST');
    expect(Buffer.compare(readFileSync(result), before)).toBe(0);
  });
});
