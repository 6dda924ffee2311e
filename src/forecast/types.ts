/** A regularly sampled series: values[i] is the demand during [start + i·step, start + (i+1)·step). */
export interface Series {
  /** Epoch seconds of the first value. */
  start: number;
  stepSeconds: number;
  values: number[];
}

export const QUANTILES = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 } as const;
export type QuantileName = keyof typeof QUANTILES;

/** Point forecast plus quantiles over the horizon, each array one value per step. */
export interface Forecast {
  model: string;
  start: number;
  stepSeconds: number;
  point: number[];
  quantiles: Record<QuantileName, number[]>;
}

/** A forecast as the control loop receives it, with model selection's verdict when there was one. */
export interface DemandForecast extends Forecast {
  /** False when the model could not beat seasonal naive on recent history (or history is too short). */
  trusted?: boolean;
  /** The chosen model's recent MASE against seasonal naive. */
  modelError?: number | null;
  /** The models compared (a neural one with its version). */
  candidates?: string[];
  /** The operating point self-calibration chose on the set's history, when asked for and there was enough. */
  calibration?: CalibratedPoint;
}

/** What self-calibration chose, with the hourly seasonal profile's load for the lead time when the point uses it. */
export interface CalibratedPoint {
  rule: 'reactive' | 'seasonal' | 'forecast';
  target: number;
  holdMinutes: number;
  /** For the forecast rule: the quantile whose peak over the lead time is provisioned for. */
  quantile?: QuantileName;
  /** Epoch seconds of the calibration. */
  calibratedAt: number;
  /** "seasonal at 0.80, scale-in after 20 min: 7-day backtest 0.40 % short at 1.12 × the least cost (…)". */
  summary: string;
  /** Mean demand of the hour the lead time reaches into, over the same hour of the last 7 days. */
  seasonalDemand: number | null;
}
