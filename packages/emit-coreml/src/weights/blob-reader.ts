/**
 * Reading and validating weight.bin: the header, each metadata record (sentinel, type code,
 * offsets, padding bits, bounds) and the blob data. Every defect is a coded error naming the
 * file and offset.
 * @module
 */
import { emitError, ioError } from '../errors.js';
import { closeQuietly, type FsLayer, nodeFs, readFully } from '../fs-layer.js';
import { type MilDType, isSubByteMil, milDTypeInfo, milDTypeOfBlobCode } from '../mil/dtypes.js';
import {
  BLOB_ALIGNMENT, BLOB_HEADER_SIZE, BLOB_RECORD_SIZE, BLOB_SENTINEL, BLOB_STORAGE_VERSION, type BlobRecord, align64,
} from './blob-format.js';

/** Options of the readers. */
export interface BlobReadOptions {
  readonly fs?: FsLayer;
}

/** The validated content summary of a weight file. */
export interface WeightBinInfo {
  readonly path: string;
  /** File size in bytes. */
  readonly size: number;
  readonly version: number;
  /** Blob count from the header. */
  readonly count: number;
  /** Every blob's record, in file order. */
  readonly blobs: readonly BlobRecord[];
}

/** An open weight file: size known, header validated. */
interface OpenFile {
  readonly fd: number;
  readonly size: number;
  readonly count: number;
  readonly version: number;
}

function blobError(path: string, message: string, code: 'E_BLOB' | 'E_BLOB_DTYPE' = 'E_BLOB'): never {
  throw emitError(code, `${path}: ${message}`, { where: path });
}

function openWeightFile(fsl: FsLayer, path: string): OpenFile {
  let fd: number;
  try {
    fd = fsl.openSync(path, 'r');
  } catch (e) {
    throw ioError(e, 'open the weight file', path);
  }
  try {
    const size = fsl.fstatSync(fd).size;
    if (size < BLOB_HEADER_SIZE) blobError(path, `file is ${size} bytes, shorter than the ${BLOB_HEADER_SIZE}-byte header`);
    const { bytes } = readFully(fsl, fd, BLOB_HEADER_SIZE, 0);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const count = v.getUint32(0, true);
    const version = v.getUint32(4, true);
    if (version !== BLOB_STORAGE_VERSION) blobError(path, `storage version is ${version}, expected ${BLOB_STORAGE_VERSION}`);
    return { fd, size, count, version };
  } catch (e) {
    closeQuietly(fsl, fd);
    throw ioError(e, 'read the weight file header of', path);
  }
}

function u64(v: DataView, at: number, path: string, what: string): number {
  const n = v.getBigUint64(at, true);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) blobError(path, `${what} ${n.toString()} is too large`);
  return Number(n);
}

function readRecord(fsl: FsLayer, f: OpenFile, path: string, offset: number): BlobRecord {
  if (!Number.isSafeInteger(offset) || offset < BLOB_HEADER_SIZE || offset % BLOB_ALIGNMENT !== 0) {
    blobError(path, `blob offset ${offset} is not a 64-aligned offset after the header`);
  }
  if (offset + BLOB_RECORD_SIZE > f.size) blobError(path, `blob record at ${offset} runs past the end of the ${f.size}-byte file`);
  const { bytes } = readFully(fsl, f.fd, BLOB_RECORD_SIZE, offset);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sentinel = v.getUint32(0, true);
  if (sentinel !== BLOB_SENTINEL) {
    blobError(path, `no blob record at offset ${offset}: sentinel is 0x${sentinel.toString(16)}, expected 0x${BLOB_SENTINEL.toString(16)}`);
  }
  const blobCode = v.getUint32(4, true);
  const dtype = milDTypeOfBlobCode(blobCode);
  if (dtype === undefined) blobError(path, `blob at ${offset} has unknown type code ${blobCode}`);
  const sizeInBytes = u64(v, 8, path, `size of blob at ${offset}`);
  const dataOffset = u64(v, 16, path, `data offset of blob at ${offset}`);
  const paddingBits = u64(v, 24, path, `padding of blob at ${offset}`);
  if (dataOffset !== offset + BLOB_RECORD_SIZE) blobError(path, `blob at ${offset} puts its data at ${dataOffset}, expected ${offset + BLOB_RECORD_SIZE}`);
  if (dataOffset + sizeInBytes > f.size) {
    blobError(path, `blob at ${offset} has ${sizeInBytes} data bytes at ${dataOffset}, past the end of the ${f.size}-byte file`);
  }
  const bits = milDTypeInfo(dtype).bits;
  let elements: number;
  if (isSubByteMil(dtype)) {
    const used = sizeInBytes * 8 - paddingBits;
    if (paddingBits >= 8 || used < 0 || used % bits !== 0) {
      blobError(path, `${dtype} blob at ${offset} has ${paddingBits} padding bits for ${sizeInBytes} bytes; expected fewer than 8 leaving a multiple of ${bits} bits`);
    }
    elements = used / bits;
  } else {
    if (paddingBits !== 0) blobError(path, `${dtype} blob at ${offset} has ${paddingBits} padding bits; only sub-byte types have padding`);
    if (sizeInBytes % (bits / 8) !== 0) blobError(path, `${dtype} blob at ${offset} has ${sizeInBytes} bytes, not a whole number of ${bits / 8}-byte elements`);
    elements = sizeInBytes / (bits / 8);
  }
  return { offset, dataOffset, dtype, blobCode, sizeInBytes, paddingBits, elements };
}

function withFile<T>(path: string, opts: BlobReadOptions, body: (fsl: FsLayer, f: OpenFile) => T): T {
  const fsl = opts.fs ?? nodeFs;
  const f = openWeightFile(fsl, path);
  let out: T;
  try {
    out = body(fsl, f);
  } catch (e) {
    closeQuietly(fsl, f.fd);
    throw ioError(e, 'read', path);
  }
  closeQuietly(fsl, f.fd);
  return out;
}

/**
 * Reads and validates a whole weight file: the header, then `count` records from offset 64, each
 * next record at the 64-aligned end of the previous data, and no bytes after the last blob.
 */
export function readWeightBin(path: string, opts: BlobReadOptions = {}): WeightBinInfo {
  return withFile(path, opts, (fsl, f) => {
    const blobs: BlobRecord[] = [];
    let at = BLOB_HEADER_SIZE;
    let end = BLOB_HEADER_SIZE;
    for (let i = 0; i < f.count; i++) {
      if (at >= f.size) blobError(path, `header says ${f.count} blobs, but the file ends after ${i}`);
      const r = readRecord(fsl, f, path, at);
      blobs.push(r);
      end = r.dataOffset + r.sizeInBytes;
      at = align64(end);
    }
    if (end !== f.size) blobError(path, `${f.size - end} unexpected bytes after the last of ${f.count} blobs (data ends at ${end})`);
    return { path, size: f.size, version: f.version, count: f.count, blobs };
  });
}

/** Reads and validates the record of the blob at metadata offset `offset`. */
export function readBlobRecord(path: string, offset: number, opts: BlobReadOptions = {}): BlobRecord {
  return withFile(path, opts, (fsl, f) => readRecord(fsl, f, path, offset));
}

/** One blob: its record and its data bytes. */
export interface BlobData {
  readonly record: BlobRecord;
  readonly data: Uint8Array;
}

/**
 * Reads the blob at metadata offset `offset`. When `expected` is given, the record's type code
 * must be that dtype's (`E_BLOB_DTYPE` otherwise), as Core ML's reader checks.
 */
export function readBlob(path: string, offset: number, expected?: MilDType, opts: BlobReadOptions = {}): BlobData {
  return withFile(path, opts, (fsl, f) => {
    const record = readRecord(fsl, f, path, offset);
    if (expected !== undefined && record.dtype !== expected) {
      blobError(path, `blob at ${offset} holds ${record.dtype} (type code ${record.blobCode}), expected ${expected}`, 'E_BLOB_DTYPE');
    }
    const { bytes, short } = readFully(fsl, f.fd, record.sizeInBytes, record.dataOffset);
    if (short) blobError(path, `blob at ${offset}: file ended while reading ${record.sizeInBytes} data bytes`);
    return { record, data: bytes };
  });
}
