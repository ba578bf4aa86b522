/**
 * int32 `div` (truncation toward zero) as MIL ops whose integer semantics coremltools defines
 * and uses on int32 itself (`floor_div`, `mod`, comparisons, logical ops, `cast`, `add`):
 * Core ML does not document `real_div` on int32, and coremltools never emits it on integers.
 *
 * ```
 * q   = floor_div(x, y)              floor(x / y)
 * r   = mod(x, y)                    0 exactly when y divides x
 * nz  = not_equal(r, 0)
 * sd  = logical_xor(less(x, 0), less(y, 0))
 * out = add(q, cast(logical_and(nz, sd), "int32"))
 * ```
 *
 * trunc(x / y) = floor(x / y) + 1 when the division is inexact and x, y have opposite signs.
 * `mod` rather than `x - q * y`: q * y overflows int32 (x = -2^31, y = 3 gives -2^31 - 1), and
 * only `r != 0` is used, the same under either sign convention of a remainder. No intermediate
 * overflows; only -2^31 / -1 (2^31, not an int32) is undefined, as in every int32 division.
 * The lifter (`lift-patterns.ts`) folds exactly this dataflow back into one IR `div`.
 * @module
 */
import type { TensorType } from '@fastvlm/graph';
import type { LoweringContext, MilVal } from '../context.js';

/** Emits the composition for `out = x / y` on int32 (see the module doc). */
export function lowerIntDiv(cx: LoweringContext): void {
  const x = cx.input('x');
  const y = cx.input('y');
  const out = cx.out();
  const mask = (v: MilVal): TensorType => ({ dtype: 'bool', shape: v.type.shape });
  const wide = out.type;
  const q = cx.emit1('floor_div', { x, y }, cx.temp('floor', wide));
  const r = cx.emit1('mod', { x, y }, cx.temp('rem', wide));
  const zero = cx.scalar('zero', 'int32', 0);
  const nz = cx.emit1('not_equal', { x: r, y: zero }, cx.temp('inexact', mask(r)));
  const xn = cx.emit1('less', { x, y: zero }, cx.temp('x_neg', mask(x)));
  const yn = cx.emit1('less', { x: y, y: zero }, cx.temp('y_neg', mask(y)));
  const sd = cx.emit1('logical_xor', { x: xn, y: yn }, cx.temp('signs_differ', { dtype: 'bool', shape: wide.shape }));
  const fix = cx.emit1('logical_and', { x: nz, y: sd }, cx.temp('round_up', { dtype: 'bool', shape: wide.shape }));
  const inc = cx.emit1('cast', { x: fix, dtype: cx.str('dtype', 'int32') }, cx.temp('inc', wide));
  cx.emit1('add', { x: q, y: inc }, out);
}
