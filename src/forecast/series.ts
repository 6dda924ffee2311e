import type { Series } from './types.js';

/**
 * Requests per step → requests per second, starting at the first recorded demand: zero-filled
 * time before a resource set's first sample is not history (it would fake a flat season).
 * No demand at all gives an empty series.
 */
export function demandRate(series: Series): Series {
  const recorded = series.values.findIndex((v) => v > 0);
  const first = recorded < 0 ? series.values.length : recorded;
  return {
    start: series.start + first * series.stepSeconds,
    stepSeconds: series.stepSeconds,
    values: series.values.slice(first).map((v) => v / series.stepSeconds),
  };
}
