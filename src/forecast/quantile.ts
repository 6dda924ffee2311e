import { QUANTILES, type QuantileName } from './types.js';

/** The q-quantile of sorted values by linear interpolation (R's type 7, numpy's default). */
export function quantileOfSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function quantile(values: readonly number[], q: number): number {
  return quantileOfSorted(
    [...values].sort((a, b) => a - b),
    q,
  );
}

/**
 * Each quantile as the point plus that quantile of past errors, times `widen(h)` for step h
 * (0-based) as errors accumulate over the horizon, never below zero. Without errors, every
 * quantile is the point.
 */
export function quantilesFromErrors(
  point: readonly number[],
  errors: readonly number[],
  widen: (h: number) => number,
): Record<QuantileName, number[]> {
  const sorted = Float64Array.from(errors).sort();
  return Object.fromEntries(
    Object.entries(QUANTILES).map(([name, q]) => {
      const offset = sorted.length ? quantileOfSorted(sorted, q) : 0;
      return [name, point.map((p, h) => Math.max(0, p + offset * widen(h)))];
    }),
  ) as Record<QuantileName, number[]>;
}
