/**
 * A lazy safetensors reader. Opening a file reads only its header (the 8-byte length and the
 * JSON that follows) and validates all of it; a tensor's bytes are read from disk only when
 * that tensor is read or streamed, and are converted to the IR dtype chunk by chunk.
 *
 * Layout: a little-endian u64 header length N, N bytes of JSON mapping tensor names to
 * `{dtype, shape, data_offsets: [begin, end]}` (offsets relative to the data section that
 * follows the header) plus an optional `__metadata__` string map, then the data section.
 * Sharded checkpoints add `model.safetensors.index.json` with a `weight_map` from tensor name to
 * shard file.
 * @module
 */
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { type DType, dtypeInfo } from '../dtype.js';
import { type FastVlmError, type ErrorDetails, graphError, isFastVlmError } from '../errors.js';
import { type StaticShape, formatShape, MAX_ELEMENTS } from '../shape.js';
import {
  type FloatPolicy,
  type SafetensorsDType,
  SAFETENSORS_DTYPES,
  convertChunk,
  decodeTensor,
  isSafetensorsDType,
  safetensorsDTypeSize,
  safetensorsTargetDType,
} from './decode.js';
import { type WeightSource, WeightStore } from './store.js';

export {
  type FloatPolicy,
  type SafetensorsDType,
  type ConvertSite,
  SAFETENSORS_DTYPES,
  convertChunk,
  decodeTensor,
  isSafetensorsDType,
  safetensorsDTypeSize,
  safetensorsTargetDType,
} from './decode.js';

/** Headers longer than this are rejected before any allocation (the reference reader's limit). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;
/** The index file of a sharded checkpoint directory. */
export const SAFETENSORS_INDEX_FILE = 'model.safetensors.index.json';
/** The file of a single-file checkpoint directory. */
export const SAFETENSORS_SINGLE_FILE = 'model.safetensors';

/** One tensor described by a safetensors header. */
export interface SafetensorsTensorInfo {
  readonly name: string;
  /** The element type stored in the file. */
  readonly dtype: SafetensorsDType;
  readonly shape: StaticShape;
  /** `[begin, end)` relative to the start of the data section, as written in the header. */
  readonly dataOffsets: readonly [number, number];
  /** Absolute byte offset of the tensor in the file. */
  readonly offset: number;
  readonly byteLength: number;
}

function stError(file: string, message: string, tensor?: string, extra: ErrorDetails = {}, cause?: unknown): FastVlmError {
  const where = tensor === undefined ? file : `${file}:${tensor}`;
  const text = tensor === undefined ? `${file}: ${message}` : `${file}: tensor '${tensor}': ${message}`;
  return graphError('E_SAFETENSORS', text, {
    where,
    details: tensor === undefined ? { file, ...extra } : { file, tensor, ...extra },
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** Runs a file-system call, turning its failures into `E_IO` errors naming the file. */
function io<T>(file: string, action: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isFastVlmError(e)) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw graphError('E_IO', `${file}: could not ${action}: ${msg}`, { where: file, details: { file }, cause: e });
  }
}

/** Fills `buf` from `fd` at `position`; a short file is a coded error, never a partial read. */
function readExact(fd: number, buf: Uint8Array, position: number, file: string, what: string, tensor?: string): void {
  let off = 0;
  while (off < buf.byteLength) {
    const n = io(file, `read ${what}`, () => fs.readSync(fd, buf, off, buf.byteLength - off, position + off));
    if (n === 0) {
      throw stError(file, `file ends at byte ${position + off} while reading ${what}, which needs bytes up to ${position + buf.byteLength} (was the file truncated?)`, tensor);
    }
    off += n;
  }
}

function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(o: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined;
}

/** Decodes bytes as strict UTF-8 and parses JSON, with coded errors naming `file`. */
function parseJsonBytes(bytes: Uint8Array, file: string, what: string): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (e) {
    throw stError(file, `${what} is not valid UTF-8`, undefined, {}, e);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw stError(file, `${what} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`, undefined, {}, e);
  }
}

/** Validates one header entry against the data section size. */
function parseEntry(file: string, name: string, raw: unknown, dataSize: number, dataOffset: number): SafetensorsTensorInfo {
  if (!isPlainObject(raw)) throw stError(file, `header entry must be an object with dtype, shape and data_offsets, found ${describeJson(raw)}`, name);
  const dt = own(raw, 'dtype');
  if (dt === undefined) throw stError(file, `header entry is missing 'dtype'`, name);
  if (typeof dt !== 'string') throw stError(file, `'dtype' must be a string, found ${describeJson(dt)}`, name);
  if (!isSafetensorsDType(dt)) {
    throw stError(file, `unsupported dtype '${dt}'; expected one of ${SAFETENSORS_DTYPES.join(', ')}`, name, { dtype: dt });
  }
  const sh = own(raw, 'shape');
  if (sh === undefined) throw stError(file, `header entry is missing 'shape'`, name);
  if (!Array.isArray(sh)) throw stError(file, `'shape' must be an array of non-negative integers, found ${describeJson(sh)}`, name);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < sh.length; i++) {
    const d: unknown = sh[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw stError(file, `shape dimension ${i} is ${describeJson(d)}; expected a non-negative integer`, name);
    }
    shape.push(d);
    count *= d;
  }
  if (count > MAX_ELEMENTS) throw stError(file, `shape ${formatShape(shape)} has more than 2^53 elements`, name);
  const off = own(raw, 'data_offsets');
  if (off === undefined) throw stError(file, `header entry is missing 'data_offsets'`, name);
  if (!Array.isArray(off) || off.length !== 2) {
    throw stError(file, `'data_offsets' must be an array [begin, end] of two integers, found ${describeJson(off)}`, name);
  }
  const [b, e] = off as unknown[];
  if (typeof b !== 'number' || typeof e !== 'number' || !Number.isSafeInteger(b) || !Number.isSafeInteger(e) || b < 0 || e < 0) {
    throw stError(file, `'data_offsets' [${String(b)}, ${String(e)}] must be non-negative integers`, name);
  }
  if (b > e) throw stError(file, `'data_offsets' [${b}, ${e}] has begin > end`, name);
  if (e > dataSize) {
    throw stError(file, `'data_offsets' [${b}, ${e}] run past the end of the ${dataSize}-byte data section`, name);
  }
  const need = count * safetensorsDTypeSize(dt);
  if (need !== e - b) {
    throw stError(file, `dtype ${dt} x shape ${formatShape(shape)} needs ${need} bytes but 'data_offsets' [${b}, ${e}] hold ${e - b}`, name);
  }
  return { name, dtype: dt, shape, dataOffsets: [b, e], offset: dataOffset + b, byteLength: e - b };
}

/** Sorts tensors into file order and rejects overlapping byte ranges (gaps are allowed). */
function sortAndCheckOverlap(file: string, infos: SafetensorsTensorInfo[]): SafetensorsTensorInfo[] {
  const sorted = [...infos].sort(
    (x, y) => x.dataOffsets[0] - y.dataOffsets[0] || x.dataOffsets[1] - y.dataOffsets[1] || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0),
  );
  let last: SafetensorsTensorInfo | undefined; // the non-empty range reaching furthest so far
  for (const t of sorted) {
    if (t.byteLength === 0) continue; // an empty range shares no byte with anything
    if (last && t.dataOffsets[0] < last.dataOffsets[1]) {
      throw stError(
        file,
        `bytes [${t.dataOffsets[0]}, ${t.dataOffsets[1]}) overlap tensor '${last.name}' at [${last.dataOffsets[0]}, ${last.dataOffsets[1]})`,
        t.name,
        { other: last.name },
      );
    }
    if (!last || t.dataOffsets[1] > last.dataOffsets[1]) last = t;
  }
  return sorted;
}

function checkChunkBytes(chunkBytes: number, where: string): void {
  if (typeof chunkBytes !== 'number' || !Number.isFinite(chunkBytes) || chunkBytes <= 0) {
    throw graphError('E_ATTR', `chunkBytes must be a positive number, got ${String(chunkBytes)}`, { where });
  }
}

/**
 * An opened safetensors file: its validated header, and reads of single tensors' byte ranges.
 * Holds no file descriptor: each read opens, reads and closes, so many files can stay open.
 */
export class SafetensorsFile {
  /** Tensors in file order (by data offset). */
  readonly tensors: readonly SafetensorsTensorInfo[];
  private readonly byName: ReadonlyMap<string, SafetensorsTensorInfo>;
  private bytes: number;

  private constructor(
    /** The path the file was opened with. */
    readonly path: string,
    /** File size in bytes when opened. */
    readonly size: number,
    /** N, the header length. */
    readonly headerLength: number,
    /** The `__metadata__` string map (empty when absent). */
    readonly metadata: Readonly<Record<string, string>>,
    tensors: SafetensorsTensorInfo[],
  ) {
    this.tensors = tensors;
    this.byName = new Map(tensors.map((t) => [t.name, t]));
    this.bytes = 8 + headerLength;
  }

  /** Absolute offset of the data section (8 + N). */
  get dataOffset(): number {
    return 8 + this.headerLength;
  }

  /** Bytes read from disk so far (header included): a file is read only where asked. */
  get bytesRead(): number {
    return this.bytes;
  }

  /** Opens `path` and validates its header; see {@link openSafetensors}. */
  static open(path: string): SafetensorsFile {
    const fd = io(path, 'open the file', () => fs.openSync(path, 'r'));
    try {
      const st = io(path, 'stat the file', () => fs.fstatSync(fd));
      if (!st.isFile()) throw graphError('E_IO', `${path}: not a regular file`, { where: path, details: { file: path } });
      const size = st.size;
      if (size < 8) throw stError(path, `file is ${size} bytes, shorter than the 8-byte header length field`, undefined, { size });
      const lenBytes = new Uint8Array(8);
      readExact(fd, lenBytes, 0, path, 'the header length');
      const n64 = new DataView(lenBytes.buffer).getBigUint64(0, true);
      if (n64 > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
        throw stError(path, `header length ${n64} exceeds the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit`);
      }
      const n = Number(n64);
      if (8 + n > size) throw stError(path, `header length ${n} runs past the end of the ${size}-byte file`);
      const headerBytes = new Uint8Array(n);
      readExact(fd, headerBytes, 8, path, 'the header');
      const json = parseJsonBytes(headerBytes, path, 'header');
      if (!isPlainObject(json)) throw stError(path, `header must be a JSON object, found ${describeJson(json)}`);
      const dataSize = size - 8 - n;
      let metadata: Readonly<Record<string, string>> = Object.freeze({});
      const infos: SafetensorsTensorInfo[] = [];
      for (const key of Object.keys(json)) {
        const v = json[key];
        if (key === '__metadata__') {
          if (!isPlainObject(v)) throw stError(path, `'__metadata__' must be an object of strings, found ${describeJson(v)}`);
          const entries: [string, string][] = [];
          for (const mk of Object.keys(v)) {
            const mv = v[mk];
            if (typeof mv !== 'string') throw stError(path, `'__metadata__' value for key '${mk}' must be a string, found ${describeJson(mv)}`);
            entries.push([mk, mv]);
          }
          metadata = Object.freeze(Object.fromEntries(entries));
        } else {
          infos.push(parseEntry(path, key, v, dataSize, 8 + n));
        }
      }
      return new SafetensorsFile(path, size, n, metadata, sortAndCheckOverlap(path, infos));
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Tensor names in file order. */
  names(): string[] {
    return this.tensors.map((t) => t.name);
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** The header entry of `name`; `E_SAFETENSORS` naming the file when absent. */
  info(name: string): SafetensorsTensorInfo {
    const t = this.byName.get(name);
    if (!t) throw stError(this.path, `no such tensor in the file`, name);
    return t;
  }

  /** Reads exactly the byte range of `name` (the raw stored bytes, little-endian). */
  read(name: string): Uint8Array {
    const t = this.info(name);
    return this.readRange(t, t.offset, t.byteLength);
  }

  /** Reads the raw bytes of elements [start, start + count) of `name` (little-endian). */
  readElements(name: string, start: number, count: number): Uint8Array {
    const t = this.info(name);
    const size = safetensorsDTypeSize(t.dtype);
    return this.readRange(t, t.offset + start * size, count * size);
  }

  /**
   * Yields the raw bytes of `name` in chunks of a whole number of elements, about `chunkBytes`
   * each (at least one element), reading each chunk from disk only when it is asked for.
   */
  stream(name: string, chunkBytes: number): Iterable<Uint8Array> {
    const t = this.info(name);
    checkChunkBytes(chunkBytes, `${this.path}:${name}`);
    const size = safetensorsDTypeSize(t.dtype);
    const step = Math.max(1, Math.floor(chunkBytes / size)) * size;
    return this.chunks(t, step);
  }

  private *chunks(t: SafetensorsTensorInfo, step: number): Generator<Uint8Array> {
    for (let pos = 0; pos < t.byteLength; pos += step) {
      yield this.readRange(t, t.offset + pos, Math.min(step, t.byteLength - pos));
    }
  }

  private readRange(t: SafetensorsTensorInfo, position: number, length: number): Uint8Array {
    const buf = new Uint8Array(length);
    if (length === 0) return buf;
    const fd = io(this.path, 'open the file', () => fs.openSync(this.path, 'r'));
    try {
      readExact(fd, buf, position, this.path, `tensor '${t.name}'`, t.name);
    } finally {
      fs.closeSync(fd);
    }
    this.bytes += length;
    return buf;
  }
}

/**
 * Opens a safetensors file, reading and validating only its header: every malformation (short
 * file, oversized or truncated header, bad UTF-8 or JSON, bad entries, unknown dtypes, offsets
 * outside the data section or overlapping, sizes that disagree with dtype and shape) is an
 * `E_SAFETENSORS` error naming the file and, where relevant, the tensor.
 */
export function openSafetensors(path: string): SafetensorsFile {
  return SafetensorsFile.open(path);
}

/** Options of {@link safetensorsSource}. */
export interface SafetensorsSourceOptions {
  /** Float conversion policy; default `'keep'` (see {@link FloatPolicy}). */
  readonly floatDtype?: FloatPolicy;
}

/**
 * A lazy weight for one tensor of a file. Its dtype is the IR target dtype
 * ({@link safetensorsTargetDType}); values are converted while reading, and `stream` converts chunk by
 * chunk so a tensor is never held whole. I64 values outside int32 raise `E_SAFETENSORS` naming
 * the tensor and element index when read.
 */
export function safetensorsSource(file: SafetensorsFile, name: string, opts: SafetensorsSourceOptions = {}): WeightSource {
  const info = file.info(name);
  const dtype = safetensorsTargetDType(info.dtype, opts.floatDtype ?? 'keep');
  const site = { file: file.path, tensor: name };
  const srcSize = safetensorsDTypeSize(info.dtype);
  const dstSize = dtypeInfo(dtype).bits / 8;
  const conv = info.dtype === 'F32' && dtype === 'fp32' ? '' : ` ${info.dtype}->${dtype}`;
  return {
    dtype,
    shape: info.shape,
    read: () => decodeTensor(dtype, info.shape, convertChunk(file.read(name), info.dtype, dtype, 0, site), `${file.path}:${name}`),
    readRange: (start: number, count: number) => decodeTensor(dtype, [count], convertChunk(file.readElements(name, start, count), info.dtype, dtype, start, site), `${file.path}:${name}`),
    stream: (chunkBytes: number): Iterable<Uint8Array> => {
      checkChunkBytes(chunkBytes, `${file.path}:${name}`);
      const elems = Math.max(1, Math.floor(chunkBytes / dstSize));
      return convertStream(file.stream(name, elems * srcSize), info.dtype, dtype, site);
    },
    // Range streams convert the file's bytes directly, so views of checkpoint weights (a 1x1-conv
    // reshape, a slice of the LM head) never round-trip through decoded values.
    streamRange: (start: number, count: number, chunkBytes: number): Iterable<Uint8Array> => {
      const where = `${file.path}:${name}`;
      const total = info.shape.reduce((a, b) => a * b, 1);
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count < 0 || start + count > total) {
        throw graphError('E_ATTR', `element range [${start}, ${start + count}) is outside tensor '${name}' of ${total} elements in ${file.path}`, { where });
      }
      checkChunkBytes(chunkBytes, where);
      const elems = Math.max(1, Math.floor(chunkBytes / dstSize));
      return (function* (): Generator<Uint8Array> {
        for (let i = start; i < start + count; i += elems) {
          yield convertChunk(file.readElements(name, i, Math.min(elems, start + count - i)), info.dtype, dtype, i, site);
        }
      })();
    },
    describe: () => `${file.path}@${info.offset}+${info.byteLength} '${name}'${conv}`,
  };
}

function* convertStream(raw: Iterable<Uint8Array>, src: SafetensorsDType, dst: DType, site: { file: string; tensor: string }): Generator<Uint8Array> {
  const size = safetensorsDTypeSize(src);
  let index = 0;
  for (const chunk of raw) {
    yield convertChunk(chunk, src, dst, index, site);
    index += chunk.byteLength / size;
  }
}

/** Renames applied while loading: strip a prefix (skipping names without it), then add one. */
export interface PrefixRename {
  readonly strip?: string;
  readonly add?: string;
}

/** Options of {@link addSafetensorsToStore} and the loaders. */
export interface SafetensorsLoadOptions extends SafetensorsSourceOptions {
  /**
   * A prefix to strip (a string, e.g. `'model.vision_tower.'`): only tensors whose name starts
   * with it are loaded, under the rest of the name. `{strip, add}` also prepends `add`.
   */
  readonly prefix?: string | PrefixRename;
  /** Loads only tensors for which this returns true; sees the name as stored in the file. */
  readonly filter?: (name: string, info: SafetensorsTensorInfo) => boolean;
}

function storeName(name: string, prefix: string | PrefixRename | undefined, file: string): string | undefined {
  const p: PrefixRename = typeof prefix === 'string' ? { strip: prefix } : prefix ?? {};
  let n = name;
  if (p.strip !== undefined) {
    if (!n.startsWith(p.strip)) return undefined;
    n = n.slice(p.strip.length);
  }
  if (p.add !== undefined) n = p.add + n;
  if (n === '') throw graphError('E_NAME', `${file}: tensor '${name}' would be stored under an empty name after renaming`, { where: `${file}:${name}` });
  return n;
}

/**
 * Registers every tensor of a file or checkpoint (after `filter` and `prefix`) in `store` as a
 * lazy {@link safetensorsSource}. Returns the store names added, in file order.
 */
export function addSafetensorsToStore(store: WeightStore, source: SafetensorsFile | SafetensorsCheckpoint, opts: SafetensorsLoadOptions = {}): string[] {
  const added: string[] = [];
  const entries: [SafetensorsFile, SafetensorsTensorInfo][] =
    source instanceof SafetensorsFile ? source.tensors.map((t) => [source, t]) : source.entries();
  for (const [file, info] of entries) {
    if (opts.filter && !opts.filter(info.name, info)) continue;
    const n = storeName(info.name, opts.prefix, file.path);
    if (n === undefined) continue;
    store.add(n, safetensorsSource(file, info.name, opts));
    added.push(n);
  }
  return added;
}

/**
 * A checkpoint directory: either sharded (`model.safetensors.index.json` plus the shard files it
 * names) or a single `model.safetensors`. Opening it reads every shard's header and checks the
 * index against them.
 */
export class SafetensorsCheckpoint {
  private constructor(
    readonly dir: string,
    /** The index file, when the checkpoint is sharded. */
    readonly indexPath: string | undefined,
    /** The index's `metadata` object (or the single file's `__metadata__`). */
    readonly metadata: Readonly<Record<string, unknown>>,
    /** The files in name order. */
    readonly files: readonly SafetensorsFile[],
    private readonly map: ReadonlyMap<string, SafetensorsFile>,
  ) {}

  /** Opens `dir`; see {@link openSafetensorsDir}. */
  static open(dir: string): SafetensorsCheckpoint {
    const indexPath = nodePath.join(dir, SAFETENSORS_INDEX_FILE);
    const singlePath = nodePath.join(dir, SAFETENSORS_SINGLE_FILE);
    if (io(dir, 'look for the index', () => fs.existsSync(indexPath))) return SafetensorsCheckpoint.openSharded(dir, indexPath);
    if (io(dir, 'look for the model file', () => fs.existsSync(singlePath))) {
      const f = openSafetensors(singlePath);
      return new SafetensorsCheckpoint(dir, undefined, f.metadata, [f], new Map(f.tensors.map((t) => [t.name, f])));
    }
    throw graphError('E_IO', `${dir}: no ${SAFETENSORS_INDEX_FILE} or ${SAFETENSORS_SINGLE_FILE} in the directory`, { where: dir, details: { file: dir } });
  }

  private static openSharded(dir: string, indexPath: string): SafetensorsCheckpoint {
    const bytes = io(indexPath, 'read the index', () => fs.readFileSync(indexPath));
    const json = parseJsonBytes(bytes, indexPath, 'index');
    if (!isPlainObject(json)) throw stError(indexPath, `index must be a JSON object, found ${describeJson(json)}`);
    const meta = own(json, 'metadata');
    if (meta !== undefined && !isPlainObject(meta)) throw stError(indexPath, `'metadata' must be an object, found ${describeJson(meta)}`);
    const wm = own(json, 'weight_map');
    if (wm === undefined) throw stError(indexPath, `index is missing 'weight_map'`);
    if (!isPlainObject(wm)) throw stError(indexPath, `'weight_map' must be an object from tensor name to shard file, found ${describeJson(wm)}`);
    const wanted = new Map<string, string>(); // tensor -> shard file name
    const shardTensors = new Map<string, string[]>(); // shard -> tensors the index puts there
    for (const tensor of Object.keys(wm)) {
      const shard = wm[tensor];
      if (typeof shard !== 'string') throw stError(indexPath, `weight_map value must be a shard file name, found ${describeJson(shard)}`, tensor);
      // Shards live beside the index: a path could escape the checkpoint directory.
      if (shard === '' || shard === '.' || shard === '..' || /[/\\\0]/.test(shard)) {
        throw stError(indexPath, `weight_map names shard '${shard}', which is not a plain file name in the checkpoint directory`, tensor);
      }
      wanted.set(tensor, shard);
      const list = shardTensors.get(shard);
      if (list) list.push(tensor);
      else shardTensors.set(shard, [tensor]);
    }
    const shardNames = [...shardTensors.keys()].sort();
    const files = new Map<string, SafetensorsFile>();
    for (const shard of shardNames) {
      const p = nodePath.join(dir, shard);
      const first = shardTensors.get(shard)![0]!;
      const st = io(p, 'stat the shard', () => fs.statSync(p, { throwIfNoEntry: false }));
      if (!st) {
        throw stError(indexPath, `shard file '${shard}' named by the index is missing (expected at ${p})`, first, { shard });
      }
      files.set(shard, openSafetensors(p));
    }
    const map = new Map<string, SafetensorsFile>();
    for (const [tensor, shard] of wanted) {
      const f = files.get(shard)!;
      if (!f.has(tensor)) throw stError(indexPath, `the index places it in '${shard}', but ${f.path} has no such tensor`, tensor, { shard });
      map.set(tensor, f);
    }
    for (const shard of shardNames) {
      const f = files.get(shard)!;
      for (const t of f.tensors) {
        const home = wanted.get(t.name);
        if (home === undefined) throw stError(f.path, `tensor is in the shard but not in the index's weight_map (${indexPath})`, t.name);
        if (home !== shard) throw stError(f.path, `tensor is present in two shards, '${shard}' and '${home}'`, t.name, { shard: home });
      }
    }
    const ordered = shardNames.map((s) => files.get(s)!);
    return new SafetensorsCheckpoint(dir, indexPath, Object.freeze({ ...(meta ?? {}) }), ordered, map);
  }

  /** Tensor names: by file, in file order within each file. */
  names(): string[] {
    return this.entries().map(([, t]) => t.name);
  }

  has(name: string): boolean {
    return this.map.has(name);
  }

  /** The file holding `name`. */
  file(name: string): SafetensorsFile {
    const f = this.map.get(name);
    if (!f) throw stError(this.indexPath ?? this.dir, `no such tensor in the checkpoint`, name);
    return f;
  }

  /** Every (file, tensor) pair, by file and then in file order. */
  entries(): [SafetensorsFile, SafetensorsTensorInfo][] {
    return this.files.flatMap((f) => f.tensors.map((t): [SafetensorsFile, SafetensorsTensorInfo] => [f, t]));
  }
}

/**
 * Opens a checkpoint directory: `model.safetensors.index.json` when present (missing shards, a
 * tensor the index places in a shard that lacks it, a tensor in two shards or in no index entry
 * are `E_SAFETENSORS` errors naming the file and tensor), else `model.safetensors`.
 */
export function openSafetensorsDir(dir: string): SafetensorsCheckpoint {
  return SafetensorsCheckpoint.open(dir);
}

/** Loads a checkpoint directory into a new store of lazy weights. */
export function loadSafetensorsDir(dir: string, opts: SafetensorsLoadOptions = {}): WeightStore {
  const store = new WeightStore();
  addSafetensorsToStore(store, openSafetensorsDir(dir), opts);
  return store;
}

/** Loads a safetensors file, or a checkpoint directory (see {@link loadSafetensorsDir}), into a new store of lazy weights. */
export function loadSafetensors(path: string, opts: SafetensorsLoadOptions = {}): WeightStore {
  const st = io(path, 'stat the path', () => fs.statSync(path));
  if (st.isDirectory()) return loadSafetensorsDir(path, opts);
  const store = new WeightStore();
  addSafetensorsToStore(store, openSafetensors(path), opts);
  return store;
}
