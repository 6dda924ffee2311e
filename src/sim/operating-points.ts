import { LEAD_QUANTILES, type LeadPeaks, type LeadQuantile } from './lead-forecasts.js';
import type { Policy, PolicyEnv } from './policy.js';
import { AwsPredictivePolicy } from './policies/aws.js';
import { ForecastRulePolicy } from './policies/forecast-rule.js';
import { HpaPolicy, STABILISATION_MINUTES } from './policies/hpa.js';

/**
 * One way of scaling, at one utilisation: what self-calibration chooses between.
 * - `reactive`: the HPA rule alone at `target`;
 * - `seasonal`: an hourly seasonal profile (each hour the mean of the same hour over the last 7
 *   days, scheduled ahead of the hour) combined with the HPA rule by max — AWS predictive scaling's
 *   strategy — both at `target`;
 * - `forecast`: the forecaster's `quantile` peak over the lead time (model selection, nowcast and
 *   calibrated quantiles: src/forecast) combined with the HPA rule by max, both at `target`.
 */
export interface OperatingPoint {
  rule: 'reactive' | 'seasonal' | 'forecast';
  target: number;
  /** Minutes of recommendations a scale-in waits out (the HPA's stabilisation window). */
  holdMinutes: number;
  quantile?: LeadQuantile;
}

export function describePoint(point: OperatingPoint): string {
  const rule = point.rule === 'forecast' ? `${point.quantile} forecast` : point.rule;
  return `${rule} at ${point.target.toFixed(2)}, scale-in after ${point.holdMinutes} min`;
}

export function samePoint(a: OperatingPoint, b: OperatingPoint): boolean {
  return a.rule === b.rule && a.target === b.target && a.holdMinutes === b.holdMinutes && a.quantile === b.quantile;
}

/** The HPA at a target, as Kubernetes runs it by default. */
export const reactivePoint = (target: number): OperatingPoint => ({
  rule: 'reactive',
  target,
  holdMinutes: STABILISATION_MINUTES,
});

/** A fresh policy that scales at this point; a forecast point reads the forecasts made as the run went. */
export function pointPolicy(point: OperatingPoint, env: PolicyEnv, leads?: LeadPeaks): Policy {
  const at = { ...env, target: point.target };
  switch (point.rule) {
    case 'reactive':
      return new HpaPolicy(at, point.holdMinutes);
    case 'seasonal':
      return new AwsPredictivePolicy(at, point.holdMinutes);
    case 'forecast':
      if (!leads || !point.quantile)
        throw new Error(`${describePoint(point)} needs the forecasts made as the run went`);
      return new ForecastRulePolicy(at, point.holdMinutes, point.quantile, leads);
  }
}

const TARGETS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
const HOLDS = [STABILISATION_MINUTES, 20];

/** The reactive and seasonal rules at every utilisation from 0.5 to 0.95 and scale-in hold: they need nothing but the demand. */
export const CANDIDATE_POINTS: readonly OperatingPoint[] = (['reactive', 'seasonal'] as const).flatMap((rule) =>
  HOLDS.flatMap((holdMinutes) => TARGETS.map((target) => ({ rule, target, holdMinutes }))),
);

/** The forecast rule at each lead quantile, utilisation and hold: candidates where the forecasts are kept. */
export const FORECAST_POINTS: readonly OperatingPoint[] = LEAD_QUANTILES.flatMap((quantile) =>
  HOLDS.flatMap((holdMinutes) =>
    TARGETS.map((target) => ({ rule: 'forecast' as const, target, holdMinutes, quantile })),
  ),
);
