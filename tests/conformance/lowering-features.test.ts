/**
 * Lowering conformance for whole-model features, checked by coremltools in one process:
 * multifunction models (iOS18, shared weights), image inputs (RGB/BGR/grayscale with scale and
 * bias, grayscale fp16), enumerated input shapes and size ranges for symbolic dimensions, fp16
 * and int32 function I/O, and model metadata. Plus the target rules: fp16 I/O needs ios16, two
 * functions need ios18.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FunctionBuilder, Program, type Value, WeightStore, isFastVlmError, syntheticSource } from '@fastvlm/graph';
import { type CompileOptions, type LoweredModel, TARGETS, compileToMlPackage, lowerProgramPlan, printMil } from '@fastvlm/emit-coreml';
import { type PyPackage, checkPackages, comparePackage, coremltoolsReady } from './lowering-oracle.js';

const work = mkdtempSync(join(tmpdir(), 'lowering-features-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Two functions over one shared weight, like an LLM's prefill and decode. */
function twoFunctions(): Program {
  const store = new WeightStore();
  store.add('lm.w', syntheticSource('lm.w', 'fp16', [16, 8], { seed: 3 }));
  const p = new Program(store);
  for (const [name, seq] of [['prefill', 4], ['decode', 1]] as const) {
    const f = new FunctionBuilder(name);
    const x = f.input('tokens', { dtype: 'fp16', shape: [1, seq, 8] });
    const [w] = f.add('const', {}, { dtype: 'fp16', shape: [16, 8], weight: 'lm.w' }, { names: ['w'] });
    const [y] = f.add('linear', { x, weight: w! }, {}, { names: ['logits'] });
    f.output(f.add('softmax', { x: y! }, {}, { names: ['probs'] })[0]!);
    p.addFunction(f.fn);
  }
  return p;
}

/** One image input [1, C, H, W] feeding a conv. */
function imageProgram(channels: number, dtype: 'fp32' | 'fp16'): Program {
  const store = new WeightStore();
  store.add('stem', syntheticSource('stem', dtype, [4, channels, 3, 3], { seed: 5 }));
  const p = new Program(store);
  const f = new FunctionBuilder('main');
  const x = f.input('image', { dtype, shape: [1, channels, 6, 8] });
  const [w] = f.add('const', {}, { dtype, shape: [4, channels, 3, 3], weight: 'stem' }, { names: ['stem'] });
  const [y] = f.add('conv2d', { x, weight: w! }, { pad_type: 'same' }, { names: ['features'] });
  let out: Value = y!;
  if (dtype === 'fp16') out = f.add('cast', { x: out }, { dtype: 'fp32' }, { names: ['features32'] })[0]!;
  f.output(out);
  p.addFunction(f.fn);
  return p;
}

/** A symbolic sequence length through shape-agnostic ops. */
function symbolicProgram(): Program {
  const store = new WeightStore();
  store.add('proj', syntheticSource('proj', 'fp32', [6, 8], { seed: 9 }));
  const p = new Program(store);
  const f = new FunctionBuilder('main');
  const x = f.input('hidden', { dtype: 'fp32', shape: [1, 'seq', 8] });
  const [w] = f.add('const', {}, { dtype: 'fp32', shape: [6, 8], weight: 'proj' }, { names: ['proj'] });
  const [y] = f.add('linear', { x, weight: w! }, {}, { names: ['y'] });
  const [r] = f.add('relu', { x: y! }, {}, { names: ['r'] });
  f.output(f.add('softmax', { x: r! }, { axis: -1 }, { names: ['out'] })[0]!);
  p.addFunction(f.fn);
  return p;
}

/** int32 in, int32 out; fp16 in, fp16 out. */
function ioProgram(): Program {
  const p = new Program(new WeightStore());
  const f = new FunctionBuilder('main');
  const ids = f.input('ids', { dtype: 'int32', shape: [3] });
  const h = f.input('h', { dtype: 'fp16', shape: [2, 3] });
  const [s] = f.add('add', { x: ids, y: ids }, {}, { names: ['twice'] });
  const [t] = f.add('tanh', { x: h }, {}, { names: ['t'] });
  f.output(s!, t!, h);
  p.addFunction(f.fn);
  return p;
}

/** Ops whose optional inputs we all pass, so coremltools prints exactly what we print. */
function printProgramExplicit(): Program {
  const store = new WeightStore();
  store.add('w', syntheticSource('w', 'fp32', [4, 3], { seed: 2 }));
  store.add('b', syntheticSource('b', 'fp32', [4], { seed: 4 }));
  const p = new Program(store);
  const f = new FunctionBuilder('main');
  const x = f.input('x', { dtype: 'fp32', shape: [2, 3] });
  const y = f.input('y', { dtype: 'fp32', shape: [2, 4] });
  const [w] = f.add('const', {}, { dtype: 'fp32', shape: [4, 3], weight: 'w' }, { names: ['w'] });
  const [b] = f.add('const', {}, { dtype: 'fp32', shape: [4], weight: 'b' }, { names: ['b'] });
  const [h] = f.add('linear', { x, weight: w!, bias: b! }, {}, { names: ['h'] });
  const [r] = f.add('relu', { x: h! }, {}, { names: ['r'] });
  const [s] = f.add('softmax', { x: r! }, { axis: 0 }, { names: ['s'] });
  const [m] = f.add('matmul', { x: s!, y: y }, { transpose_x: true }, { names: ['m'] });
  const [k] = f.add('const', {}, { dtype: 'fp32', shape: [4], value: [0.5, -1, 1e-7, 3] }, { names: ['k'] });
  const [a] = f.add('add', { x: m!, y: k! }, {}, { names: ['a'] });
  const [c] = f.add('concat', { values: [a!, m!] }, { axis: 1 }, { names: ['c'] });
  const [t] = f.add('transpose', { x: c! }, { perm: [1, 0] }, { names: ['t'] });
  f.output(f.add('reduce_mean', { x: t! }, { axes: [0], keep_dims: true }, { names: ['out'] })[0]!);
  p.addFunction(f.fn);
  return p;
}

interface Entry {
  readonly name: string;
  readonly program: Program;
  readonly opts: CompileOptions;
  lowered?: LoweredModel;
  path?: string;
}

const METADATA = { author: 'FastVLM toolkit tests', license: 'MIT', version: '1.2.3', shortDescription: 'a conformance model', userDefined: { 'org.example.key': 'value' } };

const entries: Entry[] = [
  { name: 'multifunction', program: twoFunctions(), opts: { target: 'ios18', defaultFunction: 'decode' } },
  { name: 'image_rgb', program: imageProgram(3, 'fp32'), opts: { target: 'ios15', inputs: { image: { image: { colorLayout: 'RGB', scale: 1 / 255, bias: [-0.5, -0.25, 0.125] } } } } },
  { name: 'image_bgr_scale_only', program: imageProgram(3, 'fp32'), opts: { target: 'ios17', inputs: { image: { image: { colorLayout: 'BGR', scale: 2 } } } } },
  { name: 'image_gray_bias', program: imageProgram(1, 'fp32'), opts: { target: 'ios16', inputs: { image: { image: { colorLayout: 'GRAYSCALE', bias: -1, width: 8, height: 6 } } } } },
  { name: 'image_gray16', program: imageProgram(1, 'fp16'), opts: { target: 'ios18', inputs: { image: { image: { colorLayout: 'GRAYSCALE_FLOAT16', scale: 0.5 } } } } },
  ...TARGETS.map((t): Entry => ({
    name: `enumerated_${t}`,
    program: symbolicProgram(),
    opts: { target: t, inputs: { hidden: { enumeratedShapes: [[1, 4, 8], [1, 16, 8], [1, 1, 8]], shortDescription: 'hidden states' } } },
  })),
  { name: 'shape_range', program: symbolicProgram(), opts: { target: 'ios17' } },
  { name: 'io_dtypes', program: ioProgram(), opts: { target: 'ios16' } },
  { name: 'metadata', program: symbolicProgram(), opts: { target: 'ios18', metadata: METADATA, inputs: { hidden: { enumeratedShapes: [[1, 2, 8]] } } } },
  { name: 'print', program: printProgramExplicit(), opts: { target: 'ios17' } },
];

let reports = new Map<string, PyPackage>();
let oracle = false;

beforeAll(async () => {
  for (const e of entries) {
    e.lowered = lowerProgramPlan(e.program, e.opts);
    e.path = join(work, `${e.name}.mlpackage`);
    await compileToMlPackage(e.program, e.path, { ...e.opts, fsync: false });
  }
  oracle = coremltoolsReady('lowering-features');
  if (oracle) reports = checkPackages(entries.map((e) => e.path!), work);
});

function entry(name: string): Entry {
  return entries.find((e) => e.name === name)!;
}

function report(name: string): PyPackage {
  return reports.get(entry(name).path!)!;
}

describe('coremltools accepts and reads back every feature package', () => {
  it.each(entries.map((e) => e.name))('%s', (name) => {
    const e = entry(name);
    expect(e.lowered).toBeDefined();
    if (!oracle) return;
    expect(comparePackage(e.lowered!, report(name))).toEqual([]);
  });
});

describe('multifunction (ios18)', () => {
  it('describes both functions, keeps the default, and stores the shared weight once', () => {
    const m = entry('multifunction').lowered!.model;
    expect(m.specificationVersion).toBe(9);
    expect(m.description!.functions!.map((f) => f.name)).toEqual(['prefill', 'decode']);
    expect(m.description!.defaultFunctionName).toBe('decode');
    expect(m.description!.input).toBeUndefined();
    expect(Object.keys(m.mlProgram!.functions!).sort()).toEqual(['decode', 'prefill']);
    expect(entry('multifunction').lowered!.blobs).toHaveLength(1);
    expect(entry('multifunction').lowered!.blobs[0]!.refs).toHaveLength(2);
    if (!oracle) return;
    const r = report('multifunction');
    expect(r.description!.functions.map((f) => [f.name, f.input[0]!.shape, f.output[0]!.dataType])).toEqual([
      ['prefill', [1, 4, 8], 'FLOAT16'],
      ['decode', [1, 1, 8], 'FLOAT16'],
    ]);
    expect(r.description!.defaultFunctionName).toBe('decode');
  });

  it('needs ios18: older targets give E_LOWER_TARGET naming ios18', () => {
    for (const t of ['ios15', 'ios16', 'ios17'] as const) {
      let err: unknown;
      try {
        lowerProgramPlan(twoFunctions(), { target: t });
      } catch (e) {
        err = e;
      }
      expect(isFastVlmError(err, 'E_LOWER_TARGET')).toBe(true);
      expect((err as { details: { needs: string } }).details.needs).toBe('ios18');
    }
  });

  it('a single selected function becomes main', () => {
    const m = lowerProgramPlan(twoFunctions(), { target: 'ios16', functions: ['decode'] }).model;
    expect(Object.keys(m.mlProgram!.functions!)).toEqual(['main']);
    expect(m.description!.functions).toBeUndefined();
  });
});

describe('image inputs', () => {
  it('declare an imageType feature and start with mul (scale) and add (bias)', () => {
    const rgb = entry('image_rgb').lowered!.model;
    expect(rgb.description!.input![0]!.type).toEqual({ imageType: { width: 8, height: 6, colorSpace: 20 } });
    const ops = rgb.mlProgram!.functions!.main!.blockSpecializations!.CoreML5!.operations!;
    const names = ops.filter((o) => o.type !== 'const').map((o) => `${o.type}:${o.attributes!.name!.immediateValue!.tensor!.strings!.values![0]}`);
    expect(names.slice(0, 3)).toEqual(['mul:image__scaled__', 'add:image__biased__', 'conv:features']);
    const conv = ops.find((o) => o.type === 'conv')!;
    expect(conv.inputs!.x!.arguments![0]!.name).toBe('image__biased__');
    const bgr = entry('image_bgr_scale_only').lowered!.model.mlProgram!.functions!.main!.blockSpecializations!.CoreML7!.operations!;
    expect(bgr.filter((o) => o.type !== 'const').map((o) => o.type)).toEqual(['mul', 'conv']);
    if (!oracle) return;
    expect(report('image_rgb').description!.input[0]).toMatchObject({ kind: 'imageType', width: 8, height: 6, colorSpace: 'RGB' });
    expect(report('image_gray16').description!.input[0]).toMatchObject({ kind: 'imageType', colorSpace: 'GRAYSCALE_FLOAT16' });
  });

  it('rejects bad image options with coded errors', () => {
    const bad: [Program, CompileOptions, string][] = [
      [imageProgram(1, 'fp32'), { inputs: { image: { image: { colorLayout: 'RGB' } } } }, 'E_LOWER_OPTION'],
      [imageProgram(3, 'fp32'), { inputs: { image: { image: { colorLayout: 'RGB', bias: [1, 2] } } } }, 'E_LOWER_OPTION'],
      [imageProgram(3, 'fp32'), { inputs: { image: { image: { colorLayout: 'RGB', width: 9 } } } }, 'E_LOWER_OPTION'],
      [imageProgram(1, 'fp32'), { inputs: { image: { image: { colorLayout: 'GRAYSCALE_FLOAT16' } } } }, 'E_LOWER_OPTION'],
      [imageProgram(1, 'fp16'), { target: 'ios15', inputs: { image: { image: { colorLayout: 'GRAYSCALE_FLOAT16' } } } }, 'E_LOWER_TARGET'],
      [imageProgram(3, 'fp32'), { inputs: { pixels: { image: { colorLayout: 'RGB' } } } }, 'E_LOWER_NAME'],
      [imageProgram(3, 'fp32'), { inputs: { image: { image: { colorLayout: 'RGB' }, enumeratedShapes: [[1, 3, 6, 8]] } } }, 'E_LOWER_OPTION'],
    ];
    for (const [p, o, code] of bad) expect(() => lowerProgramPlan(p, o)).toThrow(expect.objectContaining({ code }));
  });
});

describe('flexible shapes', () => {
  it('enumerated shapes: the first is the default, the MIL input keeps its symbolic dim', () => {
    const m = entry('enumerated_ios18').lowered!.model;
    const f = m.description!.input![0]!;
    expect(f.shortDescription).toBe('hidden states');
    expect(f.type!.multiArrayType).toEqual({
      shape: [1, 4, 8],
      dataType: 65568,
      enumeratedShapes: { shapes: [{ shape: [1, 4, 8] }, { shape: [1, 16, 8] }, { shape: [1, 1, 8] }] },
    });
    expect(m.mlProgram!.functions!.main!.inputs![0]!.type!.tensorType!.dimensions![1]).toEqual({ unknown: { variadic: false } });
    expect(m.description!.output![0]!.type!.multiArrayType).toEqual({ dataType: 65568 });
  });

  it('a symbolic input without enumeration gets a size range', () => {
    expect(entry('shape_range').lowered!.model.description!.input![0]!.type!.multiArrayType!.shapeRange).toEqual({
      sizeRanges: [{ lowerBound: 1, upperBound: 1 }, { lowerBound: 1, upperBound: -1 }, { lowerBound: 8, upperBound: 8 }],
    });
  });

  it('rejects enumerations that do not fit the input', () => {
    for (const shapes of [[[1, 4, 9]], [[1, 4]], [], [[1, 4, 8], [1, 4, 8]], [[1, 0, 8]]]) {
      expect(() => lowerProgramPlan(symbolicProgram(), { inputs: { hidden: { enumeratedShapes: shapes } } })).toThrow(expect.objectContaining({ code: 'E_LOWER_OPTION' }));
    }
    expect(() => lowerProgramPlan(ioProgram(), { inputs: { ids: { enumeratedShapes: [[3]] } } })).toThrow(expect.objectContaining({ code: 'E_LOWER_OPTION' }));
  });
});

describe('MIL text', () => {
  it('printMil prints what coremltools prints for the same program', () => {
    const text = printMil(entry('print').lowered!.model);
    expect(text).toContain('main[CoreML7](%x: (2, 3, fp32)(Tensor),');
    expect(text).toContain('= linear(x=%x, weight=%w, bias=[1.2457307577133179, 0.12175839394330978, -1.757422685623169, 0.7150629758834839], name="h")');
    if (!oracle) return;
    // Block numbers come from a process-wide counter in coremltools.
    const norm = (t: string): string => t.replace(/block\d+\(/g, 'block#(');
    expect(norm(text)).toBe(norm((report('print') as PyPackage & { text: string }).text));
  });
});

describe('function I/O and metadata', () => {
  it('fp16 and int32 features; an output that is an input goes through identity', () => {
    const m = entry('io_dtypes').lowered!.model;
    expect(m.description!.input!.map((f) => f.type!.multiArrayType!.dataType)).toEqual([131104, 65552]);
    expect(m.description!.output!.map((f) => [f.name, f.type!.multiArrayType!.dataType])).toEqual([
      ['twice', 131104],
      ['t', 65552],
      ['h_out', 65552],
    ]);
  });

  it('fp16 I/O needs ios16', () => {
    expect(() => lowerProgramPlan(ioProgram(), { target: 'ios15' })).toThrow(expect.objectContaining({ code: 'E_LOWER_TARGET', details: expect.objectContaining({ needs: 'ios16' }) }));
  });

  it('writes author, license, version, description and user-defined keys with the package name and version', () => {
    const md = entry('metadata').lowered!.model.description!.metadata!;
    expect(md).toEqual({
      author: METADATA.author,
      license: METADATA.license,
      versionString: METADATA.version,
      shortDescription: METADATA.shortDescription,
      userDefined: { 'org.example.key': 'value', 'com.github.fastvlm.package': '@fastvlm/emit-coreml', 'com.github.fastvlm.version': '0.1.0' },
    });
    if (!oracle) return;
    expect(report('metadata').description!.metadata.userDefined['com.github.fastvlm.package']).toBe('@fastvlm/emit-coreml');
  });
});
