import { defaultSettings, DemandForecaster } from './demand-forecaster.js';
import { keepRecent } from './keep-recent.js';
import type { Forecaster } from './forecaster.js';
import type { DemandForecast, Series } from './types.js';

export interface CachedForecastRequest {
  history: Series;
  horizonSteps: number;
  /** The main season in steps; detected from the history when absent. */
  seasonSteps?: number;
  models: readonly Forecaster[];
  /** Names what the models are (their names, a neural model's version): different models, a new forecaster. */
  modelsVersion: string;
}

/** Feeds the forecaster the steps of `history` it has not seen; false when the history does not continue what it saw. */
function catchUp(forecaster: DemandForecaster, history: Series): boolean {
  const { start, stepSeconds, values } = history;
  const from = (forecaster.end - start) / stepSeconds;
  if (!Number.isInteger(from) || from < 0 || from > values.length) return false;
  for (let i = from; i < values.length; i++) forecaster.observe(values[i]!);
  return true;
}

/**
 * Keeps a DemandForecaster per series (a resource set) between calls, so that a call costs a
 * nowcast step instead of a model comparison. A request whose history does not continue what
 * the kept forecaster saw, or that asks for other models or another horizon, starts afresh —
 * which is also what a call without a key does. The least recently used series goes first.
 */
export class ForecasterCache {
  private readonly kept = new Map<string, { forecaster: DemandForecaster; signature: string }>();

  /**
   * A kept forecaster holds at most about 60,000 steps (two fit windows and a comparison span),
   * ≈ 0.5 MB: 1,024 of them cover a thousand sets in ≈ 0.5 GB, where a miss costs a cold start
   * (≈ 120 ms of model comparison).
   */
  constructor(private readonly maxSeries = 1024) {}

  forecast(key: string | undefined, request: CachedForecastRequest): DemandForecast {
    const { history, horizonSteps, seasonSteps, models } = request;
    const signature = JSON.stringify([history.stepSeconds, horizonSteps, seasonSteps ?? null, request.modelsVersion]);
    const cached = key === undefined ? undefined : this.kept.get(key);
    let forecaster =
      cached?.signature === signature && catchUp(cached.forecaster, history) ? cached.forecaster : undefined;
    if (!forecaster) {
      forecaster = new DemandForecaster(
        models,
        defaultSettings(history.stepSeconds, horizonSteps),
        history.start,
        history.stepSeconds,
        seasonSteps,
      );
      for (const v of history.values) forecaster.observe(v);
    }
    if (key !== undefined) keepRecent(this.kept, key, { forecaster, signature }, this.maxSeries);
    return forecaster.forecast();
  }
}
