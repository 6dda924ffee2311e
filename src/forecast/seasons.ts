import { aggregate } from './aggregate.js';
import type { Series } from './types.js';

/** Autocorrelations are computed on at most about this many points; longer series are averaged into buckets first. */
const MAX_POINTS = 2048;
// Bucket sizes that divide the usual seasons of second, minute and hour steps.
const FACTORS = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60, 120, 240, 360, 720, 1440];
/** A season's lag must correlate at least this much with the series. */
export const MIN_AUTOCORRELATION = 0.3;
/** A longer season must correlate this much more than every shorter one, or it is only their multiple. */
const MIN_GAIN = 0.05;

/** Calendar periods demand follows; a season within CALENDAR_SNAP of one is taken to be it. */
const CALENDAR_SECONDS = [3600, 86_400, 7 * 86_400];
const CALENDAR_SNAP = 0.05;

/**
 * Sample autocorrelations at lags from..to, indexed by lag. Each lag's sum is divided by its own
 * count of pairs: the usual estimator (R's acf) divides by n and so shrinks long lags, which
 * would hide a week behind its days.
 */
function autocorrelations(y: readonly number[], from: number, to: number): Float64Array {
  const n = y.length;
  let mean = 0;
  for (const v of y) mean += v / n;
  const d = y.map((v) => v - mean);
  let den = 0;
  for (const v of d) den += v * v;
  const acf = new Float64Array(to + 1).fill(NaN);
  for (let lag = from; lag <= to; lag++) {
    let num = 0;
    for (let t = lag; t < n; t++) num += d[t]! * d[t - lag]!;
    acf[lag] = den > 0 ? num / (n - lag) / (den / n) : 0;
  }
  return acf;
}

/**
 * Seasons of a series in steps, shortest first; empty when it has none. A season is the summit of
 * a hill of the autocorrelation, at a lag with two whole cycles in the history, reaching
 * MIN_AUTOCORRELATION and beating every shorter season's summit by MIN_GAIN (a weekly season
 * beats its daily one; the second day of a daily season does not). Long series are averaged into
 * buckets first and each season is then placed on the exact step of its peak — or on the hour,
 * day or week when it is within 5% of one: noise moves a peak by a few steps, the calendar does
 * not move.
 *
 * augurs has a periodogram detector, but it misses: a clean 24-step sine of 1,000 points comes
 * out as 254, and every 14-day trace of ../shared/traces at 10-minute buckets as 510.
 */
export function detectSeasons(history: Series): number[] {
  const y = history.values;
  const factor = FACTORS.find((f) => y.length / f <= MAX_POINTS) ?? FACTORS.at(-1)!;
  const buckets = aggregate(history, factor).values;
  const maxLag = Math.floor(buckets.length / 2);
  if (maxLag < 3) return [];
  const acf = autocorrelations(buckets, 1, maxLag);
  const seasons: number[] = [];
  let strongest = MIN_AUTOCORRELATION - MIN_GAIN;
  const close = (hill: { lag: number; r: number }): void => {
    if (hill.r < strongest + MIN_GAIN) return;
    strongest = hill.r;
    const steps = hill.lag * factor;
    const calendar = CALENDAR_SECONDS.map((c) => c / history.stepSeconds).find(
      (c) => Number.isInteger(c) && Math.abs(steps - c) <= CALENDAR_SNAP * c,
    );
    seasons.push(calendar ?? (factor === 1 ? hill.lag : exactLag(y, steps, factor)));
  };
  // Hills: runs of lags above the threshold, after the one at lag 0 has ended. Noise ripples a
  // hill's slopes; only its summit counts.
  let hill: { lag: number; r: number } | null = null;
  let pastZeroLag = false;
  for (let lag = 1; lag <= maxLag; lag++) {
    const r = acf[lag]!;
    if (r < MIN_AUTOCORRELATION) {
      pastZeroLag = true;
      if (hill) close(hill);
      hill = null;
    } else if (pastZeroLag && (!hill || r > hill.r)) hill = { lag, r };
  }
  // A hill cut off by the end of the lags counts once it has turned down.
  if (hill && hill.lag < maxLag) close(hill);
  return seasons;
}

/** The step lag within ±`width` of `around` with the highest autocorrelation. */
function exactLag(y: readonly number[], around: number, width: number): number {
  const from = Math.max(2, around - width);
  const acf = autocorrelations(y, from, Math.min(y.length - 1, around + width));
  let best = around;
  for (let lag = from; lag < acf.length; lag++) if (acf[lag]! > acf[best]!) best = lag;
  return best;
}
