import { normalQuantile } from '../canary/normal.js';
import { aggregationFactor, forecastOnBuckets } from './aggregate.js';
import type { Arima } from '../engines/arima-wasm.js';
import type { Forecaster } from './forecaster.js';
import { seasonalNaive } from './seasonal-naive.js';
import { QUANTILES, type QuantileName } from './types.js';

/**
 * SARIMA's state grows with its season, and its fit with the square of that: a daily season of
 * 48 half-hour buckets (what MSTL gets) took seconds a fit, of 24 hourly buckets about a tenth
 * of that. Hourly buckets keep the shape of the day; the nowcast corrects what they smooth away.
 */
const BUCKETS_PER_SEASON = 24;
/**
 * Fitted on the last 14 cycles of the season only (two weeks of a daily one, 336 hourly buckets):
 * fit time grows with the points, and ctsa's fits went astray on series of a thousand points.
 */
const FIT_CYCLES = 14;
/** ctsa fits the seasonal order below on three cycles at least: one is differenced away. */
const MIN_CYCLES = 3;
/**
 * SARIMA(1,0,1)(0,1,1)ₛ: the same hour of the last cycle, corrected by a seasonal moving average
 * (a smoothed season) and by the last hours' deviations (ARMA(1,1)). A fixed order: AutoARIMA's
 * stepwise search over the same buckets cost 2–7 times the CPU (bench/RESULTS.md, "ARIMA fit
 * time"), which the hourly refits cannot afford.
 */
const ORDER = { p: 1, d: 0, q: 1, P: 0, D: 1, Q: 1 } as const;
/**
 * ctsa's exact-likelihood fit can diverge: on two weeks of azure-vm2017-arrivals it forecast
 * −10⁴⁰ with a negative variance. Conditional sum of squares, the cruder estimate, is tried next.
 */
const METHODS = [0, 1] as const;
/** A forecast this many standard deviations of the fitted window from its mean is a diverged fit, not a forecast. */
const MAX_STANDARDISED = 100;
const Z = Object.fromEntries(Object.entries(QUANTILES).map(([name, q]) => [name, normalQuantile(q)])) as Record<
  QuantileName,
  number
>;

const shortestSeason = (seasons: readonly number[]): number => Math.min(...seasons);

/** The standardised forecast and its variance from the first method whose fit did not diverge; null when none did. */
function fitAndPredict(ARIMA: Arima, y: number[], s: number, steps: number): [number[], number[]] | null {
  for (const method of METHODS) {
    const model = new ARIMA({ ...ORDER, s, method, verbose: false });
    try {
      const [point, variance] = model.train(y).predict(steps);
      if (point.every((p) => Math.abs(p) <= MAX_STANDARDISED) && variance.every((v) => v >= 0 && Number.isFinite(v)))
        return [point, variance];
    } finally {
      model.destroy();
    }
  }
  return null;
}

/**
 * Seasonal ARIMA from the `arima` package (ctsa), on the shortest season — SARIMA has one — fitted
 * on hourly-or-coarser bucket means (see aggregate.ts) of the last FIT_CYCLES cycles. The series
 * is standardised for the fit, which keeps ctsa's optimiser in range on large values. Quantiles
 * are Gaussian, from the model's own forecast variance. When every fit diverges, the forecast is
 * seasonal naive on the same buckets.
 */
export function arima(ARIMA: Arima): Forecaster {
  return {
    name: 'arima',
    minHistory(seasons) {
      const shortest = shortestSeason(seasons);
      if (!Number.isFinite(shortest)) return Infinity;
      const factor = aggregationFactor([shortest], BUCKETS_PER_SEASON);
      return factor * MIN_CYCLES * Math.max(2, Math.round(shortest / factor));
    },
    forecast(history, horizon, seasons) {
      const shortest = shortestSeason(seasons);
      const from = Math.max(0, history.values.length - FIT_CYCLES * shortest);
      const recent = {
        ...history,
        start: history.start + from * history.stepSeconds,
        values: history.values.slice(from),
      };
      return forecastOnBuckets(
        'arima',
        recent,
        horizon,
        [shortest],
        (buckets, steps, [s]) => {
          const y = buckets.values;
          const mean = y.reduce((a, b) => a + b, 0) / y.length;
          const sd = Math.sqrt(y.reduce((a, v) => a + (v - mean) ** 2, 0) / y.length) || 1;
          const fit = fitAndPredict(
            ARIMA,
            y.map((v) => (v - mean) / sd),
            s!,
            steps,
          );
          if (!fit) return seasonalNaive(buckets, steps, s!);
          const [point, variance] = fit;
          const quantiles = Object.fromEntries(
            Object.entries(Z).map(([name, z]) => [
              name,
              point.map((p, h) => Math.max(0, mean + sd * (p + z * Math.sqrt(variance[h]!)))),
            ]),
          ) as Record<QuantileName, number[]>;
          return { point: quantiles.p50, quantiles };
        },
        BUCKETS_PER_SEASON,
      );
    },
  };
}
