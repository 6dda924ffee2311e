/**
 * The Kubernetes HorizontalPodAutoscaler rule: the reactive floor the predictive planner never goes
 * below, and the baseline it is benchmarked against. Algorithm as documented in
 * https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale/#algorithm-details
 *
 *   ratio   = currentMetricValue / desiredMetricValue
 *   desired = ceil(ratio × readyInstances)      unless |ratio − 1| ≤ tolerance, then current
 *
 * then, with the default behaviour (no scale-up window, a scale-down stabilisation window):
 *
 *   stabilised = desired                               if desired > current
 *              = min(current, max(recommendations))   otherwise
 *
 * where recommendations are the unstabilised desired counts of the window, this one included.
 */

export const DEFAULT_TOLERANCE = 0.1;

export interface ReactiveInput {
  /** Instances the metric is averaged over: Kubernetes ignores pods that are not ready yet. */
  ready: number;
  /** The count kept when the metric is within tolerance (Kubernetes: the scale's replicas). */
  current: number;
  /** Mean metric per ready instance: a utilisation in 0..1, or a per-instance rate. */
  metric: number;
  /** The metric's target, in the same unit. */
  target: number;
  tolerance?: number;
}

export type ReactiveReason = 'no-metric' | 'within-tolerance' | 'above-target' | 'below-target';

export interface ReactivePlan {
  desired: number;
  /** metric ÷ target; NaN when there was no metric to compare. */
  ratio: number;
  reason: ReactiveReason;
}

/** The HPA's unstabilised recommendation. */
export function reactiveDesired(input: ReactiveInput): ReactivePlan {
  const { ready, current, metric, target, tolerance = DEFAULT_TOLERANCE } = input;
  if (!(target > 0)) throw new RangeError(`target must be positive (got ${target})`);
  // Without a ready instance or a reading, Kubernetes skips the scale rather than guess.
  if (ready <= 0 || !Number.isFinite(metric)) return { desired: current, ratio: NaN, reason: 'no-metric' };
  const ratio = metric / target;
  if (Math.abs(ratio - 1) <= tolerance) return { desired: current, ratio, reason: 'within-tolerance' };
  return { desired: Math.ceil(ratio * ready), ratio, reason: ratio > 1 ? 'above-target' : 'below-target' };
}

export type StabilisedReason = 'scale-up' | 'scale-down' | 'unchanged' | 'held-by-stabilisation';

export interface StabilisedPlan {
  count: number;
  reason: StabilisedReason;
}

/**
 * Applies the scale-down stabilisation window to `desired`. `recommendations` are the window's
 * unstabilised recommendations, `desired` included; scale-up is never delayed.
 */
export function stabilise(current: number, desired: number, recommendations: Iterable<number>): StabilisedPlan {
  if (desired > current) return { count: desired, reason: 'scale-up' };
  let highest = desired;
  for (const r of recommendations) if (r > highest) highest = r;
  const count = Math.min(current, highest);
  if (count < current) return { count, reason: 'scale-down' };
  return { count, reason: desired < current ? 'held-by-stabilisation' : 'unchanged' };
}
