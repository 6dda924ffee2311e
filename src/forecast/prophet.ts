import { forecastOnBuckets, twoCycles } from './aggregate.js';
import type { loadProphet } from '../engines/augurs.js';
import type { Forecaster } from './forecaster.js';
import { quantilesFromErrors } from './quantile.js';

type ProphetModules = Awaited<ReturnType<typeof loadProphet>>;

const DAY_SECONDS = 86_400;
const MAX_FOURIER_ORDER = 10;
const DISABLED = { type: 'manual', enabled: false } as const;

/**
 * Prophet (Taylor & Letham 2018) from augurs with its Stan model compiled to WASM, fitted on
 * bucket means (see aggregate.ts). Its calendar seasonalities are replaced by the seasons asked
 * for, each a Fourier series. It costs about a second a fit, so it is refitted on a schedule, not
 * every loop. Quantiles: the point plus quantiles of its in-sample errors (sampling its own
 * intervals would multiply the cost).
 */
export function prophet({ Prophet, optimizer }: ProphetModules): Forecaster {
  return {
    name: 'prophet',
    minHistory: twoCycles,
    forecast(history, horizon, seasons) {
      return forecastOnBuckets('prophet', history, horizon, seasons, (buckets, steps, periods) => {
        const model = new Prophet({
          optimizer,
          uncertaintySamples: 0,
          dailySeasonality: DISABLED,
          weeklySeasonality: DISABLED,
          yearlySeasonality: DISABLED,
        });
        try {
          for (const p of periods) {
            model.addSeasonality(`season-${p}`, {
              period: (p * buckets.stepSeconds) / DAY_SECONDS,
              fourierOrder: Math.min(MAX_FOURIER_ORDER, Math.floor(p / 2)),
            });
          }
          const ds = buckets.values.map((_, i) => buckets.start + i * buckets.stepSeconds);
          model.fit({ ds, y: buckets.values });
          const fitted = model.predict().yhat.point;
          const end = buckets.start + buckets.values.length * buckets.stepSeconds;
          const ahead = model.predict({ ds: Array.from({ length: steps }, (_, h) => end + h * buckets.stepSeconds) })
            .yhat.point;
          const point = ahead.map((v) => Math.max(0, v));
          return {
            point,
            quantiles: quantilesFromErrors(
              point,
              buckets.values.map((y, i) => y - fitted[i]!),
              () => 1,
            ),
          };
        } finally {
          model.free();
        }
      });
    },
  };
}
