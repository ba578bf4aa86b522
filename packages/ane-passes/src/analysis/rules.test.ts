import { Func, Op, Program, Value, WeightStore } from '@fastvlm/graph';
import { describe, expect, it } from 'vitest';
import { BUILTIN_PASSES } from '../builtins.js';
import { analyzeProgram } from './analyze.js';
import { isNativeEinsum } from './check.js';
import { ANE_RULES, type AneRuleId, aneRule, renderRulesDoc } from './rules.js';
import { TEST_MODEL, analyzeTest, analyzeText, main, ruleIds } from './test-support.js';
import type { AnalysisReport } from './types.js';

/** A program with one function `main` of hand-built ops (kinds the op registry may not know). */
function handBuilt(kind: string, input: { dtype: 'fp16'; shape: number[] }): Program {
  const x = new Value('x', { dtype: input.dtype, shape: input.shape });
  const y = new Value('y', { dtype: input.dtype, shape: input.shape });
  const op = new Op(kind, { input: x }, {}, [y]);
  const fn = new Func('main', [x]);
  fn.body.ops.push(op);
  fn.body.outputs.push(y);
  const p = new Program(new WeightStore());
  p.addFunction(fn);
  return p;
}

const LUT16 = Array.from({ length: 16 }, (_, i) => (i - 8) / 8).join(',');
const conv = (attrs: string, k = 3, x = 'fp16[1,64,32,32]', out = 'fp16[1,64,32,32]'): string =>
  main(`%x: ${x}`, `%w = const() {dtype="fp16", shape=[64,1,${k},${k}], weight="w"} : fp16[64,1,${k},${k}]\n%y = conv2d(x=%x, weight=%w) {groups=64${attrs}} : ${out}`);
const palettized = (stride: number, out: string): string =>
  main(
    '%x: fp16[1,64,32,32]',
    `%lut = const() {dtype="fp16", shape=[1,1,1,1,16,1], value=[${LUT16}]} : fp16[1,1,1,1,16,1]
     %idx = const() {dtype="uint4", shape=[64,1,3,3], weight="idx"} : uint4[64,1,3,3]
     %w = lut_dequantize(lut=%lut, indices=%idx) : fp16[64,1,3,3]
     %y = conv2d(x=%x, weight=%w) {groups=64, strides=[${stride},${stride}], pad_type="same"} : ${out}`,
  );
const relu = (t: string): string => main(`%x: ${t}`, `%y = relu(x=%x) : ${t}`);
const pool = (attrs: string, out: string): string => main('%x: fp16[1,64,64,64]', `%y = avg_pool(x=%x) {${attrs}} : ${out}`);

/** For each rule: a program that breaks it and a near miss that does not. */
const CASES: Readonly<Record<AneRuleId, { hit: () => AnalysisReport; miss: () => AnalysisReport }>> = {
  'dynamic-shape': { hit: () => analyzeText(relu('fp16[1,64,1,S]')), miss: () => analyzeText(relu('fp16[1,64,1,64]')) },
  'fp32-compute': { hit: () => analyzeText(relu('fp32[1,64,1,64]')), miss: () => analyzeText(relu('fp16[1,64,1,64]')) },
  'int32-compute': {
    hit: () => analyzeText(main('%a: int32[1,1,1,32], %b: int32[1,1,1,32]', '%y = add(x=%a, y=%b) : int32[1,1,1,32]')),
    miss: () => analyzeText(main('%a: fp16[1,1,1,32], %b: fp16[1,1,1,32]', '%y = add(x=%a, y=%b) : fp16[1,1,1,32]')),
  },
  'no-ane-path': {
    hit: () => analyzeText(main('%i: int32[1,4]', '%t = const() {dtype="fp16", shape=[64,32], weight="t"} : fp16[64,32]\n%y = gather(x=%t, indices=%i) : fp16[1,4,32]')),
    miss: () => analyzeText(main('%t: fp16[64,32]', '%y = slice(x=%t) {begin=[0,0], end=[4,32]} : fp16[4,32]')),
  },
  'rank-above-5': { hit: () => analyzeText(relu('fp16[1,2,2,2,2,64]')), miss: () => analyzeText(relu('fp16[1,2,2,2,64]')) },
  'axis-cap': { hit: () => analyzeText(relu('fp16[1,1,16416]')), miss: () => analyzeText(relu('fp16[1,1,16384]')) },
  'conv-kernel-wide': {
    hit: () => analyzeText(conv(', pad_type="same"', 15)),
    miss: () => analyzeText(conv(', pad_type="same"', 13)),
  },
  'conv-dilated': { hit: () => analyzeText(conv(', dilations=[2,2], pad_type="same"')), miss: () => analyzeText(conv(', pad_type="same"')) },
  'conv-stride-factor': {
    hit: () => analyzeText(conv(', strides=[5,5], pad_type="same"', 3, 'fp16[1,64,30,30]', 'fp16[1,64,6,6]')),
    miss: () => analyzeText(conv(', strides=[3,3], pad_type="same"', 3, 'fp16[1,64,30,30]', 'fp16[1,64,10,10]')),
  },
  'palettized-conv-stride': { hit: () => analyzeText(palettized(3, 'fp16[1,64,11,11]')), miss: () => analyzeText(palettized(2, 'fp16[1,64,16,16]')) },
  'pool-kernel-wide': {
    hit: () => analyzeText(pool('kernel_sizes=[15,15], strides=[2,2], pad_type="same"', 'fp16[1,64,32,32]')),
    miss: () => analyzeText(pool('kernel_sizes=[13,13], strides=[2,2], pad_type="same"', 'fp16[1,64,32,32]')),
  },
  'pool-stride': {
    hit: () => analyzeText(pool('kernel_sizes=[3,3], strides=[3,3], pad_type="same"', 'fp16[1,64,22,22]')),
    miss: () => analyzeText(pool('kernel_sizes=[3,3], strides=[2,2], pad_type="same"', 'fp16[1,64,32,32]')),
  },
  'state-last-axis': {
    hit: () => analyzeTest(handBuilt('read_state', { dtype: 'fp16', shape: [48, 2, 64, 270] })),
    miss: () => analyzeTest(handBuilt('read_state', { dtype: 'fp16', shape: [48, 2, 64, 256] })),
  },
  'rank-5': { hit: () => analyzeText(relu('fp16[1,2,2,2,64]')), miss: () => analyzeText(relu('fp16[1,2,2,64]')) },
  'last-axis-short': { hit: () => analyzeText(relu('fp16[1,64,1,16]')), miss: () => analyzeText(relu('fp16[1,64,1,32]')) },
  'last-axis-unaligned': { hit: () => analyzeText(relu('fp16[1,64,1,40]')), miss: () => analyzeText(relu('fp16[1,64,1,64]')) },
  'transpose-last-axis': {
    hit: () => analyzeText(main('%x: fp16[1,64,8,32]', '%y = transpose(x=%x) {perm=[0,1,3,2]} : fp16[1,64,32,8]')),
    miss: () => analyzeText(main('%x: fp16[1,64,8,32]', '%y = transpose(x=%x) {perm=[0,2,1,3]} : fp16[1,8,64,32]')),
  },
  'einsum-not-native': {
    hit: () => analyzeText(main('%q: fp16[1,4,32,64], %k: fp16[1,4,32,64]', '%y = einsum(values=(%q, %k)) {equation="bhqd,bhkd->bhqk"} : fp16[1,4,32,32]')),
    // Apple's per-head Q.K form: the native family with the operands swapped.
    miss: () => analyzeText(main('%q: fp16[1,64,1,32], %k: fp16[1,32,1,64]', '%y = einsum(values=(%q, %k)) {equation="bchq,bkhc->bkhq"} : fp16[1,32,1,32]')),
  },
  'softmax-off-channel': {
    hit: () => analyzeText(main('%x: fp16[1,64,1,32]', '%y = softmax(x=%x) {axis=3} : fp16[1,64,1,32]')),
    miss: () => analyzeText(main('%x: fp16[1,64,1,32]', '%y = softmax(x=%x) {axis=1} : fp16[1,64,1,32]')),
  },
  'norm-off-channel': {
    hit: () => analyzeText(main('%x: fp16[1,32,64]', '%y = layer_norm(x=%x) {axes=[-1]} : fp16[1,32,64]')),
    miss: () => analyzeText(main('%x: fp16[1,64,1,32]', '%y = layer_norm(x=%x) {axes=[1]} : fp16[1,64,1,32]')),
  },
  'decomposed-norm': {
    hit: () => analyzeText(main('%x: fp16[1,64,1,32]', '%y = rms_norm(x=%x) {axes=[1]} : fp16[1,64,1,32]')),
    miss: () => analyzeText(main('%x: fp16[1,64,1,32]', '%y = layer_norm(x=%x) {axes=[1]} : fp16[1,64,1,32]')),
  },
  'neg-inf-mask': {
    hit: () => analyzeText(main('%x: fp16[1,1,32,32]', '%m = fill() {shape=[32,32], value=-inf, dtype="fp16"} : fp16[32,32]\n%y = add(x=%x, y=%m) : fp16[1,1,32,32]')),
    miss: () => analyzeText(main('%x: fp16[1,1,32,32]', '%m = fill() {shape=[32,32], value=-10000, dtype="fp16"} : fp16[32,32]\n%y = add(x=%x, y=%m) : fp16[1,1,32,32]')),
  },
  'unknown-op': {
    hit: () => analyzeTest(handBuilt('frobnicate', { dtype: 'fp16', shape: [1, 64, 1, 64] })),
    miss: () => analyzeText(relu('fp16[1,64,1,64]')),
  },
  // 1024 x 1088 fp16 = 2,228,224 bytes > 2 MiB; 1024 x 1024 is exactly 2 MiB.
  'live-operand-large': { hit: () => analyzeText(relu('fp16[1,1024,1,1088]')), miss: () => analyzeText(relu('fp16[1,1024,1,1024]')) },
  'weight-file-large': {
    // 32768 x 16384 fp16 = 1,073,741,824 bytes, counted from the const: above 1e9, at most 2 GiB.
    hit: () => analyzeText(main('%x: fp16[1,16384]', '%w = const() {dtype="fp16", shape=[32768,16384], weight="w"} : fp16[32768,16384]\n%y = linear(x=%x, weight=%w) : fp16[1,32768]')),
    miss: () => analyzeText(relu('fp16[1,64,1,64]'), { weightFileBytes: 1e9 }),
  },
  'weight-file-too-large': {
    hit: () => analyzeText(relu('fp16[1,64,1,64]'), { weightFileBytes: 2 ** 31 + 1 }),
    miss: () => analyzeText(relu('fp16[1,64,1,64]'), { weightFileBytes: 2 ** 31 }),
  },
};

describe('ANE rules', () => {
  it('every rule of the catalogue has a triggering and a non-triggering case', () => {
    expect(Object.keys(CASES).sort()).toEqual(ANE_RULES.map((r) => r.id).sort());
  });

  for (const rule of ANE_RULES) {
    it(`${rule.id}: triggers on its case and not on the near miss`, () => {
      const c = CASES[rule.id];
      const hit = c.hit();
      expect(ruleIds(hit)).toContain(rule.id);
      expect(ruleIds(c.miss())).not.toContain(rule.id);
      if (rule.scope === 'op' && 'fallback' in rule) {
        // The op breaking an error rule runs on the rule's fallback unit, attributed to it
        // (unless an earlier error rule of the catalogue claims it).
        const ops = Object.values(hit.functions).flatMap((f) => f.ops);
        const moved = ops.filter((o) => o.fallback_rule === rule.id);
        expect(moved.length).toBeGreaterThan(0);
        for (const o of moved) expect(o.unit).toBe(rule.fallback);
      }
    });
  }

  it('ids are unique, kebab-case, and every fix names a built-in pass', () => {
    const ids = ANE_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    const passes = new Set(Object.keys(BUILTIN_PASSES));
    for (const r of ANE_RULES) {
      expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      if ('fix' in r) expect(passes, `${r.id} fix ${r.fix}`).toContain(r.fix);
      // Only op errors move ops; warnings and info never do.
      expect('fallback' in r).toBe(r.severity === 'error' && r.scope === 'op');
    }
  });

  it('a finding names function, op, value, shapes, message and fix', () => {
    const r = analyzeText(relu('fp32[1,64,1,64]'));
    const f = r.functions['main']!.findings.find((x) => x.rule === 'fp32-compute')!;
    expect(f).toEqual({
      rule: 'fp32-compute',
      severity: 'error',
      function: 'main',
      op: 'y',
      kind: 'relu',
      value: 'x',
      shapes: 'fp32[1,64,1,64] -> fp32[1,64,1,64]',
      message: 'computes in fp32 (x: fp32[1,64,1,64])',
      fix: 'to-fp16',
    });
  });

  it('casts at the function boundary are I/O conversion, not fp32 compute', () => {
    const text = main(
      '%x: fp32[1,64,1,64]',
      `%h = cast(x=%x) {dtype="fp16"} : fp16[1,64,1,64]
       %r = relu(x=%h) : fp16[1,64,1,64]
       %y = cast(x=%r) {dtype="fp32"} : fp32[1,64,1,64]`,
    );
    const r = analyzeText(text);
    expect(ruleIds(r)).not.toContain('fp32-compute');
    expect(r.functions['main']!.ane_fraction).toBe(1);
    // An fp32 cast inside the function (its result used again) is compute.
    const inner = main(
      '%x: fp16[1,64,1,64]',
      `%c = cast(x=%x) {dtype="fp32"} : fp32[1,64,1,64]
       %h = cast(x=%c) {dtype="fp16"} : fp16[1,64,1,64]
       %y = relu(x=%h) : fp16[1,64,1,64]`,
    );
    expect(analyzeText(inner).functions['main']!.findings.filter((f) => f.rule === 'fp32-compute').map((f) => f.op)).toEqual(['c', 'h']);
  });

  it('axis caps follow the rank-5 view: N and C up to 65536, D, H and W up to 16384', () => {
    const caps = (t: string): boolean => ruleIds(analyzeText(relu(t))).includes('axis-cap');
    expect(caps('fp16[1,65536,1,64]')).toBe(false); // C at its cap
    expect(caps('fp16[1,65537,1,64]')).toBe(true); // C over it
    expect(caps('fp16[1,64,16385,64]')).toBe(true); // H
    expect(caps('fp16[2,16385]')).toBe(true); // rank 2 is (H, W): H
    expect(caps('fp16[65536,1,64]')).toBe(false); // rank 3 is (C, H, W)
    expect(caps('fp16[1,16385,2,1,64]')).toBe(true); // rank 5 is (N, D, C, H, W): D
    expect(caps('fp16[1,2,16385,1,64]')).toBe(false); // C = 16385 is under its cap
  });

  it('the padding factor is in the message', () => {
    const short = analyzeText(relu('fp16[1,64,1,1]')).functions['main']!.findings.find((f) => f.rule === 'last-axis-short')!;
    expect(short.message).toContain('x32.0');
    const odd = analyzeText(relu('fp16[1,64,1,40]')).functions['main']!.findings.find((f) => f.rule === 'last-axis-unaligned')!;
    expect(odd.message).toContain('padded to 128 (x1.60)');
  });

  it('native einsum forms, up to renaming and operand order', () => {
    expect(isNativeEinsum('nchw,nwhu->nchu')).toBe(true);
    expect(isNativeEinsum('chw,whr->chr')).toBe(true);
    expect(isNativeEinsum('bkhq,bchk->bchq')).toBe(true);
    expect(isNativeEinsum('bchq,bkhc->bkhq')).toBe(true);
    expect(isNativeEinsum('ij,jk->ik')).toBe(false);
    expect(isNativeEinsum('nchw,nwhu->nhcu')).toBe(false);
  });

  it('a mean -> rsqrt chain is a decomposed norm; a lone rsqrt is not', () => {
    const chain = main(
      '%x: fp16[1,64,1,32]',
      `%sq = mul(x=%x, y=%x) : fp16[1,64,1,32]
       %m = reduce_mean(x=%sq) {axes=[1], keep_dims=true} : fp16[1,1,1,32]
       %e = const() {dtype="fp16", shape=[], value=[0.000001]} : fp16[]
       %v = add(x=%m, y=%e) : fp16[1,1,1,32]
       %r = rsqrt(x=%v) : fp16[1,1,1,32]
       %y = mul(x=%x, y=%r) : fp16[1,64,1,32]`,
    );
    expect(analyzeText(chain).functions['main']!.findings.filter((f) => f.rule === 'decomposed-norm').map((f) => f.op)).toEqual(['r']);
    expect(ruleIds(analyzeText(main('%x: fp16[1,64,1,32]', '%y = rsqrt(x=%x) : fp16[1,64,1,32]')))).not.toContain('decomposed-norm');
  });

  it('an unknown op kind is a finding with the default class, never a crash', () => {
    const r = analyzeTest(handBuilt('frobnicate', { dtype: 'fp16', shape: [1, 64, 1, 64] }));
    const op = r.functions['main']!.ops[0]!;
    expect(op).toMatchObject({ kind: 'frobnicate', cost_class: 'unknown', unit: 'ane', macs: 64 * 64 });
    expect(op.latency_ms).toBeGreaterThan(0);
  });

  it('the catalogue page lists every rule with its severity, fallback and fix', () => {
    const doc = renderRulesDoc();
    for (const r of ANE_RULES) expect(doc).toContain(`| \`${r.id}\` | ${r.severity} |`);
    expect(doc).toContain('| `fp32-compute` | error | op | gpu |');
    expect(aneRule('axis-cap').fix).toBe('split-wide-ops');
  });

  it('bad options and devices are coded errors', () => {
    const p = handBuilt('relu', { dtype: 'fp16', shape: [1, 64, 1, 64] });
    expect(() => analyzeProgram(p, { device: 'pentium' })).toThrow(/E_ANALYSIS_DEVICE.*unknown device 'pentium'; profiles .*a17pro \(iphone15pro/);
    expect(() => analyzeProgram(p, { weightFileBytes: -1 })).toThrow(/E_ANALYSIS_OPTION/);
    expect(() => analyzeProgram(p, { functions: ['nope'] })).toThrow(/E_ANALYSIS_OPTION.*no function named 'nope'/);
    expect(() => analyzeProgram(p, { frobs: 1 } as never)).toThrow(/E_ANALYSIS_OPTION.*unknown analysis option 'frobs'/);
    expect(analyzeProgram(p, { device: 'testphone', costModel: TEST_MODEL }).device).toBe('testchip');
  });
});
