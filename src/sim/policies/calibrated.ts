import type { Forecaster } from '../../forecast/forecaster.js';
import { DEFAULT_MODELS, loadForecasters } from '../../forecast/models.js';
import { calibrate, DEFAULT_CHOICE, type Calibration, type Choice, type Objective } from '../calibrate.js';
import { forecastRun, type ForecastRun, type LeadPeaks } from '../lead-forecasts.js';
import {
  CANDIDATE_POINTS,
  FORECAST_POINTS,
  pointPolicy,
  reactivePoint,
  samePoint,
  type OperatingPoint,
} from '../operating-points.js';
import type { Observation, Policy, PolicyEnv, PolicySpec } from '../policy.js';

const DAY = 1440;

export interface CalibratedConfig extends Choice {
  candidates: readonly OperatingPoint[];
  objective: Objective;
  /** Days of history replayed at each calibration, and of them the days scored. */
  historyDays: number;
  scoredDays: number;
  /** Below this much history the set runs the reactive rule at its target. */
  minHistoryDays: number;
}

export const CALIBRATED_DEFAULTS: CalibratedConfig = {
  candidates: [...CANDIDATE_POINTS, ...FORECAST_POINTS],
  objective: {},
  historyDays: 14,
  scoredDays: 7,
  minHistoryDays: 2,
  ...DEFAULT_CHOICE,
};

/**
 * Self-calibrating predictive scaling: every candidate point advises each minute on the real
 * fleet (so whichever is chosen is warm), and once a day, from the second day on, calibration
 * replays the history seen so far and picks the point the set follows until the next day.
 */
export class CalibratedPolicy implements Policy {
  private readonly advisors: { point: OperatingPoint; policy: Policy }[];
  private current: number;
  /** With forecast points: the live loop's forecaster run over the demand seen so far. */
  private run: ForecastRun | null = null;
  private readonly forecasting: boolean;
  private readonly peaks: LeadPeaks = { peak: (quantile, minute) => this.run?.leads.peak(quantile, minute) ?? NaN };
  readonly calibrations: { minute: number; calibration: Calibration }[] = [];

  /** `models`: the forecaster's, loaded; needed when a candidate is a forecast point. */
  constructor(
    private readonly env: PolicyEnv,
    private readonly config: CalibratedConfig,
    private readonly models: readonly Forecaster[] = [],
  ) {
    const reactive = reactivePoint(env.target);
    const points = config.candidates.some((p) => samePoint(p, reactive))
      ? config.candidates
      : [...config.candidates, reactive];
    this.forecasting = points.some((p) => p.rule === 'forecast');
    this.advisors = points.map((point) => ({ point, policy: pointPolicy(point, env, this.peaks) }));
    this.current = this.advisors.findIndex((a) => samePoint(a.point, reactive));
  }

  decide(now: Observation): number {
    if (this.forecasting) {
      this.run ??= forecastRun(now.demand, this.env, this.models);
      this.run.advance(now.minute, now.demand);
    }
    if (now.minute % DAY === 0 && now.minute >= this.config.minHistoryDays * DAY) this.recalibrate(now);
    let chosen = 0;
    this.advisors.forEach((a, i) => {
      const count = a.policy.decide(now);
      if (i === this.current) chosen = count;
    });
    return chosen;
  }

  private recalibrate(now: Observation): void {
    const from = Math.max(0, now.minute - this.config.historyDays * DAY);
    const calibration = calibrate({
      demand: now.demand.slice(from, now.minute),
      env: { ...this.env, startTime: this.env.startTime + from },
      candidates: this.advisors.map((a) => a.point),
      objective: this.config.objective,
      target: this.env.target,
      scoredMinutes: Math.min(this.config.scoredDays * DAY, now.minute - from - DAY),
      safetySteps: this.config.safetySteps,
      safetyStepsWithoutShortage: this.config.safetyStepsWithoutShortage,
      ranking: this.config.ranking,
      headroom: this.config.headroom,
      stepsWithinCost: this.config.stepsWithinCost,
      leads: this.peaks,
    });
    this.current = this.advisors.findIndex((a) => samePoint(a.point, calibration.point));
    this.calibrations.push({ minute: now.minute, calibration });
  }
}

/** The policy's spec, with the forecaster's models loaded when a candidate is a forecast point. */
export async function calibrated(
  config: CalibratedConfig = CALIBRATED_DEFAULTS,
  name = 'predictive',
): Promise<PolicySpec> {
  const models = config.candidates.some((p) => p.rule === 'forecast') ? await loadForecasters(DEFAULT_MODELS) : [];
  return { name, create: (env) => new CalibratedPolicy(env, config, models) };
}
