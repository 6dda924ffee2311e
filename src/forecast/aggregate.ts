import { endOf } from './forecaster.js';
import type { Forecast, QuantileName, Series } from './types.js';

/**
 * Seasonal models fit in time that grows faster than linearly with the season's length: a daily
 * season of 1-minute steps (1,440) takes MSTL seconds, the same day in 30-minute buckets (48)
 * about 40 ms. Their job here is the shape of the day, which buckets keep.
 */
const MAX_BUCKETS_PER_SEASON = 48;

/** Steps per bucket so that the shortest season spans at most `bucketsPerSeason` buckets. */
export function aggregationFactor(seasons: readonly number[], bucketsPerSeason = MAX_BUCKETS_PER_SEASON): number {
  const shortest = Math.min(...seasons);
  return Number.isFinite(shortest) ? Math.max(1, Math.ceil(shortest / bucketsPerSeason)) : 1;
}

/** Steps of history a seasonal model fitted on buckets needs: two whole cycles of the shortest season. */
export function twoCycles(seasons: readonly number[]): number {
  if (seasons.length === 0) return Infinity;
  const factor = aggregationFactor(seasons);
  return factor * 2 * Math.max(2, Math.round(Math.min(...seasons) / factor));
}

/** Means of `factor` steps, aligned so that the last bucket ends where the history ends. */
export function aggregate(history: Series, factor: number): Series {
  const { values, stepSeconds } = history;
  const buckets = Math.floor(values.length / factor);
  const first = values.length - buckets * factor;
  const out = new Array<number>(buckets);
  for (let k = 0; k < buckets; k++) {
    let sum = 0;
    for (let i = first + k * factor; i < first + (k + 1) * factor; i++) sum += values[i]!;
    out[k] = sum / factor;
  }
  return { start: history.start + first * stepSeconds, stepSeconds: stepSeconds * factor, values: out };
}

/** Bucket values back on the fine steps: linear between bucket centres, flat before the first and after the last. */
function spread(coarse: readonly number[], factor: number, steps: number): number[] {
  return Array.from({ length: steps }, (_, j) => {
    const x = Math.min(coarse.length - 1, Math.max(0, (j + 0.5) / factor - 0.5));
    const k = Math.floor(x);
    const next = coarse[Math.min(k + 1, coarse.length - 1)]!;
    return coarse[k]! + (next - coarse[k]!) * (x - k);
  });
}

/**
 * Fits a seasonal model on bucket means and brings its forecast back to the history's steps. The
 * model gets the seasons, in buckets, that have two whole cycles in the history (ascending), and
 * is not called when none has. Quantiles of bucket means are narrower than those of single
 * steps: callers that plan on quantiles calibrate them on their own errors (see DemandForecaster).
 */
export function forecastOnBuckets(
  model: string,
  history: Series,
  horizon: number,
  seasons: readonly number[],
  fit: (buckets: Series, horizon: number, seasons: number[]) => Pick<Forecast, 'point' | 'quantiles'>,
  bucketsPerSeason = MAX_BUCKETS_PER_SEASON,
): Forecast {
  const factor = aggregationFactor(seasons, bucketsPerSeason);
  const buckets = aggregate(history, factor);
  const periods = [...new Set(seasons.map((s) => Math.max(2, Math.round(s / factor))))]
    .filter((p) => buckets.values.length >= 2 * p)
    .sort((a, b) => a - b);
  if (periods.length === 0)
    throw new RangeError(
      `${model} needs two cycles of a season (seasons ${seasons.join(', ')} steps; ${history.values.length} steps of history)`,
    );
  const coarse = fit(buckets, Math.ceil(horizon / factor) + 1, periods);
  const quantiles = Object.fromEntries(
    Object.entries(coarse.quantiles).map(([name, values]) => [name, spread(values, factor, horizon)]),
  ) as Record<QuantileName, number[]>;
  return {
    model,
    start: endOf(history),
    stepSeconds: history.stepSeconds,
    point: spread(coarse.point, factor, horizon),
    quantiles,
  };
}
