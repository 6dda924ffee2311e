import { endOf, type Forecaster } from './forecaster.js';
import { quantilesFromErrors } from './quantile.js';

const ALPHAS = [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1];

/**
 * Simple exponential smoothing, ETS(A,N,N): a flat forecast at the smoothed level, α chosen by
 * the least one-step squared error. No season, so nothing to mistake for one: the candidate for
 * series whose only structure is their level. Intervals: its one-step errors widened by
 * √(1 + hα²), the model's own variance growth (FPP3 §8.7).
 */
export const ses: Forecaster = {
  name: 'ses',
  minHistory: () => 2,
  forecast(history, horizon) {
    const y = history.values;
    if (y.length === 0) throw new Error('ses needs at least one observation');
    let best = { alpha: 1, sse: Infinity, level: y[y.length - 1]!, errors: [] as number[] };
    for (const alpha of ALPHAS) {
      let level = y[0]!;
      let sse = 0;
      const errors: number[] = [];
      for (let t = 1; t < y.length; t++) {
        const e = y[t]! - level;
        errors.push(e);
        sse += e * e;
        level += alpha * e;
      }
      if (sse < best.sse) best = { alpha, sse, level, errors };
    }
    const point = new Array<number>(horizon).fill(Math.max(0, best.level));
    const { alpha } = best;
    return {
      model: 'ses',
      start: endOf(history),
      stepSeconds: history.stepSeconds,
      point,
      quantiles: quantilesFromErrors(point, best.errors, (h) => Math.sqrt(1 + h * alpha * alpha)),
    };
  },
};
