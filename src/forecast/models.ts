import { arima } from './arima.js';
import { loadArima } from '../engines/arima-wasm.js';
import { loadMstl, loadProphet } from '../engines/augurs.js';
import type { Forecaster } from './forecaster.js';
import { mstlEts } from './mstl.js';
import { prophet } from './prophet.js';
import { seasonalNaiveForecaster } from './seasonal-naive.js';
import { ses } from './ses.js';

export const MODEL_NAMES = ['seasonal-naive', 'ses', 'mstl-ets', 'prophet', 'arima'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/**
 * Compared by default. Prophet forecasted the traces of bench/RESULTS.md no better than MSTL+ETS
 * at more than ten times the cost, so it runs only where asked for. So does ARIMA: it won the
 * comparison on the 5-minute traces of "ARIMA fit time", but a fit costs about 4–10 times MSTL+ETS's
 * CPU, and the backtest simulator refits the chosen model every simulated hour of every trace.
 */
export const DEFAULT_MODELS: readonly ModelName[] = ['seasonal-naive', 'ses', 'mstl-ets'];

const loaders: Record<ModelName, () => Promise<Forecaster>> = {
  'seasonal-naive': () => Promise.resolve(seasonalNaiveForecaster),
  ses: () => Promise.resolve(ses),
  'mstl-ets': async () => mstlEts(await loadMstl()),
  prophet: async () => prophet(await loadProphet()),
  arima: async () => arima(await loadArima()),
};

export function isModelName(name: string): name is ModelName {
  return (MODEL_NAMES as readonly string[]).includes(name);
}

/** The named models, their WASM loaded (once per process). */
export function loadForecasters(names: readonly ModelName[] = DEFAULT_MODELS): Promise<Forecaster[]> {
  return Promise.all(names.map((name) => loaders[name]()));
}
