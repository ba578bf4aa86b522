import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { BlobWriter } from './blob-writer.js';
import { readBlob, readBlobRecord, readWeightBin } from './blob-reader.js';
import { fastVlmError } from '../../../graph/src/testing/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'blob-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A valid file with an fp16 blob (10 elements) at 64 and a uint3 blob (12 elements) at 192. */
function goodFile(): { path: string; bytes: Uint8Array } {
  const path = join(dir, `g${n++}.bin`);
  const w = BlobWriter.create(path);
  w.appendBytes('fp16', Uint8Array.from({ length: 20 }, (_, i) => i));
  w.appendBytes('uint3', Uint8Array.from([0x88, 0xc6, 0xfa, 0x88, 0x06]), { elements: 12 });
  w.finish();
  return { path, bytes: new Uint8Array(readFileSync(path)) };
}

/** Writes a modified copy of the good file. */
function variant(edit: (b: Uint8Array, v: DataView) => Uint8Array | void): string {
  const { bytes } = goodFile();
  const b = Uint8Array.from(bytes);
  const out = edit(b, new DataView(b.buffer)) ?? b;
  const p = join(dir, `v${n++}.bin`);
  writeFileSync(p, out);
  return p;
}

describe('readWeightBin / readBlob on valid files', () => {
  it('lists every blob with its record fields and reads data with a dtype check', () => {
    const { path } = goodFile();
    const info = readWeightBin(path);
    expect(info).toMatchObject({ version: 2, count: 2, size: 192 + 64 + 5 });
    expect(info.blobs).toEqual([
      { offset: 64, dataOffset: 128, dtype: 'fp16', blobCode: 1, sizeInBytes: 20, paddingBits: 0, elements: 10 },
      { offset: 192, dataOffset: 256, dtype: 'uint3', blobCode: 12, sizeInBytes: 5, paddingBits: 4, elements: 12 },
    ]);
    expect([...readBlob(path, 192, 'uint3').data]).toEqual([0x88, 0xc6, 0xfa, 0x88, 0x06]);
    expect(readBlobRecord(path, 64).elements).toBe(10);
  });

  it('accepts a file with no blobs', () => {
    const p = join(dir, `e${n++}.bin`);
    BlobWriter.create(p).finish();
    expect(readWeightBin(p)).toMatchObject({ count: 0, size: 64, blobs: [] });
  });
});

describe('malformed weight files are coded errors naming the file', () => {
  const cases: [string, () => unknown, string][] = [
    ['short file', () => readWeightBin(variant((b) => b.subarray(0, 40))), 'E_BLOB'],
    ['wrong version', () => readWeightBin(variant((_b, v) => v.setUint32(4, 1, true))), 'E_BLOB'],
    ['bad sentinel', () => readBlob(variant((_b, v) => v.setUint32(192, 0xdeadbeee, true)), 192), 'E_BLOB'],
    ['unknown type code', () => readBlob(variant((_b, v) => v.setUint32(64 + 4, 99, true)), 64), 'E_BLOB'],
    ['data past the end', () => readBlob(variant((_b, v) => v.setBigUint64(192 + 8, 500n, true)), 192), 'E_BLOB'],
    ['data not after its record', () => readBlob(variant((_b, v) => v.setBigUint64(64 + 16, 192n, true)), 64), 'E_BLOB'],
    ['padding on a byte type', () => readBlob(variant((_b, v) => v.setBigUint64(64 + 24, 3n, true)), 64), 'E_BLOB'],
    ['8 padding bits', () => readBlob(variant((_b, v) => v.setBigUint64(192 + 24, 8n, true)), 192), 'E_BLOB'],
    ['padding leaving a partial element', () => readBlob(variant((_b, v) => v.setBigUint64(192 + 24, 5n, true)), 192), 'E_BLOB'],
    ['odd size for fp16', () => readBlob(variant((_b, v) => v.setBigUint64(64 + 8, 19n, true)), 64), 'E_BLOB'],
    ['huge size', () => readBlob(variant((_b, v) => v.setBigUint64(64 + 8, 2n ** 62n, true)), 64), 'E_BLOB'],
    ['count larger than the blobs', () => readWeightBin(variant((_b, v) => v.setUint32(0, 3, true))), 'E_BLOB'],
    ['count smaller than the blobs', () => readWeightBin(variant((_b, v) => v.setUint32(0, 1, true))), 'E_BLOB'],
    ['trailing bytes', () => readWeightBin(variant((b) => Uint8Array.from([...b, 0, 0]))), 'E_BLOB'],
    ['misaligned offset', () => readBlob(goodFile().path, 100), 'E_BLOB'],
    ['offset in the header', () => readBlob(goodFile().path, 0), 'E_BLOB'],
    ['offset past the end', () => readBlob(goodFile().path, 640), 'E_BLOB'],
    ['offset at data, not a record', () => readBlob(goodFile().path, 128), 'E_BLOB'],
    ['dtype other than asked', () => readBlob(goodFile().path, 64, 'fp32'), 'E_BLOB_DTYPE'],
    ['missing file', () => readWeightBin(join(dir, 'nope.bin')), 'E_IO'],
  ];
  for (const [name, fn, code] of cases) {
    it(name, () => {
      expect(fastVlmError(fn, code, name).message).toMatch(/\.bin/);
    });
  }
});
