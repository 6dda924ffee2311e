import { seededRandom } from '../../src/load/random.js';
import type { Series } from '../../src/forecast/types.js';

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
export function noisySeries(shape: SeasonalShape, steps: number, noise: number, seed: number, stepSeconds = 3600): Series {
  const draw = normal(seed);
  return { start: 1_700_000_000, stepSeconds, values: Array.from({ length: steps }, (_, i) => Math.max(0, signal(shape, i) + noise * draw())) };
}

/** The first `steps` of a series, as a history that ends there. */
export function head(series: Series, steps: number): Series {
  return { ...series, values: series.values.slice(0, steps) };
}
