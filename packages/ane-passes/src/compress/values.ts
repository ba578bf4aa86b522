/**
 * Weight values as the compression kernels see them: fp16 weights as their raw IEEE bits
 * (a Uint16Array, read straight from the source's encoded stream, so histograms and tables
 * index by bit pattern), fp32 weights as a Float32Array. Non-finite values are refused with a
 * coded error naming the tensor.
 * @module
 */
import { type Tensor, type WeightSource, encodeFp16, fp16BitsToFp32, formatShape } from '@fastvlm/graph';
import { compressError } from './errors.js';

/** A float weight ready for compression. */
export type WeightValues =
  | { readonly dtype: 'fp16'; readonly shape: readonly number[]; readonly bits: Uint16Array }
  | { readonly dtype: 'fp32'; readonly shape: readonly number[]; readonly values: Float32Array };

let fp16Table: Float32Array | undefined;

/** The fp32 value of every fp16 bit pattern (NaN for NaN patterns). */
export function fp16Values(): Float32Array {
  if (!fp16Table) {
    fp16Table = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) fp16Table[b] = fp16BitsToFp32(b);
  }
  return fp16Table;
}

/** Number of elements of a static shape. */
export function count(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Chunks asked of a weight stream: small enough to be copied while still in cache. */
const STREAM_CHUNK = 1 << 20;

/** Concatenates a source's encoded stream (little-endian fp16 bits) into one Uint16Array over `buf`. */
function streamFp16(src: WeightSource, n: number, name: string, buf: ArrayBufferLike): Uint16Array {
  const out = new Uint16Array(buf, 0, n);
  const bytes = new Uint8Array(buf, 0, 2 * n);
  let at = 0;
  for (const chunk of src.stream!(STREAM_CHUNK)) {
    if (at + chunk.length > bytes.length) break;
    bytes.set(chunk, at);
    at += chunk.length;
  }
  if (at !== bytes.length) {
    throw compressError('E_COMPRESS_DTYPE', `weight '${name}' streamed ${at} bytes; fp16${formatShape(src.shape)} needs ${bytes.length}`, { where: name });
  }
  return out;
}

/**
 * Reads weight `name` from its source. fp16 weights come as bits (from the source's stream
 * when it has one, else encoded from its tensor); fp32 as values. With `shared`, the values
 * live in a SharedArrayBuffer (for worker threads): `buffer(bytes)`'s when given (a pooled
 * buffer of at least that size, whose first bytes the values then view). Unless `check` is
 * false, throws `E_COMPRESS_NONFINITE` (naming the tensor and the first bad element) for NaN
 * or infinity; `E_COMPRESS_DTYPE` for other dtypes.
 */
export function readWeightValues(src: WeightSource, name: string, opts: { shared?: boolean; check?: boolean; buffer?: (bytes: number) => SharedArrayBuffer } = {}): WeightValues {
  const shape = [...src.shape];
  const n = count(shape);
  const shared = opts.shared ?? false;
  const sharedBuffer = opts.buffer ?? ((bytes: number): SharedArrayBuffer => new SharedArrayBuffer(bytes));
  let w: WeightValues;
  if (src.dtype === 'fp16') {
    let bits: Uint16Array;
    if (src.stream) bits = streamFp16(src, n, name, shared ? sharedBuffer(2 * n) : new ArrayBuffer(2 * n));
    else {
      const enc = encodeFp16(src.read().data);
      bits = shared ? new Uint16Array(sharedBuffer(2 * n), 0, n) : enc;
      if (shared) bits.set(enc);
    }
    w = { dtype: 'fp16', shape, bits };
  } else if (src.dtype === 'fp32') {
    const t: Tensor = src.read();
    let values = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    if (shared) {
      const copy = new Float32Array(sharedBuffer(4 * n), 0, n);
      copy.set(values);
      values = copy;
    }
    w = { dtype: 'fp32', shape, values };
  } else {
    throw compressError('E_COMPRESS_DTYPE', `weight '${name}' is ${src.dtype}${formatShape(shape)}; only fp16 and fp32 weights can be compressed`, { where: name });
  }
  if (opts.check ?? true) checkFinite(w, name);
  return w;
}

/** Throws `E_COMPRESS_NONFINITE` naming the tensor and the first NaN or infinite element. */
export function checkFinite(w: WeightValues, name: string): void {
  if (w.dtype === 'fp16') {
    const bits = w.bits;
    for (let i = 0; i < bits.length; i++) if ((bits[i]! & 0x7c00) === 0x7c00) throw nonFinite(name, w.shape, i, fp16BitsToFp32(bits[i]!));
  } else {
    const v = w.values;
    for (let i = 0; i < v.length; i++) if (v[i]! - v[i]! !== 0) throw nonFinite(name, w.shape, i, v[i]!);
  }
}

/** Wraps already-read values (tests, workers). */
export function weightValuesOf(t: Tensor, name = 'tensor'): WeightValues {
  if (t.dtype === 'fp16') {
    const bits = encodeFp16(t.data);
    for (let i = 0; i < bits.length; i++) if ((bits[i]! & 0x7c00) === 0x7c00) throw nonFinite(name, t.shape, i, t.data[i]!);
    return { dtype: 'fp16', shape: [...t.shape], bits };
  }
  if (t.dtype === 'fp32') {
    const values = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
    for (let i = 0; i < values.length; i++) if (values[i]! - values[i]! !== 0) throw nonFinite(name, t.shape, i, values[i]!);
    return { dtype: 'fp32', shape: [...t.shape], values };
  }
  throw compressError('E_COMPRESS_DTYPE', `weight '${name}' is ${t.dtype}${formatShape(t.shape)}; only fp16 and fp32 weights can be compressed`, { where: name });
}

function nonFinite(name: string, shape: readonly number[], i: number, v: number): Error {
  return compressError('E_COMPRESS_NONFINITE', `weight '${name}' ${formatShape(shape)} holds ${v} at element ${i}; compression needs finite values`, {
    where: name,
    details: { tensor: name, element: i, value: String(v) },
  });
}

/** The value of element i as a JS number. */
export function valueAt(w: WeightValues, i: number): number {
  return w.dtype === 'fp16' ? fp16Values()[w.bits[i]!]! : w.values[i]!;
}

/**
 * Splits a shape around `axis`: `outer` (product of the dims before), `dim`, `inner` (product
 * of the dims after), so element (o, c, i) sits at `(o * dim + c) * inner + i`.
 */
export function splitAxis(shape: readonly number[], axis: number): { outer: number; dim: number; inner: number } {
  let outer = 1;
  let inner = 1;
  for (let k = 0; k < axis; k++) outer *= shape[k]!;
  for (let k = axis + 1; k < shape.length; k++) inner *= shape[k]!;
  return { outer, dim: shape[axis]!, inner };
}
