import { endOf, type Forecaster } from './forecaster.js';
import { quantilesFromErrors } from './quantile.js';
import type { Forecast, Series } from './types.js';

/**
 * Seasonal naive: each future step repeats the value one season earlier. The baseline every other
 * model must beat, and the fallback that always works. Intervals come from the empirical
 * distribution of its own in-sample errors, widened by √(seasons ahead) as errors accumulate
 * (Hyndman & Athanasopoulos, FPP3 §5.5). With less than a season plus one step of history it
 * degrades to the naive (last value) forecast.
 */
export function seasonalNaive(history: Series, horizon: number, seasonSteps: number): Forecast {
  const y = history.values;
  const n = y.length;
  if (n === 0) throw new Error('seasonal naive needs at least one observation');
  const m = n > seasonSteps ? seasonSteps : 1;
  const residuals: number[] = [];
  for (let t = m; t < n; t++) residuals.push(y[t]! - y[t - m]!);
  const point = Array.from({ length: horizon }, (_, h) => y[n - m + (h % m)]!);
  const quantiles = quantilesFromErrors(point, residuals, (h) => Math.sqrt(Math.floor(h / m) + 1));
  return {
    model: m > 1 ? 'seasonal-naive' : 'naive',
    start: endOf(history),
    stepSeconds: history.stepSeconds,
    point,
    quantiles,
  };
}

/** Seasonal naive on the main season (the first), or naive when there is none. */
export const seasonalNaiveForecaster: Forecaster = {
  name: 'seasonal-naive',
  minHistory: () => 1,
  forecast: (history, horizon, seasons) => seasonalNaive(history, horizon, seasons[0] ?? 1),
};
