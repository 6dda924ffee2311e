import { seededRandom } from '../../src/domain/random.js';
import type { Forecaster } from '../../src/forecast/forecaster.js';
import { QUANTILES, type QuantileName, type Series } from '../../src/forecast/types.js';

/** Standard normal draws (Box–Muller) from a seeded generator. */
export function normal(seed: number): () => number {
  const random = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
}

export interface SeasonalShape {
  level: number;
  amplitude: number;
  period: number;
  /** Added on the weekly season, when given (period × 7). */
  weekly?: number;
}

/** The noiseless signal at step i. */
export function signal(shape: SeasonalShape, i: number): number {
  const { level, amplitude, period, weekly = 0 } = shape;
  return level + amplitude * Math.sin((2 * Math.PI * i) / period) + weekly * Math.sin((2 * Math.PI * i) / (7 * period));
}

/** `steps` of the signal plus Gaussian noise of sd `noise`, never below zero. */
export function noisySeries(
  shape: SeasonalShape,
  steps: number,
  noise: number,
  seed: number,
  stepSeconds = 3600,
): Series {
  const draw = normal(seed);
  return {
    start: 1_700_000_000,
    stepSeconds,
    values: Array.from({ length: steps }, (_, i) => Math.max(0, signal(shape, i) + noise * draw())),
  };
}

/** The first `steps` of a series, as a history that ends there. */
export function head(series: Series, steps: number): Series {
  return { ...series, values: series.values.slice(0, steps) };
}

/**
 * Share of held-out steps at or below each quantile the model forecast, over noisy series of
 * `shape` with seeds from..to−1: what a quantile claims to cover, checked.
 */
export function quantileCoverage(
  model: Forecaster,
  shape: SeasonalShape,
  run: { history: number; horizon: number; noise: number; seeds: [number, number] },
): (q: QuantileName) => number {
  const covered = Object.fromEntries(Object.keys(QUANTILES).map((q) => [q, 0])) as Record<QuantileName, number>;
  let points = 0;
  for (let seed = run.seeds[0]; seed < run.seeds[1]; seed++) {
    const series = noisySeries(shape, run.history + run.horizon, run.noise, seed);
    const forecast = model.forecast(head(series, run.history), run.horizon, [shape.period]);
    forecast.point.forEach((_, h) => {
      const actual = series.values[run.history + h]!;
      for (const q of Object.keys(covered) as QuantileName[]) if (actual <= forecast.quantiles[q][h]!) covered[q]++;
      points++;
    });
  }
  return (q) => covered[q] / points;
}
