import type { Verdict } from './judge.js';

/** 'wait': no evidence yet, bake once more; 'pause': still none after the limit, an operator decides. */
export type StepAction = 'promote' | 'extend-bake' | 'rollback' | 'wait' | 'pause';

/**
 * What a rollout step does with a verdict, given what its earlier analyses did: a marginal run
 * earns one longer look, since more samples narrow the intervals and usually settle it; marginal
 * again, or fail, rolls back. An inconclusive run (no data, e.g. no traffic) is no evidence for
 * either, so it neither promotes nor rolls back: the step waits up to `inconclusiveLimit` more
 * bakes in a row, then pauses for an operator; after a resume the count starts again.
 */
export function nextStepAction(
  verdict: Verdict,
  previous: readonly StepAction[],
  inconclusiveLimit: number,
): StepAction {
  if (verdict === 'pass') return 'promote';
  if (verdict === 'inconclusive') {
    let waited = 0;
    while (previous[previous.length - 1 - waited] === 'wait') waited += 1;
    return waited < inconclusiveLimit ? 'wait' : 'pause';
  }
  return verdict === 'marginal' && !previous.includes('extend-bake') ? 'extend-bake' : 'rollback';
}
