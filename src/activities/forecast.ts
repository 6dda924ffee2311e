import { ApplicationFailure } from '@temporalio/activity';
import { seasonalNaive } from '../forecast/seasonal-naive.js';
import type { Forecast, Series } from '../forecast/types.js';

export interface ForecastDemandInput {
  history: Series;
  horizonSteps: number;
  seasonSteps: number;
}

/** Activities of the `forecast` task queue: CPU-bound model work, kept off the workflow queue. */
export function createForecastActivities() {
  return {
    forecastDemand(input: ForecastDemandInput): Promise<Forecast> {
      const { history, horizonSteps, seasonSteps } = input;
      if (!history.values.length || !(horizonSteps > 0) || !(seasonSteps > 0) || !(history.stepSeconds > 0)) {
        throw ApplicationFailure.nonRetryable('forecastDemand needs a non-empty history, a positive step, horizon and season', 'InvalidForecastRequest');
      }
      return Promise.resolve(seasonalNaive(history, horizonSteps, seasonSteps));
    },
  };
}

export type ForecastActivities = ReturnType<typeof createForecastActivities>;
