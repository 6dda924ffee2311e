// Standard normal distribution, accurate to near double precision in both tails: a rank test's
// p-values are reported and compared far out in the tail (p ≈ 1e-10 is common with 300 samples a
// side), where the usual 7-digit polynomial approximations lose all relative accuracy.

const SQRT_2PI = Math.sqrt(2 * Math.PI);
// Below this |z| the Taylor series converges fast and cancellation in 0.5 − φ·S costs < 3 digits;
// above it the continued fraction converges in well under CONTINUED_FRACTION_TERMS terms.
const SERIES_LIMIT = 3;
const CONTINUED_FRACTION_TERMS = 120;

function normalDensity(z: number): number {
  return Math.exp(-0.5 * z * z) / SQRT_2PI;
}

/** P(Z > z). */
export function normalUpperTail(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  if (z < 0) return 1 - normalUpperTail(-z);
  if (z < SERIES_LIMIT) return 0.5 - normalDensity(z) * taylorSum(z);
  return normalDensity(z) * millsRatio(z);
}

/** P(Z ≤ z). */
export function normalCdf(z: number): number {
  return normalUpperTail(-z);
}

/** The z with P(Z ≤ z) = p, for 0 < p < 1. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  if (p > 0.5) return -normalQuantile(1 - p);
  // Newton on log Φ, which is concave: started left of the root, the iterates climb to it
  // monotonically and never overshoot. −√(−2 ln p) is left of the root because Φ(−t) ≤ e^(−t²/2)/2.
  const target = Math.log(p);
  let z = -Math.sqrt(-2 * Math.log(p));
  for (let i = 0; i < 100; i++) {
    const cdf = normalCdf(z);
    const step = ((Math.log(cdf) - target) * cdf) / normalDensity(z);
    z -= step;
    if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(z))) break;
  }
  return z;
}

// Σ z^(2k+1) / (2k+1)!!, so that Φ(z) = 1/2 + φ(z)·Σ (Marsaglia 2004, "Evaluating the normal distribution").
function taylorSum(z: number): number {
  const z2 = z * z;
  let term = z;
  let sum = z;
  for (let k = 1; Math.abs(term) > 1e-17 * Math.abs(sum); k++) {
    term *= z2 / (2 * k + 1);
    sum += term;
  }
  return sum;
}

// Q(z)/φ(z) = 1/(z + 1/(z + 2/(z + 3/(z + …)))) (Laplace's continued fraction), evaluated backwards.
function millsRatio(z: number): number {
  let tail = z;
  for (let k = CONTINUED_FRACTION_TERMS; k >= 1; k--) tail = z + k / tail;
  return 1 / tail;
}
