/**
 * Renders any value for an error message without ever throwing (user input may be a cyclic
 * object, a BigInt or an object with a broken `toString`).
 * @module
 */

/** A short, safe description of `x` for messages. */
export function show(x: unknown): string {
  if (typeof x === 'string') return JSON.stringify(x);
  if (typeof x === 'number' || typeof x === 'boolean' || x === undefined || x === null) return String(x);
  if (typeof x === 'bigint') return `${x.toString()}n`;
  if (typeof x === 'function') return 'a function';
  if (typeof x === 'symbol') return 'a symbol';
  try {
    const s = JSON.stringify(x);
    if (typeof s === 'string') return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    // fall through: cyclic or otherwise unserializable
  }
  return Object.prototype.toString.call(x);
}
