import { QUANTILES, type Forecast, type QuantileName, type Series } from './types.js';

export type Forecaster = (history: Series, horizonSteps: number) => Forecast;

export interface BacktestScores {
  /** Mean absolute error of the point forecast ÷ the in-sample seasonal naive's: < 1 beats it. */
  mase: number;
  /** Mean pinball loss over the quantiles, steps and origins, in the series' units. */
  pinball: number;
  /** Pinball ÷ the same scale as MASE, comparable across series. */
  scaledPinball: number;
  /** Share of actual values at or below each quantile (p90 should cover about 90%). */
  coverage: Record<QuantileName, number>;
  origins: number;
}

const QUANTILE_NAMES = Object.keys(QUANTILES) as QuantileName[];
const MAX_ORIGINS = 48;

/** The latest season (at most a fifth of the series) is held out to score on. */
export function heldOutSteps(length: number, seasonSteps: number): number {
  return Math.min(seasonSteps, Math.floor(length / 5));
}

/**
 * Forecast origins (index of the last observed step) spread evenly over the held-out tail, each
 * with a whole horizon of actuals after it.
 */
export function tailOrigins(length: number, tailSteps: number, horizonSteps: number): number[] {
  const first = length - tailSteps - 1;
  const last = length - 1 - horizonSteps;
  if (last < first || first < 0) return [];
  const count = Math.min(MAX_ORIGINS, last - first + 1);
  return Array.from(
    new Set(Array.from({ length: count }, (_, i) => first + Math.round((i * (last - first)) / Math.max(1, count - 1)))),
  );
}

/** Mean |y_t − y_{t−m}| before `end`: the error MASE divides by (Hyndman & Koehler 2006). */
function naiveScale(values: readonly number[], end: number, seasonSteps: number): number {
  const m = end > seasonSteps ? seasonSteps : 1;
  let sum = 0;
  for (let t = m; t < end; t++) sum += Math.abs(values[t]! - values[t - m]!);
  const scale = end > m ? sum / (end - m) : 0;
  return scale > 0 ? scale : 1;
}

/**
 * Rolling-origin evaluation: at each origin the forecaster sees only the history up to it. Every
 * model scored on the same series and origins gets the same scale, so scores compare directly.
 */
export function backtest(
  series: Series,
  origins: readonly number[],
  horizonSteps: number,
  seasonSteps: number,
  forecaster: Forecaster,
): BacktestScores {
  if (origins.length === 0) throw new RangeError('a backtest needs at least one origin');
  const values = series.values;
  const scale = naiveScale(values, origins[0]! + 1, seasonSteps);
  let absError = 0;
  let pinball = 0;
  let points = 0;
  const covered = Object.fromEntries(QUANTILE_NAMES.map((n) => [n, 0])) as Record<QuantileName, number>;
  for (const t of origins) {
    const forecast = forecaster(
      { start: series.start, stepSeconds: series.stepSeconds, values: values.slice(0, t + 1) },
      horizonSteps,
    );
    for (let h = 0; h < horizonSteps; h++) {
      const actual = values[t + 1 + h]!;
      absError += Math.abs(actual - forecast.point[h]!);
      for (const name of QUANTILE_NAMES) {
        const error = actual - forecast.quantiles[name][h]!;
        pinball += Math.max(QUANTILES[name] * error, (QUANTILES[name] - 1) * error) / QUANTILE_NAMES.length;
        if (error <= 0) covered[name]++;
      }
      points++;
    }
  }
  return {
    mase: absError / points / scale,
    pinball: pinball / points,
    scaledPinball: pinball / points / scale,
    coverage: Object.fromEntries(QUANTILE_NAMES.map((n) => [n, covered[n] / points])) as Record<QuantileName, number>,
    origins: origins.length,
  };
}
