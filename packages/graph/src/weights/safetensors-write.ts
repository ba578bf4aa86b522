/**
 * A deterministic safetensors writer, for tests, checkpoints made by our tools and the PyTorch
 * parity test. Same input, byte-identical file: the header JSON has its keys sorted and no
 * whitespace, is padded with spaces to a multiple of 8 bytes (so the data section starts
 * 8-byte aligned), and tensors are laid out by element size (largest first) then name, so every
 * tensor is aligned to its element size without gaps. Weights from a store are streamed and
 * converted chunk by chunk. Files are written atomically ({@link writeFileAtomic}).
 * @module
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { writeFileAtomic } from '../atomic-write.js';
import { type DType, dtypeInfo, isDType } from '../dtype.js';
import { type FastVlmError, graphError, ioError } from '../errors.js';
import { fp32ToFp16Bits } from '../fp16.js';
import { type StaticShape, checkShape, formatShape, numel } from '../shape.js';
import type { Tensor, TensorData } from '../tensor.js';
import { type SafetensorsDType, decodeTensor, isSafetensorsDType, safetensorsDTypeSize } from './decode.js';
import { SAFETENSORS_INDEX_FILE } from './safetensors.js';
import { WeightStore } from './store.js';

/** The safetensors dtype each IR dtype is written as, per dtype or per tensor. */
export type SafetensorsDTypeMap =
  | Readonly<Partial<Record<DType, SafetensorsDType>>>
  | ((name: string, dtype: DType) => SafetensorsDType | undefined);

/** Tensors to write: (name, tensor) pairs. */
export type TensorEntries = Iterable<readonly [string, Tensor]>;

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /**
   * Overrides of {@link DEFAULT_SAFETENSORS_DTYPES}. Floats may be written as F32, F16 or BF16
   * (rounded to nearest even); integers as I8, U8, I32 or I64 and bools as BOOL or U8, with
   * every value checked against the target range.
   */
  readonly dtypes?: SafetensorsDTypeMap;
  /** The header's `__metadata__` string map (omitted when undefined). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** When the source is a store: the names to write, in this order (default: all). */
  readonly names?: readonly string[];
  /** Streaming chunk size in bytes (default 4 MiB). */
  readonly chunkBytes?: number;
}

/** Where one tensor landed in a written file. */
export interface WrittenTensor {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: StaticShape;
  readonly dataOffsets: readonly [number, number];
}

/** The outcome of writing one file. */
export interface SafetensorsWriteResult {
  readonly path: string;
  /** File size in bytes. */
  readonly bytes: number;
  /** N, the padded header length. */
  readonly headerLength: number;
  /** Tensors in data order. */
  readonly tensors: readonly WrittenTensor[];
}

/** The default safetensors dtype of each IR dtype (lossless: int16 widens to I32, sub-byte to I8/U8). */
export const DEFAULT_SAFETENSORS_DTYPES: Readonly<Record<DType, SafetensorsDType>> = {
  fp32: 'F32',
  fp16: 'F16',
  int32: 'I32',
  int16: 'I32',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
  int4: 'I8',
  uint4: 'U8',
  uint1: 'U8',
  uint2: 'U8',
  uint3: 'U8',
  uint6: 'U8',
};

const INT_RANGE: Readonly<Partial<Record<SafetensorsDType, readonly [number, number]>>> = {
  I8: [-128, 127],
  U8: [0, 255],
  I32: [-2147483648, 2147483647],
  I64: [-Infinity, Infinity],
  BOOL: [0, 1],
};

/** One tensor to write: metadata up front (the header comes first), bytes on demand. */
interface Item {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: StaticShape;
  readonly target: SafetensorsDType;
  readonly bytes: number;
  /** The target-dtype bytes, in chunks. */
  data(chunkBytes: number): Iterable<Uint8Array>;
}

function wErr(code: 'E_DTYPE_MISMATCH' | 'E_NAME' | 'E_ATTR' | 'E_WEIGHT_MISMATCH', message: string, where: string): FastVlmError {
  return graphError(code, message, { where });
}

function targetOf(map: SafetensorsDTypeMap | undefined, name: string, dtype: DType): SafetensorsDType {
  const t = typeof map === 'function' ? map(name, dtype) : map?.[dtype];
  const target = t ?? DEFAULT_SAFETENSORS_DTYPES[dtype];
  if (typeof target !== 'string' || !isSafetensorsDType(target)) {
    throw wErr('E_DTYPE_MISMATCH', `tensor '${name}': unknown safetensors dtype '${String(target)}' for ${dtype}`, name);
  }
  const kind = dtypeInfo(dtype).kind;
  const float = target === 'F32' || target === 'F16' || target === 'BF16';
  const ok = kind === 'float' ? float : kind === 'bool' ? target === 'BOOL' || target === 'U8' : !float;
  if (!ok) throw wErr('E_DTYPE_MISMATCH', `tensor '${name}': cannot write ${dtype} as ${target}`, name);
  return target;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** fp32 bits -> bf16 bits, round to nearest even; NaN stays a quiet NaN. */
function bf16FromFp32Bits(b: number): number {
  if ((b & 0x7fffffff) > 0x7f800000) return (b >>> 16) | 0x0040;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Encodes element values `data` (elements `first`.. of tensor `name`) as `target` bytes. */
function encodeValues(data: TensorData, target: SafetensorsDType, name: string, first: number): Uint8Array {
  const n = data.length;
  const out = new Uint8Array(n * safetensorsDTypeSize(target));
  const o = new DataView(out.buffer);
  if (target === 'F32') {
    if (LITTLE_ENDIAN_HOST && data instanceof Float32Array) {
      out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)); // keeps NaN payloads
    } else {
      for (let i = 0; i < n; i++) o.setFloat32(i * 4, data[i]!, true);
    }
    return out;
  }
  if (target === 'F16') {
    for (let i = 0; i < n; i++) o.setUint16(i * 2, fp32ToFp16Bits(data[i]!), true);
    return out;
  }
  if (target === 'BF16') {
    const f = data instanceof Float32Array ? data : Float32Array.from(data);
    const u = new Uint32Array(f.buffer, f.byteOffset, f.length); // same-array view: native bit patterns
    for (let i = 0; i < n; i++) o.setUint16(i * 2, bf16FromFp32Bits(u[i]!), true);
    return out;
  }
  const [lo, hi] = INT_RANGE[target]!;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (v < lo || v > hi) {
      throw graphError('E_DTYPE_MISMATCH', `tensor '${name}': element ${first + i} is ${v}, outside the ${target} range [${lo}, ${hi}]`, {
        where: name,
        details: { tensor: name, index: first + i },
      });
    }
    switch (target) {
      case 'I8':
        o.setInt8(i, v);
        break;
      case 'U8':
      case 'BOOL':
        o.setUint8(i, v);
        break;
      case 'I32':
        o.setInt32(i * 4, v, true);
        break;
      case 'I64':
        o.setInt32(i * 8, v, true);
        o.setInt32(i * 8 + 4, v < 0 ? -1 : 0, true);
        break;
    }
  }
  return out;
}

/** True when a dtype's IR storage bytes are already the target's bytes. */
function storageMatches(dtype: DType, target: SafetensorsDType): boolean {
  return (
    (dtype === 'fp32' && target === 'F32') ||
    (dtype === 'fp16' && target === 'F16') ||
    (dtype === 'int32' && target === 'I32') ||
    (dtype === 'int8' && target === 'I8') ||
    (dtype === 'uint8' && target === 'U8') ||
    (dtype === 'bool' && target === 'BOOL')
  );
}

function checkedChunks(chunks: Iterable<Uint8Array>, want: number, name: string): Generator<Uint8Array> {
  return (function* () {
    let got = 0;
    for (const c of chunks) {
      got += c.byteLength;
      if (got > want) break;
      yield c;
    }
    if (got !== want) throw wErr('E_WEIGHT_MISMATCH', `weight '${name}' streamed ${got > want ? 'more than' : 'only'} ${got} bytes; its dtype and shape need ${want}`, name);
  })();
}

/**
 * Re-chunks a store's IR storage bytes at element boundaries (8 elements for sub-byte types,
 * so packed bytes split cleanly) and converts each chunk to the target dtype.
 */
function* convertStorageStream(chunks: Iterable<Uint8Array>, dtype: DType, count: number, target: SafetensorsDType, name: string): Generator<Uint8Array> {
  const bits = dtypeInfo(dtype).bits;
  const groupElems = bits >= 8 ? 1 : 8;
  const groupBytes = (groupElems * bits) / 8;
  const storageBytes = Math.ceil((count * bits) / 8);
  let pending = new Uint8Array(0);
  let done = 0;
  let seen = 0;
  const emit = (bytes: Uint8Array, elems: number): Uint8Array => {
    const t = decodeTensor(dtype, [elems], bytes, name);
    const out = encodeValues(t.data, target, name, done);
    done += elems;
    return out;
  };
  for (const c of chunks) {
    seen += c.byteLength;
    if (seen > storageBytes) break;
    const all = new Uint8Array(pending.byteLength + c.byteLength);
    all.set(pending);
    all.set(c, pending.byteLength);
    const groups = Math.floor(all.byteLength / groupBytes);
    const elems = Math.min(groups * groupElems, count - done);
    const used = Math.ceil((elems * bits) / 8);
    if (elems > 0) yield emit(all.subarray(0, used), elems);
    pending = all.slice(used);
  }
  if (seen !== storageBytes) {
    throw wErr('E_WEIGHT_MISMATCH', `weight '${name}' streamed ${seen > storageBytes ? 'more than' : 'only'} ${seen} bytes; ${dtype}${formatShape([count])} needs ${storageBytes}`, name);
  }
  if (done < count) yield emit(pending, count - done);
}

function itemsFromStore(store: WeightStore, opts: WriteSafetensorsOptions): Item[] {
  return (opts.names ?? store.names()).map((name): Item => {
    const src = store.source(name);
    const { dtype, shape } = src;
    const target = targetOf(opts.dtypes, name, dtype);
    const count = numel(shape, name);
    return {
      name,
      dtype,
      shape: [...shape],
      target,
      bytes: count * safetensorsDTypeSize(target),
      data: (chunkBytes) => {
        if (storageMatches(dtype, target)) return checkedChunks(store.stream(name, chunkBytes), count * safetensorsDTypeSize(target), name);
        return convertStorageStream(store.stream(name, chunkBytes), dtype, count, target, name);
      },
    };
  });
}

function itemsFromEntries(entries: TensorEntries, opts: WriteSafetensorsOptions): Item[] {
  const items: Item[] = [];
  for (const entry of entries) {
    const [name, t] = entry;
    if (typeof name !== 'string') throw wErr('E_NAME', `tensor names must be strings, got ${typeof name}`, String(name));
    if (!t || typeof t !== 'object' || typeof t.dtype !== 'string' || !isDType(t.dtype)) {
      throw wErr('E_DTYPE_MISMATCH', `tensor '${name}' is not a tensor with a known dtype`, name);
    }
    checkShape(t.shape, name);
    const count = numel(t.shape, name);
    if (!t.data || t.data.length !== count) {
      throw wErr('E_WEIGHT_MISMATCH', `tensor '${name}' of shape ${formatShape(t.shape)} needs ${count} elements, has ${t.data?.length ?? 0}`, name);
    }
    const target = targetOf(opts.dtypes, name, t.dtype);
    items.push({
      name,
      dtype: t.dtype,
      shape: [...t.shape],
      target,
      bytes: count * safetensorsDTypeSize(target),
      data: () => [encodeValues(t.data, target, name, 0)],
    });
  }
  return items;
}

function collectItems(source: WeightStore | TensorEntries, opts: WriteSafetensorsOptions): Item[] {
  if (opts.names !== undefined && !(source instanceof WeightStore)) {
    throw wErr('E_ATTR', `option 'names' selects weights of a WeightStore; the source is a list of tensors`, 'names');
  }
  const items = source instanceof WeightStore ? itemsFromStore(source, opts) : itemsFromEntries(source, opts);
  const seen = new Set<string>();
  for (const it of items) {
    if (it.name === '__metadata__') throw wErr('E_NAME', `'__metadata__' is reserved and cannot name a tensor`, it.name);
    if (seen.has(it.name)) throw wErr('E_NAME', `tensor '${it.name}' is given twice`, it.name);
    seen.add(it.name);
  }
  return items;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function jsonObject(entries: [string, string][]): string {
  return `{${entries.sort((a, b) => compareNames(a[0], b[0])).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

function checkMetadata(metadata: Readonly<Record<string, string>>): [string, string][] {
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw wErr('E_ATTR', `metadata must be an object of strings`, '__metadata__');
  }
  return Object.keys(metadata).map((k): [string, string] => {
    const v: unknown = metadata[k];
    if (typeof v !== 'string') throw wErr('E_ATTR', `metadata value for key '${k}' must be a string, got ${typeof v}`, '__metadata__');
    return [k, JSON.stringify(v)];
  });
}


function writeItems(path: string, items: readonly Item[], metadata: Readonly<Record<string, string>> | undefined, chunkBytes: number): SafetensorsWriteResult {
  const order = [...items].sort((a, b) => safetensorsDTypeSize(b.target) - safetensorsDTypeSize(a.target) || compareNames(a.name, b.name));
  const tensors: WrittenTensor[] = [];
  const header: [string, string][] = [];
  let pos = 0;
  for (const it of order) {
    const offsets: [number, number] = [pos, pos + it.bytes];
    pos += it.bytes;
    tensors.push({ name: it.name, dtype: it.target, shape: it.shape, dataOffsets: offsets });
    header.push([it.name, `{"data_offsets":[${offsets[0]},${offsets[1]}],"dtype":"${it.target}","shape":[${it.shape.join(',')}]}`]);
  }
  if (metadata !== undefined) header.push(['__metadata__', jsonObject(checkMetadata(metadata))]);
  const json = new TextEncoder().encode(jsonObject(header));
  const n = Math.ceil(json.byteLength / 8) * 8;
  const head = new Uint8Array(8 + n).fill(0x20); // pad with spaces, as the reference writer does
  new DataView(head.buffer).setBigUint64(0, BigInt(n), true);
  head.set(json, 8);
  const bytes = writeFileAtomic(path, (write) => {
    write(head);
    for (const it of order) for (const c of it.data(chunkBytes)) write(c);
  });
  return { path, bytes, headerLength: n, tensors };
}

function chunkOption(opts: WriteSafetensorsOptions): number {
  const c = opts.chunkBytes ?? 1 << 22;
  if (!Number.isFinite(c) || c <= 0) throw wErr('E_ATTR', `chunkBytes must be a positive number, got ${c}`, 'chunkBytes');
  return c;
}

/**
 * Writes tensors, or weights of a store (all, or `opts.names`), to a safetensors file. Store
 * weights are streamed chunk by chunk. Deterministic: same input, same bytes.
 */
export function writeSafetensors(path: string, source: WeightStore | TensorEntries, opts: WriteSafetensorsOptions = {}): SafetensorsWriteResult {
  const chunkBytes = chunkOption(opts);
  return writeItems(path, collectItems(source, opts), opts.metadata, chunkBytes);
}

/** Options of {@link writeShardedSafetensors}. */
export interface WriteShardedOptions extends WriteSafetensorsOptions {
  /** Largest data section of a shard; a tensor larger than this gets a shard of its own. */
  readonly maxShardBytes: number;
}

/** The outcome of writing a sharded checkpoint. */
export interface ShardedWriteResult {
  readonly dir: string;
  readonly indexPath: string;
  readonly shards: readonly SafetensorsWriteResult[];
  /** Sum of the tensors' data bytes (the index's `metadata.total_size`). */
  readonly totalSize: number;
}

/** `model-00001-of-00003.safetensors`, the Hugging Face shard naming. */
export function shardFileName(index: number, count: number): string {
  const pad = (k: number): string => String(k).padStart(5, '0');
  return `model-${pad(index)}-of-${pad(count)}.safetensors`;
}

/**
 * Writes a sharded checkpoint into `dir` (created if needed): shards filled greedily in input
 * order up to `maxShardBytes` of data each, then `model.safetensors.index.json` with
 * `metadata.total_size` and a name-sorted `weight_map`. `opts.metadata` goes into every shard.
 */
export function writeShardedSafetensors(dir: string, source: WeightStore | TensorEntries, opts: WriteShardedOptions): ShardedWriteResult {
  const max = opts.maxShardBytes;
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max <= 0) {
    throw wErr('E_ATTR', `maxShardBytes must be a positive integer, got ${String(max)}`, 'maxShardBytes');
  }
  const chunkBytes = chunkOption(opts);
  const items = collectItems(source, opts);
  const groups: Item[][] = [];
  let size = 0;
  for (const it of items) {
    const cur = groups[groups.length - 1];
    if (cur && cur.length > 0 && size + it.bytes <= max) {
      cur.push(it);
      size += it.bytes;
    } else {
      groups.push([it]);
      size = it.bytes;
    }
  }
  if (groups.length === 0) groups.push([]);
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw ioError(e, 'create the directory', dir);
  }
  const shards: SafetensorsWriteResult[] = [];
  const weightMap: [string, string][] = [];
  let total = 0;
  groups.forEach((g, i) => {
    const file = shardFileName(i + 1, groups.length);
    shards.push(writeItems(nodePath.join(dir, file), g, opts.metadata, chunkBytes));
    for (const it of g) {
      weightMap.push([it.name, file]);
      total += it.bytes;
    }
  });
  weightMap.sort((a, b) => compareNames(a[0], b[0]));
  const lines = weightMap.map(([k, v], i) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}${i < weightMap.length - 1 ? ',' : ''}`);
  const text = `{\n  "metadata": {\n    "total_size": ${total}\n  },\n  "weight_map": {${lines.length ? `\n${lines.join('\n')}\n  ` : ''}}\n}\n`;
  const indexPath = nodePath.join(dir, SAFETENSORS_INDEX_FILE);
  writeFileAtomic(indexPath, text);
  return { dir, indexPath, shards, totalSize: total };
}
