import { describe, expect, it } from 'vitest';
import { FastVlmError, type Op, type Program, type Value, memorySource, parseProgram, tensor } from '@fastvlm/graph';
import { storeFor } from '../testing/support.js';
import type { Candidate } from './candidates.js';
import { type CompressionPlan, compressCandidates } from './select.js';
import type { CompressionRules } from './settings.js';

/** Settings of the test planner: the threshold the loop reads, and a tag that keys the jobs. */
interface Tagged {
  readonly weightThreshold: number;
  readonly tag: string;
}

/** A job of the test planner: which weight and settings it was made for. */
interface FakeJob {
  readonly sourceName: string;
  readonly tag: string;
}

const FN_A = `func a(%x: fp16[2,8]) -> (%y, %u, %s, %k, %o) {
  %w = const() {dtype="fp16", shape=[8,8], weight="w"} : fp16[8,8]
  %y = linear(x=%x, weight=%w) : fp16[2,8]
  %w2 = const() {dtype="fp16", shape=[8,8], weight="w"} : fp16[8,8]
  %u = linear(x=%x, weight=%w2) : fp16[2,8]
  %small = const() {dtype="fp16", shape=[2,8], weight="small"} : fp16[2,8]
  %s = linear(x=%x, weight=%small) : fp16[2,2]
  %keep = const() {dtype="fp16", shape=[8,8], weight="keep.me"} : fp16[8,8]
  %k = linear(x=%x, weight=%keep) : fp16[2,8]
  %odd = const() {dtype="fp16", shape=[8,8], weight="odd"} : fp16[8,8]
  %o = linear(x=%x, weight=%odd) : fp16[2,8]
  return %y, %u, %s, %k, %o
}
`;
const FN_B = `func b(%x: fp16[2,8]) -> (%y, %m, %v) {
  %w = const() {dtype="fp16", shape=[8,8], weight="w"} : fp16[8,8]
  %y = linear(x=%x, weight=%w) : fp16[2,8]
  %wm = const() {dtype="fp16", shape=[8,8], weight="w"} : fp16[8,8]
  %m = matmul(x=%x, y=%wm) : fp16[2,8]
  %vw = const() {dtype="fp16", shape=[8,8], weight="v"} : fp16[8,8]
  %v = linear(x=%x, weight=%vw) : fp16[2,8]
  return %y, %m, %v
}
`;
const TEXT = FN_A + FN_B;

const RULES: CompressionRules<Tagged> = {
  global: { weightThreshold: 16, tag: 'g' },
  opTypes: { matmul: { weightThreshold: 16, tag: 'm' } },
  names: [{ pattern: 'keep.*', settings: null }],
};

/** A planner building `blockwise_dequantize(data, scale)` over constant sources, keyed by the tag. */
function fakePlanner(made: FakeJob[], wheres: string[]) {
  return (c: Candidate, s: Tagged, where: string): CompressionPlan<FakeJob> | string => {
    wheres.push(where);
    if (c.sourceName === 'odd') return 'odd is odd';
    return {
      key: s.tag,
      job: () => {
        const j = { sourceName: c.sourceName, tag: s.tag };
        made.push(j);
        return j;
      },
      consts: () => [
        { input: 'data', suffix: 'data', source: memorySource(tensor('int8', [...c.shape], new Array<number>(64).fill(1))) },
        { input: 'scale', suffix: 'scale', source: memorySource(tensor('fp16', [1, 1], [0.5])) },
      ],
      kind: 'blockwise_dequantize',
    };
  };
}

/** Per function, for each compressed op in order: its consumer's kind and the store names of data and scale. */
function compressedReads(p: Program): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, fn] of p.functions) {
    const producer = new Map<Value, Op>();
    for (const op of fn.body.ops) for (const v of op.outputs) producer.set(v, op);
    const rows: string[] = [];
    for (const op of fn.body.ops) {
      if (op.kind !== 'blockwise_dequantize') continue;
      const user = fn.body.ops.find((u) => Object.values(u.inputs).includes(op.outputs[0]!));
      const weightOf = (slot: string): string => String(producer.get(op.inputs[slot] as Value)!.attrs.weight);
      rows.push(`${user?.kind}: ${weightOf('data')} ${weightOf('scale')}`);
    }
    out[name] = rows;
  }
  return out;
}

describe('compressCandidates', () => {
  it('skips by rule, by size and by the planner reason (with a note), in op order', () => {
    const p = parseProgram(TEXT, storeFor(TEXT));
    const notes: string[] = [];
    const wheres: string[] = [];
    const r = compressCandidates(p, RULES, { note: (m) => notes.push(m) }, fakePlanner([], wheres));
    expect(r.skipped).toEqual([
      { name: 'small', reason: '16 elements <= weightThreshold 16' },
      { name: 'keep.me', reason: 'a rule says skip' },
      { name: 'odd', reason: 'odd is odd' },
    ]);
    expect(notes).toEqual(["left 'odd' [8,8] dense: odd is odd"]);
    // The planner sees only candidates past the rule and size checks.
    expect(wheres).toEqual(["'w' [8,8]", "'w' [8,8]", "'odd' [8,8]", "'w' [8,8]", "'w' [8,8]", "'v' [8,8]"]);
    expect(r.compressed).toBe(5);
    expect(r.elements).toBe(5 * 64);
    // Skipped constants stay as they were.
    const a = p.functions.get('a')!;
    const weights = a.body.ops.filter((o) => o.kind === 'const' && typeof o.attrs.weight === 'string').map((o) => o.attrs.weight);
    expect(weights).toEqual(expect.arrayContaining(['small', 'keep.me', 'odd']));
    expect(weights).not.toContain('w');
  });

  it('shares one job and its store entries among the consts of one weight with one key', () => {
    const p = parseProgram(TEXT, storeFor(TEXT));
    const before = p.weights.names().length;
    const made: FakeJob[] = [];
    const r = compressCandidates(p, RULES, {}, fakePlanner(made, []));
    // w under the global settings (two consts in a, one in b), w under the matmul rule, and v.
    expect(made).toEqual([
      { sourceName: 'w', tag: 'g' },
      { sourceName: 'w', tag: 'm' },
      { sourceName: 'v', tag: 'g' },
    ]);
    expect(r.jobs).toEqual(made);
    expect(r.jobs[0]).toBe(made[0]);
    // Two entries (data, scale) per job, none per const.
    expect(p.weights.names().length).toBe(before + 6);
    const reads = compressedReads(p);
    expect(reads.a).toEqual(['linear: w.data w.scale', 'linear: w.data w.scale']);
    expect(reads.b![0]).toBe('linear: w.data w.scale');
    const [matmul, v] = [reads.b![1]!, reads.b![2]!];
    expect(matmul.startsWith('matmul: ')).toBe(true);
    expect(v).toBe('linear: v.data v.scale');
    // The matmul's job has entries of its own, with fresh names.
    const names = matmul.slice('matmul: '.length).split(' ');
    expect(names.every((n) => n.startsWith('w.') && n !== 'w.data' && n !== 'w.scale' && p.weights.has(n))).toBe(true);
    expect(new Set(names).size).toBe(2);
  });

  it('only considers constants feeding the given op kinds (default: the matrix ops; empty: any)', () => {
    const text = `func main(%i: int32[2]) -> (%e) {
  %t = const() {dtype="fp16", shape=[8,8], weight="t"} : fp16[8,8]
  %e = gather(x=%t, indices=%i) : fp16[2,8]
  return %e
}
`;
    const none = compressCandidates(parseProgram(text, storeFor(text)), RULES, {}, fakePlanner([], []));
    expect(none.compressed).toBe(0);
    expect(none.skipped).toEqual([]);
    const any = compressCandidates(parseProgram(text, storeFor(text)), RULES, { opTypes: [] }, fakePlanner([], []));
    expect(any.compressed).toBe(1);
    expect(compressCandidates(parseProgram(text, storeFor(text)), RULES, { opTypes: ['gather'] }, fakePlanner([], [])).compressed).toBe(1);
  });

  it('passes planner errors through unchanged', () => {
    const p = parseProgram(TEXT, storeFor(TEXT));
    const boom = new FastVlmError('E_COMPRESS_GROUP', 'no');
    let caught: unknown;
    try {
      compressCandidates(p, RULES, {}, () => {
        throw boom;
      });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(boom);
  });
});
