import type { Policy, PolicyEnv } from './policy.js';
import { AwsPredictivePolicy } from './policies/aws.js';
import { HpaPolicy, STABILISATION_MINUTES } from './policies/hpa.js';

/**
 * One way of scaling, at one utilisation: what self-calibration chooses between.
 * - `reactive`: the HPA rule alone at `target`;
 * - `seasonal`: an hourly seasonal profile (each hour the mean of the same hour over the last 7
 *   days, scheduled ahead of the hour) combined with the HPA rule by max — AWS predictive scaling's
 *   strategy — both at `target`.
 */
export interface OperatingPoint {
  rule: 'reactive' | 'seasonal';
  target: number;
  /** Minutes of recommendations a scale-in waits out (the HPA's stabilisation window). */
  holdMinutes: number;
}

export function describePoint(point: OperatingPoint): string {
  return `${point.rule} at ${point.target.toFixed(2)}, scale-in after ${point.holdMinutes} min`;
}

export function samePoint(a: OperatingPoint, b: OperatingPoint): boolean {
  return a.rule === b.rule && a.target === b.target && a.holdMinutes === b.holdMinutes;
}

/** The HPA at a target, as Kubernetes runs it by default. */
export const reactivePoint = (target: number): OperatingPoint => ({ rule: 'reactive', target, holdMinutes: STABILISATION_MINUTES });

/** A fresh policy that scales at this point. */
export function pointPolicy(point: OperatingPoint, env: PolicyEnv): Policy {
  const at = { ...env, target: point.target };
  return point.rule === 'reactive' ? new HpaPolicy(at, point.holdMinutes) : new AwsPredictivePolicy(at, point.holdMinutes);
}

const TARGETS = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];
const HOLDS = [STABILISATION_MINUTES, 20];

/** Every rule at every utilisation from 0.5 to 0.95 and scale-in hold: the candidates calibration compares. */
export const CANDIDATE_POINTS: readonly OperatingPoint[] = (['reactive', 'seasonal'] as const)
  .flatMap((rule) => HOLDS.flatMap((holdMinutes) => TARGETS.map((target) => ({ rule, target, holdMinutes }))));
