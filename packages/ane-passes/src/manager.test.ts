import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Program, type Value, parseProgram, printProgram } from '@fastvlm/graph';
import { definePass } from './pass.js';
import { PassManager, formatStats, runPass } from './manager.js';
import { PassRegistry } from './registry.js';
import { builtinRegistry } from './builtins.js';
import { PRESETS } from './presets.js';
import { FunctionEditor } from './ir/editor.js';
import { capture, op, pattern } from './rewrite/pattern.js';
import { patternPass } from './rewrite/pattern-pass.js';
import { fastVlmError } from '../../graph/src/testing/errors.js';

const TEXT = `func main(%x: fp32[2,3]) -> (%y) {
  %one = const() {dtype="fp32", shape=[], value=[1]} : fp32[]
  %a = mul(x=%x, y=%one) : fp32[2,3]
  %b = transpose(x=%a) {perm=[1,0]} : fp32[3,2]
  %c = transpose(x=%b) {perm=[1,0]} : fp32[2,3]
  %d = exp(x=%c) : fp32[2,3]
  %dead = relu(x=%d) : fp32[2,3]
  %y = add(x=%d, y=%x) : fp32[2,3]
  return %y
}
`;

/** A pass that breaks the IR: it makes `add` use a value defined after it. */
const breaker = definePass({
  name: 'break-ssa-order',
  summary: 'test',
  doc: 'test',
  options: {},
  run(program) {
    const fn = program.fn('main');
    const ed = new FunctionEditor(program, fn);
    const add = fn.body.ops.find((o) => o.kind === 'add')!;
    const late = ed.add('neg', { x: fn.inputs[0]! }, {}, null, { hint: 'late' });
    ed.setInputs(add, { ...add.inputs, y: late.outputs[0]! });
    ed.commit();
  },
});

/** A pass that changes the numbers: exp becomes relu. */
const wrongMath = definePass({
  name: 'replace-exp-by-relu',
  summary: 'test',
  doc: 'test',
  options: {},
  run(program) {
    for (const op of program.fn('main').body.ops) if (op.kind === 'exp') op.kind = 'relu';
  },
});

describe('PassManager', () => {
  it('runs a named pipeline and records op-count statistics', () => {
    const input = parseProgram(TEXT);
    const res = new PassManager().add('remove-noops').add('cancel-transposes').add('eliminate-dead-code').run(input);
    expect(printProgram(res.program)).toBe(`func main(%x: fp32[2,3]) -> (%y) {
  %d = exp(x=%x) : fp32[2,3]
  %y = add(x=%d, y=%x) : fp32[2,3]
  return %y
}
`);
    expect(res.stats.map((s) => [s.name, s.opsBefore, s.opsAfter])).toEqual([
      ['remove-noops', 7, 5],
      ['cancel-transposes', 5, 3],
      ['eliminate-dead-code', 3, 2],
    ]);
    expect(res.stats[0]!.opDelta).toEqual({ const: -1, mul: -1 });
    expect(res.stats[1]!.opDelta).toEqual({ transpose: -2 });
    expect(res.stats.every((s) => s.ms >= 0)).toBe(true);
    expect(formatStats(res.stats)).toContain('cancel-transposes');
  });

  it('never changes its input, on success and on every failure', () => {
    const input = parseProgram(TEXT);
    const before = printProgram(input);
    const weights = input.weights.names();
    new PassManager().addPreset('ane').run(input);
    expect(() => new PassManager().add(breaker).run(input)).toThrow();
    expect(() => new PassManager().add(wrongMath).run(input, { numericCheck: true })).toThrow();
    expect(printProgram(input)).toBe(before);
    expect(input.weights.names()).toEqual(weights);
  });

  it('rejects an invalid input with E_PASS_INPUT before any pass runs', () => {
    const input = parseProgram(TEXT);
    const add = input.fn('main').body.ops.find((o) => o.kind === 'add')!;
    const late = input.fn('main').inputs[0]!;
    // Break the input: use a value of the wrong type.
    add.inputs = { x: add.inputs.x as Value, y: { ...late, type: { dtype: 'fp16', shape: [2, 3] } } as Value };
    const before = printProgram(input);
    const e = fastVlmError(() => new PassManager().add('fold-constants').run(input));
    expect(e.code).toBe('E_PASS_INPUT');
    expect(e.message).toContain("'fold-constants'");
    expect(e.message).toContain('add');
    expect(printProgram(input)).toBe(before);
  });

  it('names the pass and the op when a pass breaks the verifier (E_PASS_BROKE_IR)', () => {
    const e = fastVlmError(() => new PassManager().add('fold-constants').add(breaker).run(parseProgram(TEXT)));
    expect(e.code).toBe('E_PASS_BROKE_IR');
    expect(e.message).toContain("'break-ssa-order'");
    expect(e.message).toContain('add');
    expect(e.details?.pass).toBe('break-ssa-order');
    expect(e.message).toContain('pass 2');
  });

  it('names the pass and the op when a pattern rewrite breaks the verifier', () => {
    // The replacement is built at the end of the body, after the ops that now use it.
    const late = patternPass({
      name: 'rewrite-exp-late',
      summary: 'test',
      doc: 'test',
      patterns: [
        pattern({
          name: 'exp-to-late-sigmoid',
          root: op('exp', { x: capture('x') }),
          rewrite: (m, b) => {
            b.setAnchor(null);
            return b.op('sigmoid', { x: m.value('x') }, {}, 'late');
          },
        }),
      ],
    });
    const input = parseProgram(TEXT);
    const before = printProgram(input);
    const e = fastVlmError(() => new PassManager().add(late).run(input));
    expect(e.code).toBe('E_PASS_BROKE_IR');
    expect(e.message).toContain("'rewrite-exp-late'");
    expect(e.message).toMatch(/op (add|relu)/);
    expect(printProgram(input)).toBe(before);
  });

  it('validates options when a pass is added (E_PASS_OPTION names the pass and option)', () => {
    const e = fastVlmError(() => new PassManager().add('split-wide-ops', { maxChannels: 0 }));
    expect(e.code).toBe('E_PASS_OPTION');
    expect(e.message).toContain("'split-wide-ops'");
    expect(e.message).toContain("'maxChannels'");
    expect(fastVlmError(() => new PassManager().add('assign-layout', { target: 'nchw' as never })).code).toBe('E_PASS_OPTION');
    expect(fastVlmError(() => new PassManager().add('fold-constants', { bogus: 1 } as never)).code).toBe('E_PASS_OPTION');
    expect(fastVlmError(() => new PassManager().add('fold-everything' as never)).code).toBe('E_PASS_UNKNOWN');
    expect(fastVlmError(() => new PassManager().addPreset('fast')).code).toBe('E_PASS_UNKNOWN');
    expect(fastVlmError(() => new PassManager().addPreset('ane', { 'not-in-preset': {} })).code).toBe('E_PASS_OPTION');
  });

  it('fails the numeric check with the pass name and the max errors (E_PASS_NUMERIC)', () => {
    const e = fastVlmError(() => new PassManager().add('fold-constants').add(wrongMath).run(parseProgram(TEXT), { numericCheck: { seed: 3 } }));
    expect(e.code).toBe('E_PASS_NUMERIC');
    expect(e.message).toContain("'replace-exp-by-relu'");
    expect(e.message).toMatch(/max abs error [0-9.e+-]+, max rel error [0-9.e+-]+/);
    expect(e.details?.maxAbs).toBeGreaterThan(0);
  });

  it('applies per-dtype tolerances: a tiny change passes a loose fp32 tolerance', () => {
    const nudge = definePass({
      name: 'nudge-constant',
      summary: 'test',
      doc: 'test',
      options: {},
      run(program) {
        for (const op of program.fn('main').body.ops) if (op.kind === 'const') op.attrs = { ...op.attrs, value: [1.0001] };
      },
    });
    expect(fastVlmError(() => new PassManager().add(nudge).run(parseProgram(TEXT), { numericCheck: { tolerance: { fp32: { abs: 0, rel: 1e-6 } } } })).code).toBe('E_PASS_NUMERIC');
    const res = new PassManager().add(nudge).run(parseProgram(TEXT), { numericCheck: { tolerance: { fp32: { abs: 0, rel: 1e-3 } } } });
    expect(res.stats[0]!.numeric!.maxRel).toBeGreaterThan(0);
    expect(res.stats[0]!.numeric!.maxRel).toBeLessThan(1e-3);
  });

  it('wraps errors raised inside a pass so they name it (E_PASS_FAILED)', () => {
    const thrower = definePass({
      name: 'throw-inside',
      summary: 'test',
      doc: 'test',
      options: {},
      run(program) {
        new FunctionEditor(program, program.fn('main')).add('matmul', { x: program.fn('main').inputs[0]!, y: program.fn('main').inputs[0]! }, {}, null);
      },
    });
    const e = fastVlmError(() => new PassManager().add(thrower).run(parseProgram(TEXT)));
    expect(e.code).toBe('E_PASS_FAILED');
    expect(e.message).toContain("'throw-inside'");
    expect(e.message).toContain('matmul');
    expect(e.details?.causeCode).toBe('E_SHAPE_MISMATCH');
  });

  it('dumps the IR after each pass into NN-passname.mlir files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ane-passes-dump-'));
    try {
      const res = new PassManager().add('remove-noops').add('cancel-transposes').run(parseProgram(TEXT), { dumpDir: join(dir, 'ir') });
      expect(readdirSync(join(dir, 'ir')).sort()).toEqual(['00-input.mlir', '01-remove-noops.mlir', '02-cancel-transposes.mlir']);
      expect(readFileSync(join(dir, 'ir', '02-cancel-transposes.mlir'), 'utf8')).toBe(printProgram(res.program));
      expect(readFileSync(join(dir, 'ir', '00-input.mlir'), 'utf8')).toBe(printProgram(parseProgram(TEXT)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unwritable dump folder with E_PASS_DUMP', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ane-passes-dump-'));
    try {
      const file = join(dir, 'file');
      new PassManager().add('remove-noops').run(parseProgram(TEXT), { dumpDir: dir });
      const e = fastVlmError(() => new PassManager().add('remove-noops').run(parseProgram(TEXT), { dumpDir: join(dir, '00-input.mlir', 'x') }));
      expect(e.code).toBe('E_PASS_DUMP');
      void file;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is deterministic: the same input gives byte-identical output and weights', () => {
    const run = (): { text: string; weights: string[] } => {
      const p = parseProgram(TEXT);
      const r = PassManager.preset('ane').run(p);
      return { text: printProgram(r.program), weights: r.program.weights.names() };
    };
    expect(run()).toEqual(run());
  });

  it('takes custom passes from its own registry and runs single passes with runPass', () => {
    const registry = builtinRegistry.clone().register(wrongMath);
    expect(registry.has('replace-exp-by-relu')).toBe(true);
    expect(builtinRegistry.has('replace-exp-by-relu')).toBe(false);
    expect(fastVlmError(() => registry.register(wrongMath)).code).toBe('E_PASS_DUPLICATE');
    const out = new PassManager({ registry }).add('replace-exp-by-relu').run(parseProgram(TEXT)).program;
    expect(printProgram(out)).toContain('relu(x=%c)');
    const q: Program = runPass(parseProgram(TEXT), 'eliminate-dead-code');
    expect(printProgram(q)).not.toContain('%dead');
    expect(new PassRegistry([wrongMath]).names()).toEqual(['replace-exp-by-relu']);
  });

  it('describes a pipeline and expands presets with overrides', () => {
    const pm = new PassManager().add('fold-constants').add('assign-layout', { target: 'nhwc' });
    expect(pm.describe()).toBe('fold-constants, assign-layout{target=nhwc}');
    const ane = PassManager.preset('ane', { 'to-fp16': { keepIO: false } });
    expect(ane.steps.length).toBe(PRESETS.ane.steps.length);
    expect(ane.steps.find((s) => s.pass.name === 'to-fp16')!.options.keepIO).toBe(false);
    expect(ane.steps.find((s) => s.pass.name === 'assign-layout')!.options.target).toBe('ane');
  });
});
