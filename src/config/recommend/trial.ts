import type { Verdict } from '../../canary/judge.js';
import type { Observation } from './observation.js';
import type { Params } from './space.js';

export interface TrialOutcome {
  readonly params: Params;
  /** The judge's last verdict on the trial's canary (after any extended bake). */
  readonly verdict: Verdict;
  /** Requests/s per instance within the SLO, learned for the trial's config version by the capacity model. */
  readonly capacity: number | null;
  /** $/h of one instance running the trial's parameters. */
  readonly hourlyCost: number;
  /** The canary's p95 over the baseline's in the trial's window, when measured (Observation.latencyRatio). */
  readonly latencyRatio?: number;
}

/**
 * A trial as the tuner sees it. Only a pass counts as safe: a marginal verdict that stayed
 * marginal after the longer bake was rolled back, as src/canary/rollout-action.ts does. A canary
 * that passed but showed no load at which its capacity could be learned teaches the tuner
 * nothing yet: null, run it longer.
 */
export function observationOfTrial(trial: TrialOutcome): Observation | null {
  const measured = {
    params: trial.params,
    ...(trial.latencyRatio === undefined ? {} : { latencyRatio: trial.latencyRatio }),
  };
  if (trial.verdict !== 'pass') return { ...measured, safe: false, reason: `canary judged ${trial.verdict}` };
  if (trial.capacity === null) return null;
  if (!(trial.capacity > 0)) return { ...measured, safe: false, reason: 'no load is served within the SLO' };
  return { ...measured, safe: true, value: trial.capacity / trial.hourlyCost };
}
