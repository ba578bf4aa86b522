/**
 * compile(): DSL programs, function sources and lifted packages through the pipeline; the event
 * stream; the caller's program left untouched; fp16 conversion; image inputs; split packages
 * before ios18; coded errors for bad sources and options; determinism.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Program, graph, interpret, printProgram, tensor } from '@fastvlm/graph';
import { liftProgram, readMlPackage } from '@fastvlm/emit-coreml';
import { type CompileEvent, compile } from './index.js';
import { fastVlmRejection } from '../../graph/src/testing/errors.js';

const work = mkdtempSync(join(tmpdir(), 'fastvlm-compiler-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let dirs = 0;
const outDir = (): string => join(work, `out${dirs++}`);

/** A small fp32 network: conv, gelu, a second conv; image-shaped input. */
function convNet(): Program {
  const g = graph({ seed: 5 });
  const f = g.function('main');
  const x = f.input('pixels', 'fp32', [1, 3, 32, 32]);
  const w1 = f.param('stem.weight', 'fp32', [16, 3, 3, 3]);
  const w2 = f.param('head.weight', 'fp32', [8, 16, 1, 1]);
  const y = f.conv2d(f.gelu(f.conv2d(x, w1, undefined, { strides: [2, 2], pad_type: 'same' })), w2);
  f.output(y.named('features'));
  return g.build();
}

/** Two functions sharing a weight. */
function twoFunctions(): Program {
  const g = graph({ seed: 1 });
  for (const name of ['first', 'second']) {
    const f = g.function(name);
    const x = f.input('x', 'fp32', [1, 64]);
    const w = f.param('shared.weight', 'fp32', [64, 64]);
    f.output(f.relu(f.linear(x, w)).named('y'));
  }
  return g.build();
}

describe('a DSL program', () => {
  it('compiles to <name>.mlpackage in fp16 and reports every phase in order', async () => {
    const program = convNet();
    const before = printProgram(program);
    const events: CompileEvent[] = [];
    const out = outDir();
    const result = await compile({ kind: 'program', program, name: 'convnet' }, { out, onProgress: (e) => events.push(e) });
    // The caller's program is not rewritten (to-fp16 and the I/O casts work on a copy).
    expect(printProgram(program)).toBe(before);
    expect(result.name).toBe('convnet');
    expect(result.packages.map((p) => p.package)).toEqual(['convnet.mlpackage']);
    expect(result.passes).toBe('none');
    const phases = events.filter((e) => e.type === 'phase').map((e) => (e.type === 'phase' ? e.phase : ''));
    expect(phases).toEqual(['build', 'passes', 'lower', 'write']);
    expect(events.some((e) => e.type === 'bytes' && e.phase === 'weights' && e.done === e.total && e.total > 0)).toBe(true);
    expect(events[events.length - 1]).toMatchObject({ type: 'package', task: 'convnet' });
    // Converted to fp16 (fp32 kept at the boundary, as to-fp16 with keepIO does).
    const stats = result.functions[0]!;
    expect(stats.before.fp16Share).toBe(0);
    expect(stats.after.fp16Share).toBe(1);
    const pkg = readMlPackage(join(out, 'convnet.mlpackage'));
    const meta = pkg.model.description?.metadata?.userDefined ?? {};
    expect(meta).toMatchObject({ 'fastvlm.functions': 'main', 'fastvlm.precision': 'fp16', 'fastvlm.passes': 'none', 'fastvlm.compress': 'none' });
    expect(pkg.model.description?.input?.[0]?.type?.multiArrayType?.shape).toEqual([1, 3, 32, 32]);
    // 16*3*3*3 + 8*16 parameters, each weight once.
    expect(result.packages[0]!.parameters).toBe(16 * 27 + 8 * 16);
  });

  it('does not rewrite the caller\'s program even when no pass runs (ios15 I/O casts)', async () => {
    const g = graph();
    const f = g.function('main');
    f.output(f.relu(f.input('x', 'fp16', [1, 8])).named('y'));
    const program = g.build();
    const before = printProgram(program);
    const r = await compile({ kind: 'program', program, name: 'half' }, { out: outDir(), target: 'ios15', precision: 'fp32' });
    expect(r.notes).toContain('half: input x fp16 -> fp32 (main); output y fp16 -> fp32 (main)');
    expect(printProgram(program)).toBe(before);
  });

  it('keeps fp32 with precision fp32, and runs a preset and custom steps', async () => {
    const fp32 = await compile({ kind: 'program', program: convNet(), name: 'c32' }, { out: outDir(), precision: 'fp32' });
    expect(fp32.functions[0]!.after.fp16Share).toBe(0);
    expect(fp32.packages).toHaveLength(1);
    const ane = await compile({ kind: 'program', program: convNet, name: 'cane' }, { out: outDir(), passes: 'ane' });
    expect(ane.passes).toBe('ane');
    expect(ane.functions[0]!.after.fp16Share).toBe(1);
    const custom = await compile({ kind: 'program', program: convNet(), name: 'ccustom' }, { out: outDir(), passes: ['fold-constants', ['eliminate-dead-code', { pruneWeights: true }]] });
    expect(custom.passes).toBe('custom');
    // to-fp16 appended: the custom steps have none.
    expect(custom.functions[0]!.after.fp16Share).toBe(1);
  });

  it('declares image-shaped inputs as images when asked', async () => {
    const out = outDir();
    const r = await compile({ kind: 'program', program: convNet(), name: 'img', imageInputs: 'auto' }, { out, imageInput: 'bgr' });
    const input = readMlPackage(join(out, 'img.mlpackage')).model.description?.input?.[0];
    expect(input?.name).toBe('pixels');
    // ColorSpace code 30 is BGR; the pixel scale is FastVLM's 1/255 unless given.
    expect(input?.type?.imageType).toMatchObject({ width: 32, height: 32, colorSpace: 30 });
    expect(readMlPackage(join(out, 'img.mlpackage')).model.description?.metadata?.userDefined?.['fastvlm.image_input']).toBe('bgr');
    expect(r.notes.some((n) => n.includes('no fp32 [1, 3, H, W] input'))).toBe(false);
    const none = await compile({ kind: 'program', program: twoFunctions(), name: 'noimg', imageInputs: 'auto' }, { out: outDir(), imageInput: 'rgb' });
    expect(none.notes).toContain('noimg: no fp32 [1, 3, H, W] input to declare as an rgb image; the inputs stay tensors');
    // Without imageInputs a program's inputs stay tensors whatever imageInput says.
    const out2 = outDir();
    await compile({ kind: 'program', program: convNet(), name: 'plain' }, { out: out2, imageInput: 'rgb' });
    expect(readMlPackage(join(out2, 'plain.mlpackage')).model.description?.input?.[0]?.type?.imageType).toBeUndefined();
  });

  it('writes one package per function before ios18, one multifunction package on ios18', async () => {
    const a = await compile({ kind: 'program', program: twoFunctions(), name: 'two' }, { out: outDir(), target: 'ios17' });
    expect(a.packages.map((p) => p.package)).toEqual(['two-first.mlpackage', 'two-second.mlpackage']);
    expect(a.notes.some((n) => n.startsWith('two: ios17 has no multifunction models'))).toBe(true);
    const b = await compile({ kind: 'program', program: twoFunctions(), name: 'two' }, { out: outDir() });
    expect(b.packages.map((p) => [p.package, p.functions])).toEqual([['two.mlpackage', ['first', 'second']]]);
    // The shared weight is stored once: 64 x 64 fp16 = 8192 bytes plus the blob header.
    expect(b.packages[0]!.weightBytes).toBeLessThan(2 * 64 * 64 * 2);
  });

  it('is byte-for-byte deterministic and writes the report on request', async () => {
    const [a, b] = [outDir(), outDir()];
    const ra = await compile({ kind: 'program', program: convNet(), name: 'det' }, { out: a, report: true });
    await compile({ kind: 'program', program: convNet(), name: 'det' }, { out: b });
    const bin = (dir: string): Buffer => readFileSync(join(dir, 'det.mlpackage/Data/com.apple.CoreML/weights/weight.bin'));
    const mlmodel = (dir: string): Buffer => readFileSync(join(dir, 'det.mlpackage/Data/com.apple.CoreML/model.mlmodel'));
    expect(Buffer.compare(bin(a), bin(b))).toBe(0);
    expect(Buffer.compare(mlmodel(a), mlmodel(b))).toBe(0);
    expect(ra.reportPath).toBe(join(a, 'det-report.json'));
    const file = JSON.parse(readFileSync(ra.reportPath!, 'utf8')) as { model: string; packages: { package: string }[]; options: Record<string, unknown> };
    expect(file.model).toBe('det');
    expect(file.packages.map((p) => p.package)).toEqual(['det.mlpackage']);
    expect(file.options).toEqual({ target: 'ios18', precision: 'fp16', passes: 'none', compress: null });
  });
});

describe('other sources', () => {
  it('accepts a bare Program (named model) and an async builder', async () => {
    const r = await compile(convNet(), { out: outDir() });
    expect(r.packages.map((p) => p.package)).toEqual(['model.mlpackage']);
    const s = await compile({ kind: 'program', program: async () => convNet(), name: 'later' }, { out: outDir() });
    expect(s.packages[0]!.package).toBe('later.mlpackage');
  });

  it('lifts an existing package and compiles it again with passes', async () => {
    const first = outDir();
    await compile({ kind: 'program', program: convNet(), name: 'orig' }, { out: first, precision: 'fp32' });
    const path = join(first, 'orig.mlpackage');
    const again = await compile({ kind: 'mlpackage', path }, { out: outDir(), passes: 'ane' });
    expect(again.name).toBe('orig');
    expect(again.functions[0]!.after.fp16Share).toBe(1);
    // The lifted program computes what the original computes (fp32 package, fp32 interpreter).
    const x = tensor('fp32', [1, 3, 32, 32], Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.sin(i)));
    const pkg = readMlPackage(path);
    const lifted = liftProgram(pkg.model, pkg.weightsPath);
    const want = interpret(convNet(), 'main', { pixels: x }).get('features')!.data;
    expect(interpret(lifted, 'main', { pixels: x }).get('features')!.data).toEqual(want);
  });

  it('compiles a FastVLM preset by name (tiny LLM) with its metadata', async () => {
    const out = outDir();
    const r = await compile({ kind: 'fastvlm', model: 'tiny', parts: ['llm'] }, { out, compress: 'lut4' });
    expect(r.packages.map((p) => p.package)).toEqual(['tiny-llm.mlpackage']);
    expect(r.compression['llm']!.compressed).toBeGreaterThan(0);
    expect(readMlPackage(join(out, 'tiny-llm.mlpackage')).model.description?.metadata?.userDefined).toMatchObject({ 'fastvlm.model': 'tiny', 'fastvlm.part': 'llm', 'fastvlm.compress': 'lut4' });
  });
});

describe('bad input', () => {
  it('names the source that cannot be compiled', async () => {
    const unknown = await fastVlmRejection(compile('fastvlm-3b', { out: outDir() }));
    expect(unknown.code).toBe('E_COMPILE_SOURCE');
    expect(unknown.message).toContain("unknown model 'fastvlm-3b'; presets: fastvlm-0.5b, fastvlm-1.5b, fastvlm-7b, tiny");
    const notProgram = await fastVlmRejection(compile({ kind: 'program', program: () => ({}) as Program, name: 'bad' }, { out: outDir() }));
    expect(notProgram.code).toBe('E_COMPILE_SOURCE');
    expect(notProgram.message).toContain("source 'bad': expected a Program (from graph().build()), found an object of Object");
    const badName = await fastVlmRejection(compile({ kind: 'program', program: convNet(), name: '../escape' }, { out: outDir() }));
    expect(badName.code).toBe('E_COMPILE_SOURCE');
    expect(badName.message).toContain('"../escape" cannot name package files');
    const kind = await fastVlmRejection(compile({ kind: 'onnx' } as unknown as Program, { out: outDir() }));
    expect(kind.message).toContain(`unknown source kind "onnx"`);
  });

  it('names the option that is wrong, with the reason apart', async () => {
    const cases: [Parameters<typeof compile>[1], string, string][] = [
      [{ out: outDir(), target: 'ios14' as 'ios18' }, 'target', 'unknown target "ios14"; allowed: ios15, ios16, ios17, ios18'],
      [{ out: outDir(), precision: 'bf16' as 'fp16' }, 'precision', 'expected fp16 or fp32, found "bf16"'],
      [{ out: outDir(), passes: 'fast' }, 'passes', "unknown pipeline 'fast'; allowed: none, cleanup, ane, or a list of steps"],
      [{ out: outDir(), compress: 'lut5' }, 'compress', "unknown scheme 'lut5'; allowed: lut4, lut6, int8, int4-block, none"],
      [{ out: outDir(), compress: 'int4-block', target: 'ios17' }, 'compress', 'int4-block needs target ios18 or newer (compressed weights are constexpr ops of iOS18); the target is ios17'],
      [{ out: outDir(), imageInput: 'yuv' as 'rgb' }, 'imageInput', 'expected rgb, bgr, tensor'],
      [{ out: '' }, 'out', 'expected an output directory, found ""'],
    ];
    for (const [opts, option, reason] of cases) {
      const e = await fastVlmRejection(compile({ kind: 'program', program: convNet(), name: 'x', imageInputs: 'auto' }, opts));
      expect(e.code, option).toBe('E_COMPILE_OPTION');
      expect(e.details['option'], option).toBe(option);
      expect(String(e.details['reason']), option).toContain(reason);
      expect(e.message, option).toContain(`${option}: ${reason}`);
    }
  });

  it('leaves an --out that is a file alone', async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, 'keep');
    const e = await fastVlmRejection(compile(convNet(), { out: file }));
    expect(e.code).toBe('E_IO');
    expect(readFileSync(file, 'utf8')).toBe('keep');
  });
});
