/**
 * Streaming views of weights: derived constants that only re-interpret a contiguous element
 * range of another constant (a reshape, a row slice) or convert it element by element (a dtype
 * cast). Their sources read and stream straight from the parent source, chunk by chunk, so
 * emitting a large derived weight (a 1x1-conv weight, a part of the split LM head) never
 * materializes the parent, and chains of views (slice of a reshape) cost one range read.
 * @module
 */
import {
  type DType,
  type StaticShape,
  type Tensor,
  type WeightSource,
  dtypeInfo,
  encodeTensor,
  graphError,
  numel,
} from '@fastvlm/graph';

/** What a {@link viewSource} reads from its parent. */
export interface ViewSpec {
  /** The parent's flat element index where the view starts (default 0). */
  readonly offset?: number;
  /**
   * An element-wise conversion applied to each range read from the parent (a cast): element i
   * of the result may depend only on element i of the input, so converting chunk by chunk
   * equals converting the whole. It returns a fresh tensor of the view's dtype.
   */
  readonly convert?: (t: Tensor) => Tensor;
  /** Human-readable origin (see {@link WeightSource.describe}). */
  readonly describe: string;
}

/** Elements per streamed chunk: about `chunkBytes`, a multiple of 8 (whole bytes for sub-byte types). */
function chunkElements(dtype: DType, chunkBytes: number, where: string): number {
  if (typeof chunkBytes !== 'number' || !Number.isFinite(chunkBytes) || chunkBytes <= 0) {
    throw graphError('E_ATTR', `chunkBytes must be a positive number, got ${String(chunkBytes)}`, { where });
  }
  const bits = dtypeInfo(dtype).bits;
  return Math.max(8, Math.floor((chunkBytes * 8) / bits / 8) * 8);
}

function checkRead(t: Tensor, parent: WeightSource, count: number, where: string): Tensor {
  if (t.dtype !== parent.dtype || t.data.length !== count) {
    throw graphError('E_WEIGHT_MISMATCH', `view '${where}': its parent (${parent.describe()}) declared ${parent.dtype} but a read gave ${t.dtype}[${t.data.length}], expected ${count} elements`, { where });
  }
  return t;
}

/**
 * A source holding `dtype[shape]`, the parent's elements [offset, offset + numel(shape)) in
 * row-major order, optionally converted element-wise. `read`, `readRange`, `stream` and
 * `streamRange` go to the parent's range reads, or (unconverted) to its stream or range stream,
 * never holding more than a chunk; a parent without range reads is read once per call. Throws `E_SHAPE_MISMATCH`
 * when the range does not fit in the parent, or when an unconverted view changes the dtype.
 */
export function viewSource(parent: WeightSource, dtype: DType, shape: StaticShape, spec: ViewSpec): WeightSource {
  const where = spec.describe;
  const offset = spec.offset ?? 0;
  const count = numel(shape, where);
  const total = numel(parent.shape, where);
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + count > total) {
    throw graphError('E_SHAPE_MISMATCH', `view '${where}': elements [${offset}, ${offset + count}) do not fit in its parent of ${total} elements (${parent.describe()})`, { where });
  }
  if (!spec.convert && dtype !== parent.dtype) {
    throw graphError('E_SHAPE_MISMATCH', `view '${where}': a view without a conversion keeps its parent's dtype ${parent.dtype}, not ${dtype}`, { where });
  }
  const fixedShape = [...shape];
  const convert = (t: Tensor): Tensor => {
    if (!spec.convert) return t;
    const c = spec.convert(t);
    if (c.dtype !== dtype || c.data.length !== t.data.length) {
      throw graphError('E_WEIGHT_MISMATCH', `view '${where}': its conversion gave ${c.dtype}[${c.data.length}], expected ${dtype}[${t.data.length}]`, { where });
    }
    return c;
  };
  /** Parent elements [offset + start, offset + start + k), fresh (not aliasing the parent). */
  const parentRange = (start: number, k: number, whole?: Tensor): Tensor => {
    const from = offset + start;
    if (whole) return { dtype: whole.dtype, shape: [k], data: whole.data.slice(from, from + k) };
    if (parent.readRange) return checkRead(parent.readRange(from, k), parent, k, where);
    const all = checkRead(parent.read(), parent, total, where);
    return { dtype: all.dtype, shape: [k], data: all.data.slice(from, from + k) };
  };
  const rangeOf = (start: number, k: number, whole?: Tensor): Tensor => {
    const t = convert(parentRange(start, k, whole));
    return { dtype, shape: [k], data: t.data };
  };
  const isWhole = offset === 0 && count === total;
  const bits = dtypeInfo(dtype).bits;
  /** Storage bytes of view elements [start, start + k), chunk by chunk. */
  const streamRange = (start: number, k: number, chunkBytes: number): Iterable<Uint8Array> => {
    const step = chunkElements(dtype, chunkBytes, where);
    // Unconverted, the bytes are the parent's own: its range stream (often cheaper) will do.
    if (!spec.convert && parent.streamRange && ((offset + start) * bits) % 8 === 0) return parent.streamRange(offset + start, k, chunkBytes);
    return (function* (): Generator<Uint8Array> {
      // Without range reads the parent is read once for the whole stream, not per chunk.
      const whole = parent.readRange ? undefined : checkRead(parent.read(), parent, total, where);
      for (let i = start; i < start + k; i += step) yield encodeTensor(rangeOf(i, Math.min(step, start + k - i), whole));
    })();
  };
  return {
    dtype,
    shape: fixedShape,
    read: (): Tensor => ({ dtype, shape: [...fixedShape], data: rangeOf(0, count).data }),
    readRange: (start: number, k: number): Tensor => rangeOf(start, k),
    stream: (chunkBytes: number): Iterable<Uint8Array> => {
      // The same bytes in the same order: the parent's own stream will do.
      if (isWhole && !spec.convert && parent.stream) {
        chunkElements(dtype, chunkBytes, where);
        return parent.stream(chunkBytes);
      }
      return streamRange(0, count, chunkBytes);
    },
    streamRange: (start: number, k: number, chunkBytes: number): Iterable<Uint8Array> => {
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(k) || start < 0 || k < 0 || start + k > count || (start * bits) % 8 !== 0) {
        throw graphError('E_ATTR', `element range [${start}, ${start + k}) is outside view '${where}' of ${count} elements or not byte-aligned`, { where });
      }
      return streamRange(start, k, chunkBytes);
    },
    describe: () => where,
  };
}
