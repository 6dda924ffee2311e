import type { Verdict } from './judge.js';

export type StepAction = 'promote' | 'extend-bake' | 'rollback';

/**
 * What a rollout step does with a verdict: a marginal run earns one longer look, since more
 * samples narrow the intervals and usually settle it; marginal again, or fail, rolls back.
 */
export function nextStepAction(verdict: Verdict, bakeAlreadyExtended: boolean): StepAction {
  if (verdict === 'pass') return 'promote';
  return verdict === 'marginal' && !bakeAlreadyExtended ? 'extend-bake' : 'rollback';
}
