/**
 * Packs small integers into the storage form of sub-byte dtypes (and 8-bit types): element i
 * occupies bits [i*b, i*b+b) counted LSB-first across consecutive bytes, two's complement for
 * signed values. Same layout as `encodeTensor` of @fastvlm/graph, but from byte arrays and
 * fast enough for weights of hundreds of millions of elements.
 * @module
 */

/**
 * Packs `values` (one per byte, the low `bits` bits used) into `ceil(n * bits / 8)` bytes. For
 * 8 bits the result is a view of the input's bytes (no copy).
 */
export function packBits(values: Uint8Array | Int8Array, bits: number): Uint8Array {
  const n = values.length;
  const u = values instanceof Uint8Array ? values : new Uint8Array(values.buffer, values.byteOffset, n);
  if (bits === 8) return u;
  const out = new Uint8Array(Math.ceil((n * bits) / 8));
  const mask = (1 << bits) - 1;
  if (bits === 4) {
    const full = n >> 1;
    for (let i = 0; i < full; i++) out[i] = (u[2 * i]! & 15) | ((u[2 * i + 1]! & 15) << 4);
    if (n & 1) out[full] = u[n - 1]! & 15;
    return out;
  }
  if (bits === 2) {
    const full = n >> 2;
    for (let i = 0; i < full; i++) {
      const j = 4 * i;
      out[i] = (u[j]! & 3) | ((u[j + 1]! & 3) << 2) | ((u[j + 2]! & 3) << 4) | ((u[j + 3]! & 3) << 6);
    }
    for (let j = full * 4; j < n; j++) out[j >> 2]! |= (u[j]! & 3) << ((j & 3) * 2);
    return out;
  }
  if (bits === 1) {
    for (let j = 0; j < n; j++) out[j >> 3]! |= (u[j]! & 1) << (j & 7);
    return out;
  }
  // 3 and 6 bits: a bit accumulator.
  let acc = 0;
  let have = 0;
  let o = 0;
  for (let j = 0; j < n; j++) {
    acc |= (u[j]! & mask) << have;
    have += bits;
    while (have >= 8) {
      out[o++] = acc & 255;
      acc >>>= 8;
      have -= 8;
    }
  }
  if (have > 0) out[o] = acc & 255;
  return out;
}

/** Yields `bytes` in chunks of at most `chunkBytes`. */
export function* chunked(bytes: Uint8Array, chunkBytes: number): Iterable<Uint8Array> {
  const step = Math.max(1, chunkBytes);
  for (let at = 0; at < bytes.length; at += step) yield bytes.subarray(at, Math.min(bytes.length, at + step));
}
