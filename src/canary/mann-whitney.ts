import { midRanks } from './ranks.js';
import { assertUsableSamples } from './sample-checks.js';
import type { UMethod } from './u-distribution.js';
import { defaultUMethod, lowerTail, uNullDistribution, upperTail } from './u-distribution.js';

/** Which shift of x relative to y the test looks for: 'greater' means x tends to exceed y. */
export type Alternative = 'two-sided' | 'greater' | 'less';

export interface RankTestOptions {
  /** 'exact' needs samples without ties; default: exact below 50 a side without ties, else normal. */
  readonly method?: UMethod;
  /** Continuity correction of the normal approximation (R's `correct`); default true. */
  readonly continuity?: boolean;
}

export interface MannWhitneyOptions extends RankTestOptions {
  readonly alternative?: Alternative;
}

export interface MannWhitneyResult {
  /** Pairs (xᵢ, yⱼ) with xᵢ > yⱼ, ties counting ½: R's W. */
  readonly u: number;
  readonly pValue: number;
  readonly alternative: Alternative;
  readonly method: UMethod;
}

/** Two-sample Mann–Whitney U (Wilcoxon rank-sum) test with mid-ranks for ties, as R's wilcox.test. */
export function mannWhitney(
  x: readonly number[],
  y: readonly number[],
  options: MannWhitneyOptions = {},
): MannWhitneyResult {
  assertUsableSamples(x, y);
  const { alternative = 'two-sided', continuity = true } = options;
  const m = x.length;
  const n = y.length;
  const { ranks, tieTerm } = midRanks([...x, ...y]);
  let rankSumX = 0;
  for (let i = 0; i < m; i++) rankSumX += ranks[i] as number;
  const u = rankSumX - (m * (m + 1)) / 2;
  const method = resolveMethod(options.method, m, n, tieTerm);
  const law = uNullDistribution(m, n, method, tieTerm, continuity);
  const pValue =
    alternative === 'greater'
      ? upperTail(law, u)
      : alternative === 'less'
        ? lowerTail(law, u)
        : Math.min(1, 2 * (u > (m * n) / 2 ? upperTail(law, u) : lowerTail(law, u)));
  return { u, pValue, alternative, method };
}

export function resolveMethod(requested: UMethod | undefined, m: number, n: number, tieTerm: number): UMethod {
  if (requested === 'exact' && tieTerm > 0) throw new RangeError('the exact U distribution does not hold with ties');
  return requested ?? defaultUMethod(m, n, tieTerm > 0);
}
