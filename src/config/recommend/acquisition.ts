import { normalCdf } from '../../canary/normal.js';

/**
 * Expected improvement over `incumbent` of a positive objective whose logarithm the surrogate
 * models as N(mean, variance): E[max(0, V − incumbent)] / incumbent with ln V ~ N(mean, sd²), the
 * Black–Scholes call with strike `incumbent`. Relative, so it reads as an expected gain: 0.05 is
 * +5% capacity per dollar over the best configuration so far. Modelling the logarithm fits an
 * objective that is a ratio (capacity ÷ cost) and whose changes compound.
 */
export function expectedRelativeGain(mean: number, variance: number, incumbent: number): number {
  const sd = Math.sqrt(variance);
  const logIncumbent = Math.log(incumbent);
  if (!(sd > 1e-12)) return Math.max(0, Math.exp(mean - logIncumbent) - 1);
  const d = (mean - logIncumbent) / sd;
  return Math.max(0, Math.exp(mean - logIncumbent + variance / 2) * normalCdf(d + sd) - normalCdf(d));
}
