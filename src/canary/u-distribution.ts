import { normalCdf, normalQuantile } from './normal.js';

// Null distribution of the Mann–Whitney U statistic (the number of pairs with x > y, ties counting
// one half) for samples of sizes m and n, shared by the test's p-values and the Hodges–Lehmann
// interval so that both always agree on which U values are "extreme".

export type UMethod = 'exact' | 'normal';

export type UNullDistribution =
  | { readonly method: 'exact'; readonly m: number; readonly n: number; readonly cdf: Float64Array }
  | {
      readonly method: 'normal';
      readonly m: number;
      readonly n: number;
      readonly sigma: number;
      readonly continuity: boolean;
    };

/** R's wilcox.test rule: exact below 50 a side, and only without ties, which break the exact law. */
const EXACT_SIZE_LIMIT = 50;

export function defaultUMethod(m: number, n: number, hasTies: boolean): UMethod {
  return !hasTies && m < EXACT_SIZE_LIMIT && n < EXACT_SIZE_LIMIT ? 'exact' : 'normal';
}

export function uNullDistribution(
  m: number,
  n: number,
  method: UMethod,
  tieTerm: number,
  continuity: boolean,
): UNullDistribution {
  if (method === 'exact') return { method, m, n, cdf: cachedExactCdf(m, n) };
  const size = m + n;
  const variance = ((m * n) / 12) * (size + 1 - tieTerm / (size * (size - 1)));
  return { method, m, n, sigma: Math.sqrt(Math.max(0, variance)), continuity };
}

/** P(U ≤ u). */
export function lowerTail(d: UNullDistribution, u: number): number {
  if (d.method === 'exact') {
    if (u < 0) return 0;
    return d.cdf[Math.min(Math.floor(u), d.m * d.n)] as number;
  }
  const mean = (d.m * d.n) / 2;
  if (d.sigma === 0) return u >= mean ? 1 : 0;
  return normalCdf((u + (d.continuity ? 0.5 : 0) - mean) / d.sigma);
}

/** P(U ≥ u). */
export function upperTail(d: UNullDistribution, u: number): number {
  // U is symmetric about mn/2, and summing the short tail keeps small p-values exact.
  return lowerTail(d, d.m * d.n - u);
}

/** The smallest whole q ≥ 0 with P(U ≤ q) ≥ p: R's qwilcox for the exact law. */
export function lowerQuantile(d: UNullDistribution, p: number): number {
  if (d.method === 'exact') {
    const q = d.cdf.findIndex((c) => c >= p);
    return q < 0 ? d.m * d.n : q;
  }
  const mean = (d.m * d.n) / 2;
  const q = Math.ceil(mean - (d.continuity ? 0.5 : 0) + d.sigma * normalQuantile(p));
  return Math.min(Math.max(q, 0), d.m * d.n);
}

// A judge run asks for the same few sizes over and over (every metric, test and interval of a bake
// has the same sample sizes) and the table costs ~m²n²/4 additions, so recent tables are kept.
// They are never handed out for writing.
const EXACT_CACHE_SIZE = 8;
const exactCache = new Map<string, Float64Array>();

function cachedExactCdf(m: number, n: number): Float64Array {
  const key = `${m},${n}`;
  let cdf = exactCache.get(key);
  if (cdf === undefined) {
    cdf = exactCdf(m, n);
    if (exactCache.size >= EXACT_CACHE_SIZE) exactCache.delete(exactCache.keys().next().value as string);
    exactCache.set(key, cdf);
  }
  return cdf;
}

// Condition on which sample holds the largest observation: an x there beats all j y's (adding j
// to U) with probability i/(i+j). Mixing probabilities rather than counting arrangements keeps
// every number in [0, 1] with no cancellation; the cost is about m²n²/4 additions.
function exactCdf(m: number, n: number): Float64Array {
  let previous: Float64Array[] = [];
  for (let i = 0; i <= m; i++) {
    const current: Float64Array[] = [];
    for (let j = 0; j <= n; j++) {
      const pmf = new Float64Array(i * j + 1);
      if (i === 0 || j === 0) pmf[0] = 1;
      else {
        const fromX = previous[j] as Float64Array;
        const fromY = current[j - 1] as Float64Array;
        const px = i / (i + j);
        for (let u = 0; u < fromX.length; u++) pmf[u + j] = px * (fromX[u] as number);
        for (let u = 0; u < fromY.length; u++) pmf[u] = (pmf[u] as number) + (1 - px) * (fromY[u] as number);
      }
      current.push(pmf);
    }
    previous = current;
  }
  const cdf = previous[n] as Float64Array;
  for (let u = 1; u < cdf.length; u++) cdf[u] = (cdf[u] as number) + (cdf[u - 1] as number);
  return cdf;
}
