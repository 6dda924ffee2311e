import type { Forecast, Series } from './types.js';

/**
 * A forecasting model: fits on a history and forecasts the steps after it, point and quantiles,
 * never below zero. Fitting is synchronous so that the backtest simulator can call it between two
 * simulated minutes; anything asynchronous (loading WASM, weights) happens when it is created.
 */
export interface Forecaster {
  readonly name: string;
  /** Steps of history it needs for these seasons; with fewer it cannot forecast. */
  minHistory(seasons: readonly number[]): number;
  /** `seasons` are periods in steps, the main one first; a model may use them or not. */
  forecast(history: Series, horizon: number, seasons: readonly number[]): Forecast;
}

/** The first step after a history, in epoch seconds. */
export const endOf = (history: Series): number => history.start + history.values.length * history.stepSeconds;
