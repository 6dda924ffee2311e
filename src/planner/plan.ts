import type { ScalingPolicy } from '../domain/resource-set.js';
import type { CalibratedPoint, Forecast, QuantileName } from '../forecast/types.js';
import { reactiveDesired, stabilise } from './reactive.js';

/** Which rule set the count. */
export type PlanRule = 'manual' | 'predictive' | 'reactive' | 'minimum' | 'maximum' | 'stabilisation' | 'step-limit';

/** A recommendation remembered for the scale-in stabilisation window. */
export interface Recommendation {
  /** Epoch seconds. */
  at: number;
  count: number;
}

export interface PlanInput {
  /** Epoch seconds. */
  now: number;
  minInstances: number;
  maxInstances: number;
  policy: ScalingPolicy;
  /** Instances that exist and are not being removed (running or still booting). */
  current: number;
  /** Instances serving traffic. */
  ready: number;
  /** Requests per second per ready instance, now; null without a reading. */
  loadPerReadyInstance: number | null;
  /** Requests per second one instance serves within the SLO. */
  capacityPerInstance: number;
  forecast: Forecast | null;
  /** False when model selection judged the series unpredictable: the plan then leans on the reactive rule. */
  forecastTrusted: boolean;
  /** The quantile provisioned for; higher means fewer shortages and more cost. */
  quantile?: QuantileName;
  recommendations: readonly Recommendation[];
  override: { count: number; expiresAt: number } | null;
  /**
   * The operating point self-calibration chose on the set's history: it sets the utilisation and
   * the scale-in hold, and what joins the reactive rule: the forecast's quantile, the hourly
   * seasonal profile, or nothing. Absent: the policy's own settings and the forecast.
   */
  calibration?: CalibratedPoint | null;
}

export interface Plan {
  desired: number;
  /** The unstabilised recommendation, to remember for later plans' stabilisation window. */
  recommendation: number;
  rule: PlanRule;
  predictive: number | null;
  reactive: number;
  /** People-readable: which rule won and by how much. */
  reasons: string[];
}

const clamp = (n: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, n));

/** Peak of the forecast's quantile over the steps that overlap [from, to). */
export function peakDemand(
  forecast: Pick<Forecast, 'start' | 'stepSeconds' | 'quantiles'>,
  quantile: QuantileName,
  from: number,
  to: number,
): number | null {
  const values = forecast.quantiles[quantile];
  let peak: number | null = null;
  values.forEach((v, i) => {
    const start = forecast.start + i * forecast.stepSeconds;
    if (start < to && start + forecast.stepSeconds > from) peak = Math.max(peak ?? 0, v);
  });
  return peak;
}

/**
 * The scaling decision. Desired = the forecast's upper quantile at its peak over the lead time plus
 * one loop interval, divided by what an instance serves at the target utilisation — never below
 * the reactive (Kubernetes HPA) rule on current load, clamped to min/max; scale-in waits out the
 * stabilisation window and removes at most maxScaleInStep at a time; a manual override wins while
 * it lasts. Pure: same input, same plan.
 */
export function plan(input: PlanInput): Plan {
  const { now, current, minInstances, maxInstances, calibration } = input;
  const policy = calibration
    ? {
        ...input.policy,
        targetUtilization: calibration.target,
        scaleInStabilizationSeconds: calibration.holdMinutes * 60,
      }
    : input.policy;
  const reasons: string[] = [];
  const perInstance = input.capacityPerInstance * policy.targetUtilization;

  const reactivePlan = reactiveDesired({
    ready: input.ready,
    current,
    metric: input.loadPerReadyInstance === null ? NaN : input.loadPerReadyInstance / input.capacityPerInstance,
    target: policy.targetUtilization,
  });
  const reactive = reactivePlan.desired;
  reasons.push(
    reactivePlan.reason === 'no-metric'
      ? `reactive: no load reading, keeps ${current}`
      : `reactive: utilisation ${(reactivePlan.ratio * policy.targetUtilization * 100).toFixed(0)}% vs target ${(policy.targetUtilization * 100).toFixed(0)}% → ${reactive}`,
  );

  let predictive: number | null = null;
  const fromForecast = (quantile: QuantileName): void => {
    if (!input.forecast || !input.forecastTrusted) {
      reasons.push(
        input.forecast
          ? 'predictive: forecast not trusted for this series; reactive only'
          : 'predictive: no forecast yet; reactive only',
      );
      return;
    }
    const horizonEnd = now + policy.leadTimeSeconds + policy.intervalSeconds;
    const peak = peakDemand(input.forecast, quantile, now, horizonEnd);
    if (peak === null) {
      reasons.push('predictive: the forecast does not cover the lead time; reactive only');
      return;
    }
    predictive = Math.ceil(peak / perInstance);
    reasons.push(
      `predictive: ${input.forecast.model} ${quantile} peak ${peak.toFixed(1)} req/s within ${policy.leadTimeSeconds + policy.intervalSeconds} s ÷ ${perInstance.toFixed(1)} req/s per instance → ${predictive}`,
    );
  };
  if (!calibration) {
    fromForecast(input.quantile ?? 'p95');
  } else {
    reasons.push(
      `calibrated ${new Date(calibration.calibratedAt * 1000).toISOString().slice(0, 10)}: ${calibration.summary}`,
    );
    if (calibration.rule === 'forecast') {
      fromForecast(calibration.quantile ?? 'p95');
    } else if (calibration.rule === 'seasonal' && calibration.seasonalDemand !== null) {
      predictive = Math.ceil(calibration.seasonalDemand / perInstance);
      reasons.push(
        `predictive: seasonal profile ${calibration.seasonalDemand.toFixed(1)} req/s for the hour ${policy.leadTimeSeconds} s ahead ÷ ${perInstance.toFixed(1)} req/s per instance → ${predictive}`,
      );
    } else {
      reasons.push(
        calibration.rule === 'seasonal'
          ? 'predictive: no seasonal profile for that hour yet; reactive only'
          : 'predictive: calibration chose the reactive rule',
      );
    }
  }

  if (input.override && input.override.expiresAt > now) {
    const desired = clamp(input.override.count, minInstances, maxInstances);
    reasons.unshift(`manual: ${desired} until ${new Date(input.override.expiresAt * 1000).toISOString()}`);
    return { desired, recommendation: desired, rule: 'manual', predictive, reactive, reasons };
  }

  let rule: PlanRule = predictive !== null && predictive > reactive ? 'predictive' : 'reactive';
  const raw = Math.max(predictive ?? 0, reactive);
  if (predictive !== null) {
    reasons.unshift(
      rule === 'predictive'
        ? `predictive wins: ${predictive} vs reactive ${reactive} (+${predictive - reactive})`
        : `reactive wins: ${reactive} vs predictive ${predictive} (+${reactive - predictive})`,
    );
  }
  let desired = clamp(raw, minInstances, maxInstances);
  if (desired !== raw) {
    rule = desired > raw ? 'minimum' : 'maximum';
    reasons.unshift(`${rule === 'minimum' ? 'minInstances' : 'maxInstances'} ${desired} overrides ${raw}`);
  }
  const recommendation = desired;

  if (desired < current) {
    const window = input.recommendations
      .filter((r) => r.at > now - policy.scaleInStabilizationSeconds)
      .map((r) => r.count);
    const stabilised = stabilise(current, desired, [...window, desired]);
    if (stabilised.count > desired) {
      reasons.unshift(
        `stabilisation: a recommendation of ${stabilised.count} within the last ${policy.scaleInStabilizationSeconds} s holds scale-in`,
      );
      rule = 'stabilisation';
      desired = stabilised.count;
    }
    if (desired < current - policy.maxScaleInStep) {
      desired = current - policy.maxScaleInStep;
      rule = 'step-limit';
      reasons.unshift(`step limit: removes at most ${policy.maxScaleInStep} at a time`);
    }
    // The bounds are absolute: a lowered maxInstances is met at once, not in steps.
    if (desired > maxInstances) {
      desired = maxInstances;
      rule = 'maximum';
    }
  }
  return { desired, recommendation, rule, predictive, reactive, reasons };
}
