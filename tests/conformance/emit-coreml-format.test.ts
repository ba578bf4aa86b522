/**
 * External-oracle proof that @fastvlm/emit-coreml writes and reads Apple's format: tiny ML
 * programs built by hand with our message constructors (no lowering) are written with
 * writeMlPackage and opened by coremltools 9.0 (manifest check, milproto -> pymil rebuild with
 * type inference, C++ blob reader); and packages saved by coremltools' own builder are read
 * back with readMlPackage. Expected values are written out literally or computed here naively.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import protobuf from 'protobufjs/light.js';
import {
  type BlobWriter, type CoreMLModel, type MilOperation, type MilTensor, SPEC_VERSIONS, arrayFeature, constOp, immediateTensor,
  blobValue, milFunction, milOp, mlProgramModel, namedValue, opsetOf, packElements, readMlPackage, readWeightBin, stringValue,
  tensorType, writeMlPackage,
} from '@fastvlm/emit-coreml';
import { schemaRoot } from '../../packages/emit-coreml/src/proto/codec.js';
import { pythonReady, runPythonJson } from './venv-python.js';

const work = mkdtempSync(join(tmpdir(), 'emit-coreml-conf-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface PyVar { name: string; dtype: string; shape: (number | string)[] }
interface PyOp { type: string; name: string; inputs: Record<string, string | string[]>; outputs: PyVar[]; value?: (number | string)[] | null }
interface PyPackage {
  specificationVersion: number;
  description: { input: { name: string; kind: string; shape?: number[]; dataType?: string }[]; output: { name: string; kind: string; shape?: number[]; dataType?: string }[] };
  functions: Record<string, { inputs: PyVar[]; outputs: PyVar[]; ops: PyOp[] }>;
}

// ---- values, written out so that fp32 and fp16 hold them exactly ----
const W = Array.from({ length: 16 }, (_, i) => (i - 7.5) / 4); // [4, 4]
const B16 = [0.5, -1.25, 2, 0.125]; // [4]
const H16 = Array.from({ length: 12 }, (_, i) => (i - 6) / 8); // [3, 4]
const IDX3 = Array.from({ length: 12 }, (_, i) => (i * 5) % 8); // uint3 [4, 3]
const LUT3 = [-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5]; // fp16 [1, 1, 8, 1]
const IDX1 = Array.from({ length: 21 }, (_, i) => (i % 3 === 0 ? 1 : 0)); // uint1 [3, 7]
const LUT1 = [0.25, -4]; // fp16 [1, 1, 2, 1]
const D4 = Array.from({ length: 15 }, (_, i) => (i % 16) - 8); // int4 [3, 5]
const S4 = [0.5, 1, -2]; // fp16 [3, 1]

function op(type: string, name: string, inputs: Record<string, string | import('@fastvlm/emit-coreml').MilValue>, dtype: 'fp32' | 'fp16', shape: number[]): MilOperation {
  return milOp(type, { name, inputs, outputs: [namedValue(name, tensorType(dtype, shape))] });
}

/** The iOS17 program: fp32 and fp16 blobs (one deduplicated), inline fp16 bytes, ints, floats, bools, strings. */
function ios17Model(w: BlobWriter): CoreMLModel {
  const wOff = w.appendBytes('fp32', packElements('fp32', W), { elements: 16, where: 'w' });
  const w2Off = w.appendBytes('fp32', packElements('fp32', W), { elements: 16, where: 'w2' });
  const hOff = w.appendBytes('fp16', packElements('fp16', H16), { elements: 12, where: 'h16' });
  expect(w2Off).toBe(wOff);
  const spec = SPEC_VERSIONS.iOS17;
  const ops: MilOperation[] = [
    constOp('w', blobValue('fp32', [4, 4], wOff)),
    constOp('w2', blobValue('fp32', [4, 4], w2Off)),
    constOp('h16', blobValue('fp16', [3, 4], hOff)),
    constOp('b16', immediateTensor('fp16', [4], B16)),
    constOp('shape', immediateTensor('int32', [2], [1, 4])),
    constOp('k', immediateTensor('fp32', [], [1.5])),
    constOp('no', immediateTensor('bool', [], [false])),
    constOp('dt', stringValue('fp32')),
    op('linear', 'lin', { x: 'x', weight: 'w' }, 'fp32', [1, 4]),
    op('cast', 'b32', { x: 'b16', dtype: 'dt' }, 'fp32', [4]),
    op('add', 'z', { x: 'lin', y: 'b32' }, 'fp32', [1, 4]),
    op('matmul', 'mm', { x: 'z', y: 'w2', transpose_x: 'no', transpose_y: 'no' }, 'fp32', [1, 4]),
    op('mul', 'm2', { x: 'mm', y: 'k' }, 'fp32', [1, 4]),
    op('reshape', 'out', { x: 'm2', shape: 'shape' }, 'fp32', [1, 4]),
    op('cast', 'h32', { x: 'h16', dtype: 'dt' }, 'fp32', [3, 4]),
  ];
  return mlProgramModel({
    specificationVersion: spec,
    functions: { main: milFunction({ inputs: [namedValue('x', tensorType('fp32', [1, 4]))], opset: opsetOf(spec), operations: ops, outputs: ['out', 'h32'] }) },
    input: [arrayFeature('x', 'fp32', [1, 4])],
    output: [arrayFeature('out', 'fp32', [1, 4]), arrayFeature('h32', 'fp32', [3, 4])],
    buildInfo: { 'fastvlm-emit-coreml': 'conformance' },
  });
}

/** The iOS18 program: sub-byte blobs (uint3, uint1, int4) as inline-bound constexpr inputs. */
function ios18Model(w: BlobWriter): CoreMLModel {
  const i3 = w.appendBytes('uint3', packElements('uint3', IDX3), { elements: 12, where: 'pal.indices' });
  const i1 = w.appendBytes('uint1', packElements('uint1', IDX1), { elements: 21, where: 'pal1.indices' });
  const d4 = w.appendBytes('int4', packElements('int4', D4), { elements: 15, where: 'q4.data' });
  const spec = SPEC_VERSIONS.iOS18;
  const ops: MilOperation[] = [
    op('constexpr_lut_to_dense', 'pal', { indices: blobValue('uint3', [4, 3], i3), lut: immediateTensor('fp16', [1, 1, 8, 1], LUT3) }, 'fp16', [4, 3]),
    op('add', 'out', { x: 'x', y: 'pal' }, 'fp16', [4, 3]),
    op('constexpr_lut_to_dense', 'pal1', { indices: blobValue('uint1', [3, 7], i1), lut: immediateTensor('fp16', [1, 1, 2, 1], LUT1) }, 'fp16', [3, 7]),
    op('identity', 'pal1_out', { x: 'pal1' }, 'fp16', [3, 7]),
    op('constexpr_blockwise_shift_scale', 'q4', { data: blobValue('int4', [3, 5], d4), scale: immediateTensor('fp16', [3, 1], S4) }, 'fp16', [3, 5]),
    op('identity', 'q4_out', { x: 'q4' }, 'fp16', [3, 5]),
  ];
  return mlProgramModel({
    specificationVersion: spec,
    functions: { main: milFunction({ inputs: [namedValue('x', tensorType('fp16', [4, 3]))], opset: opsetOf(spec), operations: ops, outputs: ['out', 'pal1_out', 'q4_out'] }) },
    input: [arrayFeature('x', 'fp16', [4, 3])],
    output: [arrayFeature('out', 'fp16', [4, 3]), arrayFeature('pal1_out', 'fp16', [3, 7]), arrayFeature('q4_out', 'fp16', [3, 5])],
  });
}

type PyField = { number: number; repeated?: boolean; type?: string; map?: { key: string; value: string } };
type PySchema = Record<string, { fields?: Record<string, PyField>; oneofs?: Record<string, string[]>; values?: Record<string, number> }>;

const camel = (s: string): string => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

/** Compares every message, field, oneof and enum of our schema with coremltools' descriptors. */
function checkSchema(py: PySchema): { messages: number; fields: number } {
  let messages = 0;
  let fields = 0;
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const o of ns.nestedArray) {
      const name = o.fullName.replace(/^\./, '');
      if (o instanceof protobuf.Enum) {
        expect(py[name]?.values, name).toBeDefined();
        for (const [k, v] of Object.entries(o.values)) expect([name, k, py[name]!.values![k]]).toEqual([name, k, v]);
        continue;
      }
      if (o instanceof protobuf.Type) {
        const theirs = py[name];
        expect(theirs?.fields, name).toBeDefined();
        messages++;
        const byCamel = new Map(Object.entries(theirs!.fields!).map(([k, f]) => [camel(k), f]));
        for (const f of o.fieldsArray) {
          f.resolve();
          const t = byCamel.get(f.name);
          const where = `${name}.${f.name}`;
          expect(t, where).toBeDefined();
          const type = f.resolvedType ? f.resolvedType.fullName.replace(/^\./, '') : f.type;
          if (f instanceof protobuf.MapField) expect([where, t!.number, t!.map]).toEqual([where, f.id, { key: f.keyType, value: type }]);
          else expect([where, t!.number, t!.repeated, t!.type]).toEqual([where, f.id, f.repeated, type]);
          fields++;
        }
        for (const one of o.oneofsArray) {
          const members = (theirs!.oneofs?.[one.name] ?? []).map(camel);
          for (const m of one.oneof) expect(members, `${name}.${one.name}`).toContain(m);
        }
      }
      if (o instanceof protobuf.Namespace || o instanceof protobuf.Type) visit(o);
    }
  };
  visit(schemaRoot());
  return { messages, fields };
}

function byName(ops: PyOp[], name: string): PyOp {
  const o = ops.find((x) => x.name === name);
  if (!o) throw new Error(`coremltools shows no op named ${name}; ops: ${ops.map((x) => x.name).join(', ')}`);
  return o;
}

function flat(t: MilTensor): number[] {
  return Array.from(t.data as ArrayLike<number>);
}

describe('coremltools reads packages written by writeMlPackage', () => {
  let seen: { packages: PyPackage[]; schema: PySchema } | undefined;
  beforeAll(async () => {
    if (!pythonReady('emit-coreml conformance (write)')) return;
    const p17 = join(work, 'ours17.mlpackage');
    const p18 = join(work, 'ours18.mlpackage');
    await writeMlPackage(p17, { model: ios17Model });
    await writeMlPackage(p18, { model: ios18Model });
    // Our own reader agrees on the layout before coremltools (which rewrites Manifest.json) opens them.
    expect(readWeightBin(readMlPackage(p17).weightsPath!).count).toBe(2);
    expect(readWeightBin(readMlPackage(p18).weightsPath!).blobs.map((b) => [b.dtype, b.sizeInBytes, b.paddingBits])).toEqual([
      ['uint3', 5, 4],
      ['uint1', 3, 3],
      ['int4', 8, 4],
    ]);
    seen = runPythonJson<{ packages: PyPackage[]; schema: PySchema }>('coreml_inspect.py', ['--schema', p17, p18]);
  });

  it('declares every field with the number, label and type of coremltools descriptors', () => {
    if (!seen) return;
    const checked = checkSchema(seen.schema);
    expect(checked.messages).toBeGreaterThan(40);
    expect(checked.fields).toBeGreaterThan(120);
  });

  it('loads the iOS17 and iOS18 programs, re-infers every op type and reads every blob', () => {
    if (!seen) return;
    const [a, b] = seen.packages as [PyPackage, PyPackage];

    expect(a.specificationVersion).toBe(8);
    expect(a.description.input).toEqual([{ name: 'x', kind: 'multiArrayType', shape: [1, 4], dataType: 'FLOAT32' }]);
    expect(a.description.output.map((o) => [o.name, o.shape, o.dataType])).toEqual([['out', [1, 4], 'FLOAT32'], ['h32', [3, 4], 'FLOAT32']]);
    const fa = a.functions.main!;
    expect(fa.inputs).toEqual([{ name: 'x', dtype: 'fp32', shape: [1, 4] }]);
    expect(fa.outputs).toEqual([{ name: 'out', dtype: 'fp32', shape: [1, 4] }, { name: 'h32', dtype: 'fp32', shape: [3, 4] }]);
    const ours: [string, string][] = [
      ['const', 'w'], ['const', 'w2'], ['const', 'h16'], ['const', 'b16'], ['const', 'shape'], ['const', 'k'], ['const', 'no'], ['const', 'dt'],
      ['linear', 'lin'], ['cast', 'b32'], ['add', 'z'], ['matmul', 'mm'], ['mul', 'm2'], ['reshape', 'out'], ['cast', 'h32'],
    ];
    const names = new Set(ours.map(([, n]) => n));
    expect(fa.ops.filter((o) => names.has(o.name)).map((o) => [o.type, o.name])).toEqual(ours);
    // pymil adds consts for omitted optional inputs (linear's zero bias); nothing else.
    expect(fa.ops.filter((o) => !names.has(o.name)).map((o) => o.type)).toEqual(['const']);
    expect(byName(fa.ops, 'w').value).toEqual(W);
    expect(byName(fa.ops, 'w2').value).toEqual(W);
    expect(byName(fa.ops, 'w').outputs).toEqual([{ name: 'w', dtype: 'fp32', shape: [4, 4] }]);
    expect(byName(fa.ops, 'h16').value).toEqual(H16);
    expect(byName(fa.ops, 'h16').outputs[0]!.dtype).toBe('fp16');
    expect(byName(fa.ops, 'b16').value).toEqual(B16);
    expect(byName(fa.ops, 'b16').outputs[0]!.dtype).toBe('fp16');
    expect(byName(fa.ops, 'shape').value).toEqual([1, 4]);
    expect(byName(fa.ops, 'shape').outputs[0]!.dtype).toBe('int32');
    expect(byName(fa.ops, 'k').value).toEqual([1.5]);
    expect(byName(fa.ops, 'no').value).toEqual([0]);
    expect(byName(fa.ops, 'dt').value).toEqual(['fp32']);
    expect(byName(fa.ops, 'lin').inputs).toMatchObject({ x: 'x', weight: 'w' });
    expect(byName(fa.ops, 'mm').inputs).toEqual({ x: 'z', y: 'w2', transpose_x: 'no', transpose_y: 'no' });
    expect(byName(fa.ops, 'out').outputs).toEqual([{ name: 'out', dtype: 'fp32', shape: [1, 4] }]);
    expect(byName(fa.ops, 'h32').outputs).toEqual([{ name: 'h32', dtype: 'fp32', shape: [3, 4] }]);

    expect(b.specificationVersion).toBe(9);
    const fb = b.functions.main!;
    const lut3 = IDX3.map((i) => LUT3[i]!);
    const lut1 = IDX1.map((i) => LUT1[i]!);
    const q4 = D4.map((d, i) => d * S4[Math.floor(i / 5)]!);
    expect(byName(fb.ops, 'pal').value).toEqual(lut3);
    expect(byName(fb.ops, 'pal').outputs).toEqual([{ name: 'pal', dtype: 'fp16', shape: [4, 3] }]);
    expect(byName(fb.ops, 'pal1').value).toEqual(lut1);
    expect(byName(fb.ops, 'q4').value).toEqual(q4);
    // The inline-bound constexpr inputs become consts in pymil, named <op>_<input>_0.
    expect(byName(fb.ops, 'pal_indices_0').value).toEqual(IDX3);
    expect(byName(fb.ops, 'pal_indices_0').outputs[0]!.dtype).toBe('uint3');
    expect(byName(fb.ops, 'pal1_indices_0').value).toEqual(IDX1);
    expect(byName(fb.ops, 'q4_data_0').value).toEqual(D4);
    expect(byName(fb.ops, 'q4_data_0').outputs[0]!.dtype).toBe('int4');
    expect(fb.outputs.map((o) => o.name)).toEqual(['out', 'pal1_out', 'q4_out']);
  });
});

interface BuiltValue { dtype: string; shape: number[]; data: number[] }
interface BuiltPackage { path: string; specificationVersion: number; opTypes: string[]; values: Record<string, BuiltValue> }

describe('readMlPackage reads packages saved by coremltools', () => {
  it('decodes ops, inline values and fp32/fp16/int8/uint3/int4 blobs as coremltools wrote them', () => {
    if (!pythonReady('emit-coreml conformance (read)')) return;
    const built = runPythonJson<{ packages: BuiltPackage[] }>('coreml_build.py', [join(work, 'theirs')]);
    expect(built.packages).toHaveLength(2);
    for (const bp of built.packages) {
      const pkg = readMlPackage(bp.path);
      expect(pkg.model.specificationVersion).toBe(bp.specificationVersion);
      expect(pkg.checkBlobReferences()).toBeGreaterThan(0);
      expect(readWeightBin(pkg.weightsPath!).count).toBeGreaterThan(0);
      const fn = pkg.model.mlProgram!.functions!.main!;
      const ops = fn.blockSpecializations![fn.opset!]!.operations!;
      expect(ops.map((o) => o.type)).toEqual(bp.opTypes);
      const nameOf = (o: MilOperation): string => o.attributes!.name!.immediateValue!.tensor!.strings!.values![0]!;
      for (const [key, want] of Object.entries(bp.values)) {
        const [opName, input] = key.split('.') as [string, string | undefined];
        if (input === 'materialized') continue;
        const o = ops.find((x) => nameOf(x) === opName);
        expect(o, key).toBeDefined();
        const v = input === undefined ? o!.attributes!.val! : (o!.inputs?.[input]?.arguments?.[0]?.value ?? o!.attributes![input]!);
        const t = pkg.value(v, key);
        expect([key, t.dtype, t.shape]).toEqual([key, want.dtype, want.shape]);
        expect(flat(t)).toEqual(want.data);
      }
    }
  });
});
