/**
 * Row-major index arithmetic of `chunk-attention`: an attention unit is a flat block of rows,
 * found again in each operand's own leading axes.
 * @module
 */

/** Slice end meaning "to the end of the axis". */
export const TO_END = 2147483647;

/** Product of static dims. */
export const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Row-major multi-index of flat index f over dims. */
export function unflatten(f: number, dims: readonly number[]): number[] {
  const idx = new Array<number>(dims.length);
  for (let i = dims.length - 1; i >= 0; i--) {
    idx[i] = f % dims[i]!;
    f = Math.floor(f / dims[i]!);
  }
  return idx;
}

/** Row-major flat index of the multi-index idx over dims. */
export function flatten(idx: readonly number[], dims: readonly number[]): number {
  return idx.reduce((acc, i, k) => acc * dims[k]! + i, 0);
}

/** The index into `dims` that broadcasting (numpy, right-aligned) reads for `idx` of the result. */
export function broadcastIndex(idx: readonly number[], dims: readonly number[]): number[] {
  const off = idx.length - dims.length;
  return dims.map((d, k) => (d === 1 ? 0 : idx[k + off]!));
}
