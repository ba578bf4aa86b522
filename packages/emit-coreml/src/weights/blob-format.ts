/**
 * Layout of weight.bin (MIL blob storage, version 2): a 64-byte header (`count` u32,
 * `version` u32 = 2, zeros), then per blob a 64-byte metadata record at a 64-aligned offset
 * followed directly by the data. All integers little-endian; gaps zero-filled; the file end is
 * not padded. A BlobFileValue's `offset` is the offset of the metadata record.
 * @module
 */
import type { MilDType } from '../mil/dtypes.js';

/** Alignment of records and data. */
export const BLOB_ALIGNMENT = 64;
/** Size of the file header. */
export const BLOB_HEADER_SIZE = 64;
/** Size of a metadata record. */
export const BLOB_RECORD_SIZE = 64;
/** Marker at the start of every metadata record. */
export const BLOB_SENTINEL = 0xdeadbeef;
/** The storage format version we read and write. */
export const BLOB_STORAGE_VERSION = 2;
/** The `fileName` of a BlobFileValue pointing into the package's weight file. */
export const WEIGHT_FILE_REF = '@model_path/weights/weight.bin';

/** Rounds up to the next multiple of 64. */
export function align64(n: number): number {
  return Math.ceil(n / BLOB_ALIGNMENT) * BLOB_ALIGNMENT;
}

/** One blob's metadata record, as written or read. */
export interface BlobRecord {
  /** Offset of the metadata record (what BlobFileValue.offset holds). */
  readonly offset: number;
  /** Absolute offset of the data (= offset + 64). */
  readonly dataOffset: number;
  readonly dtype: MilDType;
  /** The blob type code stored in the record. */
  readonly blobCode: number;
  readonly sizeInBytes: number;
  /** Unused trailing bits of the last byte (sub-byte types only, < 8). */
  readonly paddingBits: number;
  /** Element count: bits in use divided by the dtype's width. */
  readonly elements: number;
}

/** The 64 header bytes for `count` blobs. */
export function encodeHeader(count: number): Uint8Array {
  const b = new Uint8Array(BLOB_HEADER_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, count, true);
  v.setUint32(4, BLOB_STORAGE_VERSION, true);
  return b;
}

/** The 64 bytes of a metadata record. */
export function encodeRecord(blobCode: number, sizeInBytes: number, dataOffset: number, paddingBits: number): Uint8Array {
  const b = new Uint8Array(BLOB_RECORD_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, BLOB_SENTINEL, true);
  v.setUint32(4, blobCode, true);
  v.setBigUint64(8, BigInt(sizeInBytes), true);
  v.setBigUint64(16, BigInt(dataOffset), true);
  v.setBigUint64(24, BigInt(paddingBits), true);
  return b;
}
