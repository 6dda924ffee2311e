import type { LeadPeaks, LeadQuantile } from '../lead-forecasts.js';
import type { Observation, Policy, PolicyEnv } from '../policy.js';
import { HpaPolicy } from './hpa.js';

/**
 * The planner's forecast rule as an operating point: enough instances for the forecaster's
 * quantile peak over the lead time at the target utilisation, with the HPA rule beneath it (by
 * max) for what the forecast misses; the HPA alone while the forecast is not trusted.
 */
export class ForecastRulePolicy implements Policy {
  private readonly hpa: HpaPolicy;

  constructor(
    private readonly env: PolicyEnv,
    holdMinutes: number,
    private readonly quantile: LeadQuantile,
    private readonly leads: LeadPeaks,
  ) {
    this.hpa = new HpaPolicy(env, holdMinutes);
  }

  decide(now: Observation): number {
    const reactive = this.hpa.decide(now);
    const peak = this.leads.peak(this.quantile, this.env.startTime + now.minute);
    return Number.isNaN(peak) ? reactive : Math.max(reactive, Math.ceil(peak / (this.env.capacity * this.env.target)));
  }
}
