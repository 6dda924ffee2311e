import { policySchema, type ScalingPolicy } from '../../domain/resource-set.js';
import { defaultSettings, DemandForecaster, type ForecastSettings } from '../../forecast/demand-forecaster.js';
import type { Forecaster } from '../../forecast/forecaster.js';
import { DEFAULT_MODELS, loadForecasters, type ModelName } from '../../forecast/models.js';
import type { QuantileName } from '../../forecast/types.js';
import { plan, type Recommendation } from '../../planner/plan.js';
import type { Observation, Policy, PolicyEnv, PolicySpec, StepForecasts } from '../policy.js';

/** Everything the predictive policy is configured with; one configuration serves every trace. */
export interface PredictiveConfig {
  /** The forecast quantile the planner provisions for. */
  quantile: QuantileName;
  /**
   * The planner's target utilisation while the forecast is trusted: the quantile already holds
   * the headroom, so this can be 1, and the reactive floor then acts only on overload. When model
   * selection does not trust the forecast, the planner uses the run's target (as hpa does).
   */
  trustedUtilization: number;
  scaleInStabilizationSeconds: number;
  /** The main season in minutes; detected from the history when null. */
  seasonMinutes: number | null;
  models: readonly ModelName[];
  /** Forecasting schedule and windows for a horizon in minutes. */
  settings: (horizon: number) => ForecastSettings;
}

/**
 * Found by backtest on the five traces of ../shared/traces (bench/RESULTS.md, "Scaling quality on
 * real traces"): with the forecaster's burst memory and rise extrapolation (defaultSettings), p90
 * at 92% is the least headroom at which predictive has no more short minutes than hpa and aws on
 * NYC taxi and both Crane traces, and than hpa on Twitter.
 */
export const PREDICTIVE_DEFAULTS: PredictiveConfig = {
  quantile: 'p90',
  trustedUtilization: 0.92,
  scaleInStabilizationSeconds: 0,
  seasonMinutes: 1440,
  models: DEFAULT_MODELS,
  settings: (horizon) => defaultSettings(60, horizon),
};

// The fleet model has no upper bound; the planner wants one.
const NO_MAXIMUM = 10_000;

/**
 * The planner of the control loop (src/planner/plan.ts), fed once a minute by the same
 * DemandForecaster the forecast activity runs: it sees the demand up to this minute, its fleet's
 * ready and ordered instances, and nothing else. Its forecasts of the minute an order made now
 * starts serving are kept for the MASE of the backtest.
 */
export class PredictivePolicy implements Policy {
  private readonly forecaster: DemandForecaster;
  /** The planner's policy with a trusted forecast, and without one. */
  private readonly trusting: ScalingPolicy;
  private readonly reacting: ScalingPolicy;
  private recommendations: Recommendation[] = [];
  private readonly leadForecasts: Float64Array;

  constructor(
    private readonly env: PolicyEnv,
    models: readonly Forecaster[],
    private readonly config: PredictiveConfig,
  ) {
    const horizon = env.readyDelay + 1;
    this.forecaster = new DemandForecaster(
      models,
      config.settings(horizon),
      env.startTime * 60,
      60,
      config.seasonMinutes ?? undefined,
    );
    const policy = (targetUtilization: number): ScalingPolicy =>
      policySchema.parse({
        targetUtilization,
        scaleInStabilizationSeconds: config.scaleInStabilizationSeconds,
        intervalSeconds: 60,
        leadTimeSeconds: env.readyDelay * 60,
      });
    this.trusting = policy(config.trustedUtilization);
    this.reacting = policy(env.target);
    this.leadForecasts = new Float64Array(env.minutes).fill(NaN);
  }

  decide({ minute, demand, ready, pending }: Observation): number {
    const load = demand.at(minute);
    this.forecaster.observe(load);
    const forecast = this.forecaster.forecast();
    const lead = minute + this.env.readyDelay;
    if (lead < this.leadForecasts.length) this.leadForecasts[lead] = forecast.point[this.env.readyDelay - 1]!;
    // The minute just observed has ended.
    const now = (this.env.startTime + minute + 1) * 60;
    const trusted = forecast.trusted ?? false;
    const decided = plan({
      now,
      minInstances: 1,
      maxInstances: NO_MAXIMUM,
      policy: trusted ? this.trusting : this.reacting,
      current: ready + pending,
      ready,
      loadPerReadyInstance: ready > 0 ? load / ready : null,
      capacityPerInstance: this.env.capacity,
      forecast,
      forecastTrusted: trusted,
      quantile: this.config.quantile,
      recommendations: this.recommendations,
      override: null,
    });
    const window = now - this.config.scaleInStabilizationSeconds;
    this.recommendations = [
      ...this.recommendations.filter((r) => r.at > window),
      { at: now, count: decided.recommendation },
    ];
    return decided.desired;
  }

  forecasts(): StepForecasts {
    return { stepMinutes: 1, values: this.leadForecasts };
  }
}

/** The policy's spec, its models loaded. */
export async function forecastQuantile(config: PredictiveConfig = PREDICTIVE_DEFAULTS): Promise<PolicySpec> {
  const models = await loadForecasters(config.models);
  return { name: 'forecast', create: (env) => new PredictivePolicy(env, models, config) };
}
