// Pure: turns a recommendation into the template body that carries it out.
import type { Release } from '../release.js';
import type { TemplateBody } from '../template.js';
import type { Recommendation } from './policy.js';
import type { RightSizeResult } from './right-size.js';

/** Recommendations become versions of this template, one per resource set. */
export const recommendedTemplate = (resourceSetId: string): string => `${resourceSetId}-recommended`;

/** The release that runs now, with the recommendation's change and nothing else. */
export function bodyFor(stable: Release, recommendation: Recommendation): TemplateBody {
  const softwareVersion = stable.image.split(':')[1] ?? 'v1';
  const base = { instanceType: stable.instanceType, softwareVersion, params: stable.params };
  return recommendation.kind === 'instance-type'
    ? { ...base, instanceType: recommendation.instanceType }
    : { ...base, params: recommendation.params };
}

/**
 * Names one proposal for one running release: the same proposal made again is the same
 * recommendation (listed once, applied at most once), while a proposal against a release that
 * has since changed is a new one.
 */
export function fingerprint(stable: Release, recommendation: Recommendation): string {
  const change =
    recommendation.kind === 'instance-type' ? recommendation.instanceType : JSON.stringify(recommendation.params);
  return `${stable.revision}/${recommendation.kind}/${change}`;
}

/** A right-sizing result as a recommendation, or null when staying is best. */
export function instanceTypeRecommendation(
  result: RightSizeResult,
  current: string,
): Extract<Recommendation, { kind: 'instance-type' }> | null {
  const now = result.costs.find((c) => c.instanceType === current);
  if (!result.recommended || !now || !(now.fleetCostPerHour > 0)) return null;
  return {
    kind: 'instance-type',
    instanceType: result.recommended,
    expectedSavingPerHour: result.expectedSavingPerHour,
    expectedGain: result.expectedSavingPerHour / now.fleetCostPerHour,
    reason: result.reason,
  };
}
