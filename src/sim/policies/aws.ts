import type { Observation, Policy, PolicyEnv, PolicySpec, StepForecasts } from '../policy.js';
import { HpaPolicy } from './hpa.js';

const HOUR = 60;
const DAY_HOURS = 24;
const HISTORY_DAYS = 7;

/**
 * AWS predictive scaling's shape on top of target tracking: each hour's load is forecast as the
 * mean of the same hour over the last 7 days, the capacity for it at the target utilisation is
 * scheduled to be ready when the hour starts (ordered readyDelay minutes before), and the fleet
 * follows max(scheduled, HPA). Hours are counted from the trace start, the reading that
 * reproduces the reference figures (it differs from clock hours only on the Twitter trace).
 * With fewer than 7 days of history it averages the days it has.
 */
export class AwsPredictivePolicy implements Policy {
  private readonly hpa: HpaPolicy;
  private readonly hourSums: Float64Array;
  private readonly forecast: Float64Array;

  constructor(private readonly env: PolicyEnv) {
    this.hpa = new HpaPolicy(env);
    const hours = Math.ceil(env.minutes / HOUR) + 1;
    this.hourSums = new Float64Array(hours);
    this.forecast = new Float64Array(hours).fill(NaN);
  }

  decide(now: Observation): number {
    this.hourSums[Math.floor(now.minute / HOUR)]! += now.demand.at(now.minute);
    const reactive = this.hpa.decide(now);
    const hour = Math.floor((now.minute + this.env.readyDelay) / HOUR);
    const load = this.forecastFor(hour);
    return Math.max(reactive, Math.ceil(load / (this.env.capacity * this.env.target)));
  }

  forecasts(): StepForecasts {
    return { stepMinutes: HOUR, values: this.forecast };
  }

  /** Made once per hour, when first asked: the same hour a day earlier is complete by then. */
  private forecastFor(hour: number): number {
    const made = this.forecast[hour];
    if (made === undefined) return 0;
    if (!Number.isNaN(made)) return made;
    let sum = 0;
    let days = 0;
    for (; days < HISTORY_DAYS && hour - (days + 1) * DAY_HOURS >= 0; days++) sum += this.hourSums[hour - (days + 1) * DAY_HOURS]! / HOUR;
    // On the first day there is nothing to forecast from: leave the hour without a forecast.
    if (days === 0) return 0;
    return (this.forecast[hour] = sum / days);
  }
}

export const aws: PolicySpec = { name: 'aws', create: (env) => new AwsPredictivePolicy(env) };
