import { defaultSettings, DemandForecaster } from '../forecast/demand-forecaster.js';
import type { Forecaster } from '../forecast/forecaster.js';
import type { QuantileName } from '../forecast/types.js';
import type { DemandHistory, PolicyEnv } from './policy.js';

/** The quantiles a forecast operating point may provision for. */
export const LEAD_QUANTILES = ['p90', 'p95'] as const satisfies readonly QuantileName[];
export type LeadQuantile = (typeof LEAD_QUANTILES)[number];

/** Where a forecast point reads the forecaster's peaks. */
export interface LeadPeaks {
  /** The peak forecast at this epoch minute; NaN when none was trusted. */
  peak(quantile: LeadQuantile, epochMinute: number): number;
}

/**
 * What the forecaster said at each minute about the demand until an order made then would serve:
 * the peak of each quantile over its horizon, by epoch minute, NaN where it made no trusted
 * forecast. Kept as the run goes, so that calibration can replay the forecast rule over the past
 * on the forecasts that were really made then.
 */
export class LeadForecasts implements LeadPeaks {
  private readonly peaks = new Map<LeadQuantile, Float64Array>();

  /** Epoch minutes of the first minute kept, and how many. */
  constructor(
    readonly startTime: number,
    minutes: number,
  ) {
    for (const q of LEAD_QUANTILES) this.peaks.set(q, new Float64Array(minutes).fill(NaN));
  }

  /** The forecast made as this epoch minute ended: its peaks until an order made then would serve. */
  record(epochMinute: number, peaks: Record<LeadQuantile, number>): void {
    for (const q of LEAD_QUANTILES) this.peaks.get(q)![epochMinute - this.startTime] = peaks[q];
  }

  peak(quantile: LeadQuantile, epochMinute: number): number {
    return this.peaks.get(quantile)![epochMinute - this.startTime] ?? NaN;
  }
}

const DAY = 1440;

/** Each lead quantile's peak, as `peak` reads it off a forecast. */
export function leadPeaks(peak: (quantile: LeadQuantile) => number): Record<LeadQuantile, number> {
  return Object.fromEntries(LEAD_QUANTILES.map((q) => [q, peak(q)])) as Record<LeadQuantile, number>;
}

/**
 * The backtest refits the chosen model every 6 hours where the live loop refits hourly: the fits
 * (and, while a forecast is not trusted, the model comparisons run with them) were most of a
 * backtest's time (a third of it is left), and on the 8 traces of bench/RESULTS.md the calibrated
 * policy's short minutes did not change and its cost by at most 0.007 × the oracle — the nowcast
 * follows every minute in between.
 */
const REFIT_MINUTES = 360;

/** The forecaster of the live loop, refitted less often (above), run over one series a minute at a time, and what it said. */
export class ForecastRun {
  readonly leads: LeadForecasts;
  private readonly forecaster: DemandForecaster;
  private next = 0;

  constructor(env: PolicyEnv, models: readonly Forecaster[]) {
    this.leads = new LeadForecasts(env.startTime, env.minutes);
    this.forecaster = new DemandForecaster(
      models,
      { ...defaultSettings(60, env.readyDelay + 1), refitEvery: REFIT_MINUTES },
      env.startTime * 60,
      60,
      DAY,
    );
  }

  /** Feeds the minutes up to `minute`, each forecast made as the minute ends. */
  advance(minute: number, demand: DemandHistory): void {
    for (; this.next <= minute; this.next++) {
      this.forecaster.observe(demand.at(this.next));
      const forecast = this.forecaster.forecast();
      // Its horizon is the lead time and the minute after: all of it counts.
      if (forecast.trusted)
        this.leads.record(
          this.leads.startTime + this.next,
          leadPeaks((q) => Math.max(...forecast.quantiles[q])),
        );
    }
  }
}

/**
 * Per series, per setup: every policy replaying the same demand with the same lead time and
 * models gets the same forecasts, so they are made once (a run of the forecaster costs minutes).
 * A policy advances the run only up to the minute it has observed.
 */
const runs = new WeakMap<object, Map<string, ForecastRun>>();

export function forecastRun(demand: DemandHistory, env: PolicyEnv, models: readonly Forecaster[]): ForecastRun {
  let bySetup = runs.get(demand.key);
  if (!bySetup) runs.set(demand.key, (bySetup = new Map<string, ForecastRun>()));
  const setup = [env.startTime, env.minutes, env.readyDelay, ...models.map((m) => m.name)].join(':');
  let run = bySetup.get(setup);
  if (!run) bySetup.set(setup, (run = new ForecastRun(env, models)));
  return run;
}
