import { BurstMemory } from './burst.js';
import { ErrorRecord, QUANTILE_NAMES, type Offsets } from './calibration.js';
import { RampCheck } from './ramp.js';
import type { Forecaster } from './forecaster.js';
import { Nowcast } from './nowcast.js';
import { seasonalNaive } from './seasonal-naive.js';
import { detectSeasons } from './seasons.js';
import { selectModel, type BacktestSetup, type Selection } from './selection.js';
import type { DemandForecast, QuantileName, Series } from './types.js';

/** How the forecaster keeps itself up to date, in steps of the series. */
export interface ForecastSettings {
  /** Steps ahead every forecast covers. */
  horizon: number;
  /** The chosen model is refitted this often; the nowcast follows every step in between. */
  refitEvery: number;
  /** Models are compared (and seasons detected) this often. */
  selectEvery: number;
  /** Steps of history a model is fitted on. */
  fitWindow: number;
  /** Recent errors per step ahead that quantiles come from. */
  calibrationWindow: number;
  /** Rolling origins of each comparison, and the steps scored after each. */
  backtestOrigins: number;
  backtestSpan: number;
  /** Nowcast smoothing constants compared with each model. */
  alphas: readonly number[];
  /** Smoothing constant of the error volatility that scales the quantiles. */
  volatilityAlpha: number;
  /** A burst is an observation above this many times its p99 forecast; upper quantiles then hold its level for burstSteps (see burst.ts). */
  burstMargin: number;
  burstSteps: number;
  /** Smoothing constant of the scores that decide whether the last rise is extrapolated (see ramp.ts). */
  rampAlpha: number;
}

/**
 * The schedule in time, whatever the step: refit hourly, compare models daily over the last day
 * (four origins six hours apart), fit on two weeks, calibrate on three days.
 */
export function defaultSettings(stepSeconds: number, horizon: number): ForecastSettings {
  const steps = (seconds: number): number => Math.max(1, Math.round(seconds / stepSeconds));
  return {
    horizon,
    refitEvery: steps(3600),
    selectEvery: steps(86_400),
    fitWindow: steps(14 * 86_400),
    calibrationWindow: steps(3 * 86_400),
    backtestOrigins: 4,
    backtestSpan: steps(6 * 3600),
    alphas: [0.03, 0.1, 0.3, 1],
    volatilityAlpha: Math.min(1, stepSeconds / 6000),
    burstMargin: 1.5,
    burstSteps: steps(45 * 60),
    rampAlpha: Math.min(1, stepSeconds / 60_000),
  };
}

/** The comparison these settings run, for these seasons. */
export function backtestSetup(settings: ForecastSettings, seasons: readonly number[]): BacktestSetup {
  const { horizon, fitWindow, backtestOrigins, backtestSpan, alphas } = settings;
  return { seasons, horizon, fitWindow, origins: backtestOrigins, span: backtestSpan, alphas };
}

/** The quantiles a remembered burst holds up; the median stays the model's. */
const UPPER_QUANTILES: readonly QuantileName[] = ['p90', 'p95', 'p99'];

/** Errors of fewer forecasts than this per step ahead are too few to read a p99 from. */
const MIN_CALIBRATION = 100;
/** Volatility never counts as less than this share of the forecast, so a flat spell cannot make errors infinite. */
const MIN_RELATIVE_VOLATILITY = 1e-3;

/** The model's forecast from its last fit, by absolute step. */
interface Path {
  first: number;
  values: number[];
}

/**
 * A resource set's demand forecast, kept up to date as observations arrive: model selection by
 * rolling-origin backtest on a schedule, the chosen model refitted on a schedule, a nowcast that
 * follows every observation in between (see nowcast.ts), and quantiles from the errors its own
 * forecasts made (see calibration.ts). Pure computation: the caller feeds it observations — the
 * backtest simulator a minute at a time, the forecast activity whatever arrived since its last
 * call — and it never sees a step before it happens.
 *
 * Until the history allows a comparison it forecasts seasonal naive, untrusted.
 */
export class DemandForecaster {
  /** Observations from absolute step `base` on (older ones are dropped). */
  private y: number[] = [];
  private base = 0;
  private periods: number[];
  private selection: Selection | null = null;
  private selectedAt = -Infinity;
  private path: Path | null = null;
  private fittedAt = -Infinity;
  private nowcast: Nowcast | null = null;
  private readonly errors: ErrorRecord;
  private offsets: Offsets | null = null;
  /** Mean absolute one-step error lately: errors are recorded in its units, so quantiles widen when it rises. */
  private volatility = NaN;
  private bursts: BurstMemory | null = null;
  private ramp: RampCheck | null = null;
  /** The p99 the last forecast gave for the step observed next (NaN when none was made since). */
  private nextUpper = NaN;
  /** Point forecasts made after each of the last horizon steps and the volatility then, to score when the actuals come. */
  private readonly made: ({ point: number[]; scale: number } | undefined)[];

  constructor(
    private readonly models: readonly Forecaster[],
    readonly settings: ForecastSettings,
    /** Epoch seconds of the first observation, and the step. */
    readonly start: number,
    readonly stepSeconds: number,
    /** The main season in steps; detected from the history when absent. */
    private readonly seasonSteps?: number,
  ) {
    this.periods = seasonSteps ? seasonsFor(seasonSteps, stepSeconds) : [];
    this.errors = new ErrorRecord(settings.horizon, settings.calibrationWindow);
    this.made = new Array<{ point: number[]; scale: number } | undefined>(settings.horizon + 1);
  }

  /** Steps observed so far. */
  get length(): number {
    return this.base + this.y.length;
  }

  /** Epoch seconds at which the next observation starts. */
  get end(): number {
    return this.start + this.length * this.stepSeconds;
  }

  observe(value: number): void {
    const t = this.length;
    if (!Number.isNaN(this.nextUpper)) this.burstMemory().observe(t, value, this.nextUpper);
    this.nextUpper = NaN;
    this.rampCheck().observe(t, value);
    this.y.push(value);
    const { horizon } = this.settings;
    for (let h = 1; h <= horizon; h++) {
      const made = this.made[(t - h) % (horizon + 1)];
      if (made && t - h >= 0) this.errors.push(h - 1, (value - made.point[h - 1]!) / made.scale);
    }
    const last = this.made[(t - 1) % (horizon + 1)];
    if (last && t >= 1)
      this.volatility += this.settings.volatilityAlpha * (Math.abs(value - last.point[0]!) - this.volatility);
    this.made[t % (horizon + 1)] = undefined;
    const expected = this.pathAt(t);
    if (this.nowcast && expected !== undefined) this.nowcast.observe(value, expected);
    this.trim();
  }

  /** Forecast of the next `horizon` steps after the last observation. */
  forecast(): DemandForecast {
    const t = this.length - 1;
    if (t < 0) throw new Error('nothing observed yet');
    // A verdict against the forecast (or none yet) is looked at again at every refit: an outage
    // or a holiday passes, and the planner should not wait a day to trust the forecast again.
    if (t - this.selectedAt >= (this.selection?.trusted ? this.settings.selectEvery : this.settings.refitEvery))
      this.select(t);
    if (!this.selection) return this.fallback(t);
    if (t - this.fittedAt >= this.settings.refitEvery || !this.path) this.refit(t);
    const { horizon } = this.settings;
    const nowcast = this.nowcast!;
    const point = Array.from({ length: horizon }, (_, h) => nowcast.at(this.pathAt(t + 1 + h)!));
    const scale = Math.max(this.volatility, MIN_RELATIVE_VOLATILITY * point[0]!, Number.MIN_VALUE);
    this.made[t % (horizon + 1)] = { point, scale };
    const offsets = this.offsets!;
    const quantiles = Object.fromEntries(
      QUANTILE_NAMES.map((name) => [name, point.map((p, h) => Math.max(0, p + offsets[name][h]! * scale))]),
    ) as Record<QuantileName, number[]>;
    // The burst test reads the model's own p99, so that a held level does not hide the next burst.
    this.nextUpper = quantiles.p99[0]!;
    const held = this.burstMemory().floor(t);
    const rise = this.rampCheck().extra(t, point[horizon - 1]!);
    for (const name of UPPER_QUANTILES) quantiles[name] = quantiles[name].map((q) => Math.max(q + rise, held));
    return {
      model: this.selection.forecaster.name,
      start: this.end,
      stepSeconds: this.stepSeconds,
      point,
      quantiles,
      trusted: this.selection.trusted,
      modelError: this.selection.best.mase,
    };
  }

  /** Seasons in steps, main first: configured, or detected at the last comparison. */
  get seasons(): readonly number[] {
    return this.periods;
  }

  /** The last comparison: scores, verdict and reason; null before the history allowed one. */
  get lastSelection(): Selection | null {
    return this.selection;
  }

  private select(t: number): void {
    const history = this.history(Math.max(this.base, t + 1 - this.settings.fitWindow), t);
    if (!this.seasonSteps) this.periods = detectSeasons(history);
    const { settings } = this;
    const selection = selectModel(
      this.y,
      t - this.base,
      { start: this.start + this.base * this.stepSeconds, stepSeconds: this.stepSeconds },
      this.models,
      backtestSetup(settings, this.periods),
    );
    this.selectedAt = t;
    if (!selection) return;
    const changed =
      selection.forecaster !== this.selection?.forecaster || selection.best.alpha !== this.selection.best.alpha;
    this.selection = selection;
    // Until its own forecasts have been scored often enough, the backtest's errors stand in, in
    // units of their own one-step volatility.
    const seedScale = meanAbs(selection.errors[0]!);
    if (Number.isNaN(this.volatility)) this.volatility = seedScale;
    selection.errors.forEach((errors, h) =>
      this.errors.topUp(
        h,
        errors.map((e) => (seedScale > 0 ? e / seedScale : 0)),
        MIN_CALIBRATION,
      ),
    );
    if (changed) this.refit(t);
  }

  private refit(t: number): void {
    const selection = this.selection!;
    const { settings } = this;
    const history = this.history(Math.max(this.base, t + 1 - settings.fitWindow), t);
    const values = selection.forecaster.forecast(history, settings.refitEvery + settings.horizon, this.periods).point;
    const path = { first: t + 1, values };
    const before = this.pathAt(t + 1);
    const { alpha } = selection.best;
    if (this.nowcast && before !== undefined && this.nowcast.alpha === alpha) this.nowcast.rebase(before, values[0]!);
    else this.nowcast = new Nowcast(alpha);
    this.path = path;
    this.fittedAt = t;
    this.offsets = this.errors.offsets();
  }

  /**
   * Seasonal naive until the history allows a comparison, trusted once it holds two main
   * seasons: one season repeated is the least a season can show.
   */
  private fallback(t: number): DemandForecast {
    const season = this.periods[0];
    const forecast = seasonalNaive(this.history(this.base, t), this.settings.horizon, season ?? 1);
    return { ...forecast, trusted: season !== undefined && t + 1 >= 2 * season, modelError: null };
  }

  private burstMemory(): BurstMemory {
    return (this.bursts ??= new BurstMemory(this.settings.burstMargin, this.settings.burstSteps));
  }

  private rampCheck(): RampCheck {
    return (this.ramp ??= new RampCheck(this.settings.horizon, this.settings.rampAlpha));
  }

  private pathAt(step: number): number | undefined {
    return this.path ? this.path.values[step - this.path.first] : undefined;
  }

  private history(from: number, to: number): Series {
    return {
      start: this.start + from * this.stepSeconds,
      stepSeconds: this.stepSeconds,
      values: this.y.slice(from - this.base, to - this.base + 1),
    };
  }

  /** Drops what no fit or comparison reaches back to any more, in chunks so that it is rare. */
  private trim(): void {
    const { fitWindow, backtestOrigins, backtestSpan } = this.settings;
    const keep = fitWindow + backtestOrigins * backtestSpan + (this.periods.at(-1) ?? 0);
    if (this.y.length > 2 * keep) {
      const drop = this.y.length - keep;
      this.y = this.y.slice(drop);
      this.base += drop;
    }
  }
}

const DAY_SECONDS = 86_400;

function meanAbs(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + Math.abs(v), 0) / Math.max(1, values.length);
}

/** A configured main season, with the week beside a daily one: weekdays differ from weekends. */
export function seasonsFor(seasonSteps: number, stepSeconds: number): number[] {
  return seasonSteps * stepSeconds === DAY_SECONDS ? [seasonSteps, 7 * seasonSteps] : [seasonSteps];
}
