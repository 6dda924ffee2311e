import type { AppConfig } from '../../domain/app-config.js';

/**
 * What becomes of a configuration recommendation, per resource set. 'auto': the resource-set
 * workflow's reconfigure step acts on it — a tuning trial or the tuned parameters go out as a
 * child rollout (new config version through the agents), an instance type as a replacement
 * rollout (surge first). 'recommend': it is recorded with the decision, with its expected gain,
 * for a person to apply through the API. Either way nothing skips the canary judge.
 */
export type ApplyMode = 'auto' | 'recommend';

export interface RecommendationPolicy {
  readonly mode: ApplyMode;
  /** Below this expected relative gain a change is recorded, never rolled out: a rollout has its own risk and cost. */
  readonly minExpectedGain: number;
  /** Canary trials one tuning campaign may run. */
  readonly maxTrials: number;
}

export const DEFAULT_RECOMMENDATION_POLICY: RecommendationPolicy = { mode: 'recommend', minExpectedGain: 0.05, maxTrials: 10 };

export type Recommendation =
  | {
    readonly kind: 'tuning-trial' | 'app-params';
    readonly params: AppConfig['params'];
    /**
     * Relative gain in capacity per dollar: for a trial the tuner's expected improvement (× its
     * probability of passing the judge), for tuned parameters the measured gain over what runs.
     */
    readonly expectedGain: number;
    readonly reason: string;
  }
  | {
    readonly kind: 'instance-type';
    readonly instanceType: string;
    /** Saving as a share of the fleet's $/h at the current demand. */
    readonly expectedGain: number;
    readonly expectedSavingPerHour: number;
    readonly reason: string;
  };

export type Disposition = 'rollout' | 'record';

export function disposition(policy: RecommendationPolicy, recommendation: Recommendation): Disposition {
  return policy.mode === 'auto' && recommendation.expectedGain >= policy.minExpectedGain ? 'rollout' : 'record';
}
