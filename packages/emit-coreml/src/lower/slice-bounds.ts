/**
 * Slice bounds that mean "to the end" and "to the start" in the IR's Python-style `slice`
 * (the IR's documented values: int32 max with a positive stride, int32 min with a negative one).
 * @module
 */

/** As `end` with a positive stride (or `begin` with a negative one): past the last element. */
export const SLICE_TO_END = 2147483647;
/** As `end` with a negative stride: before the first element. */
export const SLICE_TO_START = -2147483648;
