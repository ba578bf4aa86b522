/**
 * The error function in double precision (absolute error below 1e-12), used by `erf` and the
 * exact `gelu`. JS has no Math.erf.
 * @module
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const ONE_OVER_SQRT_PI = 1 / Math.sqrt(Math.PI);

/**
 * erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt.
 *
 * Small |x| (< 2.5) uses the series erf(x) = 2/sqrt(pi) exp(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1)),
 * whose terms are all positive (no cancellation, unlike the Taylor series). Larger |x| uses the
 * Laplace continued fraction of erfc, erfc(x) = exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))),
 * evaluated bottom-up at a fixed depth. Beyond 6, erfc(x) < 3e-17 so erf is +-1 in double.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  let r: number;
  if (ax < 2.5) {
    const x2 = 2 * ax * ax;
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= x2 / (2 * n + 1);
      sum += term;
      if (term <= sum * 1e-17) break;
    }
    r = TWO_OVER_SQRT_PI * Math.exp(-ax * ax) * sum;
  } else if (ax < 6) {
    let f = ax;
    for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
    r = 1 - (Math.exp(-ax * ax) * ONE_OVER_SQRT_PI) / f;
  } else {
    r = 1;
  }
  // x === 0 keeps the sign of a negative zero, as erf(-0) = -0.
  return x < 0 ? -r : x === 0 ? x : r;
}
