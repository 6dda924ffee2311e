import type { RankTestOptions } from './mann-whitney.js';
import { resolveMethod } from './mann-whitney.js';
import { midRanks } from './ranks.js';
import { assertUsableSamples } from './sample-checks.js';
import type { UMethod } from './u-distribution.js';
import { lowerQuantile, lowerTail, uNullDistribution } from './u-distribution.js';

export interface ShiftOptions extends RankTestOptions {
  /** Two-sided confidence level of the interval; default 0.95. */
  readonly confidence?: number;
}

export interface ShiftEstimate {
  /** Median of all pairwise differences xᵢ − yⱼ. */
  readonly estimate: number;
  readonly lower: number;
  readonly upper: number;
  /**
   * Coverage the interval really has. U is discrete, so it is at least the level asked for, except
   * when the samples are too small to reach it at all; then the interval is the widest there is.
   */
  readonly achievedConfidence: number;
  readonly method: UMethod;
}

/**
 * Hodges–Lehmann estimate of the location shift x − y with its distribution-free confidence interval
 * (Moses 1953; Bauer 1972): the k-th smallest and k-th largest of the m·n pairwise differences, k
 * taken from the lower α/2 quantile of U's null law, as R's wilcox.test(conf.int = TRUE) does.
 */
export function hodgesLehmann(x: readonly number[], y: readonly number[], options: ShiftOptions = {}): ShiftEstimate {
  assertUsableSamples(x, y);
  const { confidence = 0.95, continuity = true } = options;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must lie in (0, 1), got ${confidence}`);
  const m = x.length;
  const n = y.length;
  const differences = new Float64Array(m * n);
  let next = 0;
  for (const xi of x) for (const yj of y) differences[next++] = xi - yj;
  differences.sort();

  const { tieTerm } = midRanks([...x, ...y]);
  const method = resolveMethod(options.method, m, n, tieTerm);
  const law = uNullDistribution(m, n, method, tieTerm, continuity);
  // The shift d is outside [D(k), D(mn+1−k)] exactly when U computed on (x − d, y) is at most k − 1
  // or at least mn + 1 − k, so the coverage is 1 − 2·P(U ≤ k − 1).
  const k = Math.max(1, lowerQuantile(law, (1 - confidence) / 2));
  return {
    estimate: medianOfSorted(differences),
    lower: differences[k - 1] as number,
    upper: differences[m * n - k] as number,
    achievedConfidence: 1 - 2 * lowerTail(law, k - 1),
    method,
  };
}

export function medianOfSorted(sorted: ArrayLike<number>): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
