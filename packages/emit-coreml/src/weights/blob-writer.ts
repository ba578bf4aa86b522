/**
 * The streaming weight.bin writer. Each blob is appended from an iterable of byte chunks that
 * go straight to the file, so a weight is never held in memory whole. Identical blobs (same
 * type code, size, padding and SHA-256 of the data, computed while streaming) are stored once:
 * the duplicate is written, recognised, and the file truncated back, and the earlier blob's
 * offset is returned.
 * @module
 */
import { createHash } from 'node:crypto';
import { type DType, type WeightStore, type Tensor, encodeTensor, numel } from '@fastvlm/graph';
import { emitError, ioError } from '../errors.js';
import { closeQuietly, type FsLayer, nodeFs, writeFully } from '../fs-layer.js';
import { type MilDType, blobCodeOf, isSubByteMil, milByteSize, milDTypeInfo } from '../mil/dtypes.js';
import { BLOB_HEADER_SIZE, BLOB_RECORD_SIZE, type BlobRecord, align64, encodeHeader, encodeRecord } from './blob-format.js';

/** Options of {@link BlobWriter.create}. */
export interface BlobWriterOptions {
  /** File-system layer (tests inject failures through it). Default: `node:fs`. */
  readonly fs?: FsLayer;
  /** fsync the file in {@link BlobWriter.finish}. Default true. */
  readonly fsync?: boolean;
  /** Store identical blobs once. Default true. */
  readonly dedup?: boolean;
}

/** Options of one append. */
export interface AppendOptions {
  /**
   * Element count. Required for sub-byte types (it fixes `padding_size_in_bits`); for other
   * types, when given, the streamed byte count is checked against it.
   */
  readonly elements?: number;
  /** Name used in error messages (e.g. the weight's name). */
  readonly where?: string;
}

/** What {@link BlobWriter.finish} reports. */
export interface BlobFileSummary {
  readonly path: string;
  /** Number of distinct blobs stored. */
  readonly count: number;
  /** File size in bytes. */
  readonly size: number;
  /** Appends answered by an earlier identical blob. */
  readonly deduplicated: number;
}

interface Pending {
  readonly dtype: MilDType;
  readonly blobCode: number;
  readonly recordOffset: number;
  readonly dataOffset: number;
  readonly prevEnd: number;
  readonly elements: number | undefined;
  readonly where: string;
  readonly hash: ReturnType<typeof createHash>;
  pos: number;
}

type State = 'open' | 'finished' | 'aborted' | 'broken';

/** Appends blobs to a weight.bin file. Create with {@link BlobWriter.create}; end with {@link finish}. */
export class BlobWriter {
  private end = BLOB_HEADER_SIZE;
  private state: State = 'open';
  private busy = false;
  private readonly written: BlobRecord[] = [];
  private readonly byKey = new Map<string, number>();
  private dedupHits = 0;

  private constructor(
    /** Path of the file being written. */
    readonly path: string,
    private readonly fd: number,
    private readonly fsl: FsLayer,
    private readonly fsync: boolean,
    private readonly dedup: boolean,
  ) {}

  /** Creates (or truncates) `path` and writes a header with count 0. */
  static create(path: string, opts: BlobWriterOptions = {}): BlobWriter {
    const fsl = opts.fs ?? nodeFs;
    let fd: number;
    try {
      fd = fsl.openSync(path, 'w');
    } catch (e) {
      throw ioError(e, 'create the weight file', path);
    }
    try {
      writeFully(fsl, fd, encodeHeader(0), 0);
    } catch (e) {
      closeQuietly(fsl, fd);
      throw ioError(e, 'write the weight file header of', path);
    }
    return new BlobWriter(path, fd, fsl, opts.fsync ?? true, opts.dedup ?? true);
  }

  /** Number of distinct blobs written so far. */
  get count(): number {
    return this.written.length;
  }

  /** Current file size in bytes. */
  get size(): number {
    return this.end;
  }

  /** The records of the distinct blobs, in file order. */
  records(): readonly BlobRecord[] {
    return this.written;
  }

  /**
   * Appends one blob whose bytes (storage form: little-endian, fp16 as IEEE bits, sub-byte types
   * packed LSB first) arrive as chunks. Returns the metadata-record offset for
   * `BlobFileValue.offset`. On any failure the file is truncated back, so the writer stays usable.
   */
  append(dtype: MilDType, chunks: Iterable<Uint8Array>, opts: AppendOptions = {}): number {
    const p = this.begin(dtype, opts);
    try {
      for (const c of chunks) this.push(p, c);
    } catch (e) {
      this.rollback(p);
      throw ioError(e, `write blob ${p.where} to`, this.path);
    }
    return this.complete(p);
  }

  /** {@link append} for async sources (e.g. a file stream). */
  async appendAsync(dtype: MilDType, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, opts: AppendOptions = {}): Promise<number> {
    const p = this.begin(dtype, opts);
    try {
      for await (const c of chunks) this.push(p, c);
    } catch (e) {
      this.rollback(p);
      throw ioError(e, `write blob ${p.where} to`, this.path);
    }
    return this.complete(p);
  }

  /** Appends one blob held in memory. */
  appendBytes(dtype: MilDType, bytes: Uint8Array, opts: AppendOptions = {}): number {
    return this.append(dtype, [bytes], opts);
  }

  /** Appends a @fastvlm/graph tensor in its storage encoding. */
  appendTensor(t: Tensor, opts: Omit<AppendOptions, 'elements'> = {}): number {
    return this.append(t.dtype, [encodeTensor(t)], { ...opts, elements: t.data.length });
  }

  /** Streams a weight of a {@link WeightStore} into the file, chunk by chunk. */
  appendWeight(store: WeightStore, name: string, chunkBytes = 1 << 22): number {
    const src = store.source(name);
    const dtype: DType = src.dtype;
    return this.append(dtype, store.stream(name, chunkBytes), { elements: numel(src.shape, name), where: name });
  }

  /** Writes the final blob count into the header, fsyncs and closes the file. */
  finish(): BlobFileSummary {
    this.checkOpen('finish');
    try {
      writeFully(this.fsl, this.fd, encodeHeader(this.written.length), 0);
      if (this.fsync) this.fsl.fsyncSync(this.fd);
    } catch (e) {
      closeQuietly(this.fsl, this.fd);
      this.state = 'aborted';
      throw ioError(e, 'finish the weight file', this.path);
    }
    this.state = 'finished';
    try {
      this.fsl.closeSync(this.fd);
    } catch (e) {
      throw ioError(e, 'close the weight file', this.path);
    }
    return { path: this.path, count: this.written.length, size: this.end, deduplicated: this.dedupHits };
  }

  /** Closes the file without finishing it (the caller deletes it). Safe to call twice. */
  abort(): void {
    if (this.state === 'open' || this.state === 'broken') closeQuietly(this.fsl, this.fd);
    if (this.state !== 'finished') this.state = 'aborted';
  }

  private checkOpen(what: string): void {
    if (this.state !== 'open') {
      throw emitError('E_STATE', `cannot ${what}: the weight writer for '${this.path}' is ${this.state}`, { where: this.path });
    }
    if (this.busy) {
      throw emitError('E_STATE', `cannot ${what}: another blob is still being appended to '${this.path}' (appends must not overlap)`, { where: this.path });
    }
  }

  private begin(dtype: MilDType, opts: AppendOptions): Pending {
    this.checkOpen('append');
    const where = opts.where ?? `#${this.written.length + this.dedupHits}`;
    const blobCode = blobCodeOf(milDTypeInfo(dtype).name, where);
    const el = opts.elements;
    if (el !== undefined && (!Number.isSafeInteger(el) || el < 0)) {
      throw emitError('E_BLOB_SIZE', `blob ${where}: element count must be a non-negative integer, got ${el}`, { where });
    }
    if (el === undefined && isSubByteMil(dtype)) {
      throw emitError('E_BLOB_SIZE', `blob ${where}: a ${dtype} blob needs its element count (opts.elements) to set the padding bits`, { where });
    }
    const recordOffset = align64(this.end);
    const dataOffset = recordOffset + BLOB_RECORD_SIZE;
    const p: Pending = { dtype, blobCode, recordOffset, dataOffset, prevEnd: this.end, elements: el, where, hash: createHash('sha256'), pos: dataOffset };
    this.busy = true;
    try {
      // Zero gap up to the record, and a zero placeholder record filled in by complete().
      writeFully(this.fsl, this.fd, new Uint8Array(dataOffset - this.end), this.end);
    } catch (e) {
      this.rollback(p);
      throw ioError(e, `write blob ${where} to`, this.path);
    }
    return p;
  }

  private push(p: Pending, chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) {
      throw emitError('E_VALUE', `blob ${p.where}: chunks must be Uint8Array, got ${chunk === null ? 'null' : typeof chunk}`, { where: p.where });
    }
    if (chunk.length === 0) return;
    writeFully(this.fsl, this.fd, chunk, p.pos);
    p.hash.update(chunk);
    p.pos += chunk.length;
  }

  private rollback(p: Pending): void {
    this.busy = false;
    try {
      this.fsl.ftruncateSync(this.fd, p.prevEnd);
    } catch {
      // The file now has bytes we cannot account for: refuse further use.
      this.state = 'broken';
    }
  }

  private complete(p: Pending): number {
    const size = p.pos - p.dataOffset;
    const bits = milDTypeInfo(p.dtype).bits;
    let elements: number;
    if (p.elements !== undefined) {
      elements = p.elements;
      const want = milByteSize(p.dtype, elements);
      if (size !== want) {
        this.rollback(p);
        throw emitError('E_BLOB_SIZE', `blob ${p.where}: ${elements} ${p.dtype} elements need ${want} bytes, the chunks held ${size}`, { where: p.where, details: { expected: want, found: size } });
      }
    } else {
      const unit = bits / 8;
      if (size % unit !== 0) {
        this.rollback(p);
        throw emitError('E_BLOB_SIZE', `blob ${p.where}: ${size} bytes is not a whole number of ${p.dtype} elements (${unit} bytes each)`, { where: p.where });
      }
      elements = size / unit;
    }
    const paddingBits = isSubByteMil(p.dtype) ? size * 8 - elements * bits : 0;
    const key = `${p.blobCode}:${size}:${paddingBits}:${p.hash.digest('hex')}`;
    const earlier = this.dedup ? this.byKey.get(key) : undefined;
    if (earlier !== undefined) {
      this.rollback(p);
      if (this.state === 'broken') throw emitError('E_IO', `could not truncate '${this.path}' after a duplicate blob ${p.where}`, { where: this.path });
      this.dedupHits++;
      return earlier;
    }
    try {
      writeFully(this.fsl, this.fd, encodeRecord(p.blobCode, size, p.dataOffset, paddingBits), p.recordOffset);
    } catch (e) {
      this.rollback(p);
      throw ioError(e, `write the record of blob ${p.where} to`, this.path);
    }
    this.busy = false;
    this.end = p.pos;
    this.written.push({ offset: p.recordOffset, dataOffset: p.dataOffset, dtype: p.dtype, blobCode: p.blobCode, sizeInBytes: size, paddingBits, elements });
    this.byKey.set(key, p.recordOffset);
    return p.recordOffset;
  }
}
