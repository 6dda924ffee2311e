// Pure and deterministic: the API checks a PATCH …/policy with it before storing the new spec, and
// the workflow's older `setPolicy` update (still answered for callers from before) validates with it.
import { applyPolicyPatch, type PolicyPatch, type ResourceSetSpec } from './resource-set.js';
import { ifMatches, specTag } from './spec-tag.js';

/** How a refusal because If-Match names another version of the spec starts: the API answers 412. */
export const STALE_SPEC = 'precondition failed:';

export class StaleSpecError extends Error {
  override name = 'StaleSpecError';
}

/**
 * The spec a policy patch makes of `spec`. With `ifMatch` (an If-Match header) it is refused with
 * a StaleSpecError unless it names the spec's tag (`specTag`); an invalid patch throws an Error
 * naming each bad field.
 */
export function changePolicy(spec: ResourceSetSpec, patch: PolicyPatch, ifMatch?: string): ResourceSetSpec {
  if (ifMatch !== undefined) {
    const tag = specTag(spec);
    if (!ifMatches(ifMatch, tag))
      throw new StaleSpecError(`${STALE_SPEC} If-Match ${ifMatch} is not the spec's current ETag ${tag}`);
  }
  return applyPolicyPatch(spec, patch);
}
