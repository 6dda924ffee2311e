import { exactMean } from '../../forecast/exact-sum.js';
import type { DemandHistory, Observation, Policy, PolicyEnv, PolicySpec, StepForecasts } from '../policy.js';
import { HpaPolicy } from './hpa.js';

const HOUR = 60;
const DAY_HOURS = 24;
const HISTORY_DAYS = 7;

/**
 * AWS predictive scaling's shape on top of target tracking: each hour's load is forecast as the
 * mean of the same hour over the last 7 days, the capacity for it at the target utilisation is
 * scheduled to be ready when the hour starts (ordered readyDelay minutes before), and the fleet
 * follows max(scheduled, HPA). Hours are counted from the trace start, as the benchmark's
 * definition does. From day 2 on; with fewer than 7 days of history it averages the days it has.
 */
export class AwsPredictivePolicy implements Policy {
  private readonly hpa: HpaPolicy;
  private readonly forecast: Float64Array;

  /** `stabilisationMinutes`: the HPA rule's scale-in window. */
  constructor(
    private readonly env: PolicyEnv,
    stabilisationMinutes?: number,
  ) {
    this.hpa = new HpaPolicy(env, stabilisationMinutes);
    this.forecast = new Float64Array(Math.ceil(env.minutes / HOUR) + 1).fill(NaN);
  }

  decide(now: Observation): number {
    const reactive = this.hpa.decide(now);
    // Like AWS, which forecasts only once it holds a day of data.
    if (now.minute < DAY_HOURS * HOUR) return reactive;
    const hour = Math.floor((now.minute + this.env.readyDelay) / HOUR);
    const scheduled = Math.ceil(this.forecastFor(hour, now.demand) / (this.env.capacity * this.env.target));
    return Math.max(reactive, scheduled);
  }

  forecasts(): StepForecasts {
    return { stepMinutes: HOUR, values: this.forecast };
  }

  /** Made once per hour, when first asked: the same hour a day earlier is complete by then. */
  private forecastFor(hour: number, demand: DemandHistory): number {
    const made = this.forecast[hour] ?? NaN;
    if (!Number.isNaN(made)) return made;
    const means: number[] = [];
    for (let day = 1; day <= HISTORY_DAYS && hour - day * DAY_HOURS >= 0; day++)
      means.push(hourMean(demand, hour - day * DAY_HOURS));
    const mean = exactMean(means);
    if (hour < this.forecast.length) this.forecast[hour] = mean;
    return mean;
  }
}

/**
 * Each hour's mean demand, kept per demand series: the seasonal points of a calibration replay the
 * same history at ten utilisations, and the mean of a past hour is the same fact for all of them.
 */
const hourMeans = new WeakMap<object, Map<number, number>>();

function hourMean(demand: DemandHistory, hour: number): number {
  let means = hourMeans.get(demand.key);
  if (!means) hourMeans.set(demand.key, (means = new Map<number, number>()));
  let mean = means.get(hour);
  if (mean === undefined) means.set(hour, (mean = exactMean(demand.slice(hour * HOUR, (hour + 1) * HOUR))));
  return mean;
}

export const aws: PolicySpec = { name: 'aws', create: (env) => new AwsPredictivePolicy(env) };
