import type { Forecaster } from './forecaster.js';
import type { NeuralModel } from './neural.js';
import { QUANTILE_NAMES } from './calibration.js';
import type { Forecast, QuantileName, Series } from './types.js';

/**
 * A trained neural model as one of model selection's candidates. The net forecasts a fixed
 * number of steps; longer horizons (the forecaster's refit path covers an hour) are reached by
 * feeding its median back as history, a chunk at a time.
 */
export function neuralForecaster(model: NeuralModel): Forecaster {
  const chunk = model.spec.horizonSteps;
  return {
    name: 'neural',
    minHistory: () => model.minHistory,
    forecast(history: Series, horizon: number): Forecast {
      const values = [...history.values];
      const quantiles = Object.fromEntries(QUANTILE_NAMES.map((q) => [q, [] as number[]])) as Record<
        QuantileName,
        number[]
      >;
      while (quantiles.p50.length < horizon) {
        const steps = Math.min(chunk, horizon - quantiles.p50.length);
        const part = model.predict({ ...history, values }, steps);
        for (const q of QUANTILE_NAMES) quantiles[q].push(...part.quantiles[q]);
        values.push(...part.point);
      }
      return {
        model: 'neural',
        start: history.start + history.values.length * history.stepSeconds,
        stepSeconds: history.stepSeconds,
        point: quantiles.p50,
        quantiles,
      };
    },
  };
}
