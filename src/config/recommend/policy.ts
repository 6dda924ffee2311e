import type { AppConfig } from '../../domain/app-config.js';
import { configurationPolicySchema, type ConfigurationPolicy } from '../../domain/resource-set.js';

/**
 * What becomes of a configuration recommendation is the resource set's `policy.configuration`
 * (src/domain/resource-set.ts). 'auto': the resource-set workflow's reconfigure step rolls it out
 * — a new template version through the staged canary rollout, an instance type as a replacement
 * rollout (surge first). 'recommend': it is listed with its expected gain, for an operator to
 * apply through the API. 'off': none is made. Either way nothing skips the canary judge.
 */
export type RecommendationPolicy = ConfigurationPolicy;

export const DEFAULT_RECOMMENDATION_POLICY: RecommendationPolicy = configurationPolicySchema.parse({});

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

export function disposition(
  policy: Pick<RecommendationPolicy, 'mode' | 'minExpectedGain'>,
  recommendation: Recommendation,
): Disposition {
  return policy.mode === 'auto' && recommendation.expectedGain >= policy.minExpectedGain ? 'rollout' : 'record';
}
