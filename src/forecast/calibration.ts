import { quantileOfSorted } from './quantile.js';
import { QUANTILES, type QuantileName } from './types.js';

export const QUANTILE_NAMES = Object.keys(QUANTILES) as QuantileName[];

/** Per quantile and horizon step (0-based): what to add to the point forecast. */
export type Offsets = Record<QuantileName, number[]>;

/**
 * The most recent forecast errors (actual − point) per horizon step, out of sample: the quantiles
 * of a forecast are its point plus quantiles of these. Empirical errors of the forecasts actually
 * made need no distributional assumption and follow the series when its noise changes (the
 * split-conformal idea; Lei et al. 2018).
 */
export class ErrorRecord {
  private readonly errors: Float64Array[];
  private readonly counts: number[];

  constructor(
    readonly horizon: number,
    readonly capacity: number,
  ) {
    this.errors = Array.from({ length: horizon }, () => new Float64Array(capacity));
    this.counts = new Array<number>(horizon).fill(0);
  }

  /** Errors held for step h (0-based). */
  size(h: number): number {
    return Math.min(this.counts[h]!, this.capacity);
  }

  push(h: number, error: number): void {
    this.errors[h]![this.counts[h]! % this.capacity] = error;
    this.counts[h]!++;
  }

  /** Stand-ins until step h holds `atLeast` errors: the newest of `errors`, as many as are missing. */
  topUp(h: number, errors: readonly number[], atLeast: number): void {
    const missing = atLeast - this.size(h);
    if (missing > 0) for (const e of errors.slice(-missing)) this.push(h, e);
  }

  offsets(): Offsets {
    const sorted = this.errors.map((e, h) => e.slice(0, this.size(h)).sort());
    return Object.fromEntries(
      QUANTILE_NAMES.map((name) => [name, sorted.map((s) => (s.length ? quantileOfSorted(s, QUANTILES[name]) : 0))]),
    ) as Offsets;
  }
}

/** The pinball (quantile) loss of predicting `predicted` for quantile q when `actual` came. */
export function pinball(actual: number, predicted: number, q: number): number {
  const e = actual - predicted;
  return e >= 0 ? q * e : (q - 1) * e;
}
