import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { encodeModel, decodeModel } from '../proto/codec.js';
import type { CoreMLModel, MilOperation } from '../index.js';
import { sampleModel, sampleWeights } from '../testing/sample.js';
import { writeMlPackage } from './write.js';
import { readMlPackage } from './read.js';
import { errorCode } from '../../../graph/src/testing/errors.js';

const root = mkdtempSync(join(tmpdir(), 'mlpackage-read-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const good = join(root, 'Good.mlpackage');
beforeAll(async () => {
  await writeMlPackage(good, { model: sampleModel(4) });
});
let n = 0;

/** A copy of the good package, edited. */
function broken(edit: (dir: string) => void): string {
  const dir = join(root, `b${n++}.mlpackage`);
  cpSync(good, dir, { recursive: true });
  edit(dir);
  return dir;
}
const manifestOf = (dir: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, 'Manifest.json'), 'utf8')) as Record<string, unknown>;
const writeManifest = (dir: string, m: unknown): void => writeFileSync(join(dir, 'Manifest.json'), JSON.stringify(m));
const MODEL = 'Data/com.apple.CoreML/model.mlmodel';
const opsOf = (m: CoreMLModel): MilOperation[] => m.mlProgram!.functions!.main!.blockSpecializations!.CoreML7!.operations!;

/** Rewrites the model file with an edit of its ops. */
function editModel(dir: string, edit: (ops: MilOperation[]) => void): void {
  const m = decodeModel(readFileSync(join(dir, MODEL)));
  edit(opsOf(m));
  writeFileSync(join(dir, MODEL), encodeModel(m));
}

describe('readMlPackage', () => {
  it('returns the manifest, the decoded model and the weight file, and decodes values', () => {
    const pkg = readMlPackage(good);
    expect(pkg.path).toBe(good);
    expect(pkg.weightsPath).toBe(join(good, 'Data/com.apple.CoreML/weights/weight.bin'));
    expect(pkg.model.specificationVersion).toBe(8);
    const ops = opsOf(pkg.model);
    expect(ops.map((o) => o.type)).toEqual(['const', 'const', 'const', 'linear', 'linear']);
    const w = pkg.value(ops[0]!.attributes!.val!);
    expect({ dtype: w.dtype, shape: w.shape }).toEqual({ dtype: 'fp16', shape: [8, 8] });
    expect(Array.from(w.data as Float32Array)).toEqual(sampleWeights(4));
    expect(ops[1]!.attributes!.val!.blobFileValue).toEqual(ops[0]!.attributes!.val!.blobFileValue);
    expect(Array.from(pkg.value(ops[2]!.attributes!.val!).data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5, 6, 4]);
    expect(pkg.checkBlobReferences()).toBe(2);
  });
});

describe('malformed packages are coded errors', () => {
  const cases: [string, () => unknown, string][] = [
    ['missing package', () => readMlPackage(join(root, 'nope.mlpackage')), 'E_PACKAGE'],
    ['a file, not a directory', () => readMlPackage(join(good, 'Manifest.json')), 'E_PACKAGE'],
    ['no manifest', () => readMlPackage(broken((d) => rmSync(join(d, 'Manifest.json')))), 'E_MANIFEST'],
    ['manifest not JSON', () => readMlPackage(broken((d) => writeFileSync(join(d, 'Manifest.json'), '{'))), 'E_MANIFEST'],
    ['manifest version', () => readMlPackage(broken((d) => writeManifest(d, { ...manifestOf(d), fileFormatVersion: '2.0.0' }))), 'E_MANIFEST'],
    ['root names no entry', () => readMlPackage(broken((d) => writeManifest(d, { ...manifestOf(d), rootModelIdentifier: 'x' }))), 'E_MANIFEST'],
    ['model file missing', () => readMlPackage(broken((d) => rmSync(join(d, MODEL)))), 'E_PACKAGE'],
    ['weights dir missing', () => readMlPackage(broken((d) => rmSync(join(d, 'Data/com.apple.CoreML/weights'), { recursive: true }))), 'E_PACKAGE'],
    ['model not a protobuf', () => readMlPackage(broken((d) => writeFileSync(join(d, MODEL), Uint8Array.from([0x0a, 0xff, 0x01])))), 'E_PROTO_DECODE'],
    ['blob reference outside the package', () => {
      const pkg = readMlPackage(broken((d) => editModel(d, (ops) => { ops[0]!.attributes!.val!.blobFileValue!.fileName = '@model_path/../../x.bin'; })));
      return pkg.checkBlobReferences();
    }, 'E_PACKAGE'],
    ['blob reference without @model_path', () => readMlPackage(broken((d) => editModel(d, (ops) => { ops[0]!.attributes!.val!.blobFileValue!.fileName = '/etc/passwd'; }))).checkBlobReferences(), 'E_PACKAGE'],
    ['blob declared with another dtype', () => readMlPackage(broken((d) => editModel(d, (ops) => { ops[0]!.attributes!.val!.type!.tensorType!.dataType = 11; }))).checkBlobReferences(), 'E_BLOB_DTYPE'],
    ['blob declared with another shape', () => readMlPackage(broken((d) => editModel(d, (ops) => { ops[0]!.attributes!.val!.type!.tensorType!.dimensions![0] = { constant: { size: 4 } }; }))).checkBlobReferences(), 'E_BLOB_SIZE'],
    ['blob offset not a record', () => readMlPackage(broken((d) => editModel(d, (ops) => { ops[0]!.attributes!.val!.blobFileValue!.offset = 128; }))).checkBlobReferences(), 'E_BLOB'],
    ['weight file truncated', () => {
      const pkg = readMlPackage(broken((d) => {
        const p = join(d, 'Data/com.apple.CoreML/weights/weight.bin');
        writeFileSync(p, readFileSync(p).subarray(0, 150));
      }));
      return pkg.value(opsOf(pkg.model)[0]!.attributes!.val!);
    }, 'E_BLOB'],
  ];
  for (const [name, fn, code] of cases) {
    it(name, () => {
      expect(errorCode(fn)).toBe(code);
    });
  }
});
