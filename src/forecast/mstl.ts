import { forecastOnBuckets, twoCycles } from './aggregate.js';
import type * as MstlModule from '@bsull/augurs/mstl';
import type { Forecaster } from './forecaster.js';
import { QUANTILES, type QuantileName } from './types.js';

/**
 * MSTL (Bandara et al. 2021: STL per season, shortest first) with an AutoETS model for the
 * deseasonalised rest, from augurs, fitted on bucket means (see aggregate.ts). Quantiles are the
 * upper bounds of augurs' central prediction intervals at level 2q − 1.
 */
export function mstlEts(augurs: typeof MstlModule): Forecaster {
  return {
    name: 'mstl-ets',
    minHistory: twoCycles,
    forecast(history, horizon, seasons) {
      return forecastOnBuckets('mstl-ets', history, horizon, seasons, (buckets, steps, periods) => {
        const model = augurs.MSTL.ets(periods);
        try {
          model.fit(buckets.values);
          const upper = (q: number): number[] =>
            q === 0.5 ? model.predict(steps).point : model.predict(steps, 2 * q - 1).intervals!.upper;
          const quantiles = Object.fromEntries(
            Object.entries(QUANTILES).map(([name, q]) => [name, upper(q).map((v) => Math.max(0, v))]),
          ) as Record<QuantileName, number[]>;
          return { point: quantiles.p50, quantiles };
        } finally {
          model.free();
        }
      });
    },
  };
}
