import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { FleetTarget, StepVerdict } from '../activities/types.js';
import type { Release } from '../config/release.js';
import type { ExperimentRequestBody } from '../config/experiment-options.js';
import type { RolloutOptions } from '../config/rollout-options.js';
import type { RevertMode } from './rollout-messages.js';

/** How an A/B experiment is held and judged (src/config/experiment-options.ts says what each field means). */
export type ExperimentOptions = Omit<ExperimentRequestBody, 'a' | 'b'>;

export interface ExperimentInput {
  /** The experiment workflow's id; also its row in the experiments table. */
  id: string;
  target: FleetTarget;
  a: Release;
  b: Release;
  options: ExperimentOptions;
}

export type ExperimentStatus =
  'placing' | 'holding' | 'judging' | 'reverting' | 'a-kept' | 'b-won' | 'aborted' | 'failed';
export type ExperimentOutcome = Extract<ExperimentStatus, 'a-kept' | 'b-won' | 'aborted' | 'failed'>;

export interface ExperimentResult {
  outcome: ExperimentOutcome;
  /** The release the set should then run everywhere; null when the experiment ended without one. */
  winner: Release | null;
  /** How the winner is rolled out (the experiment's promotion options). */
  promotion: RolloutOptions;
  reason: string;
}

/** The judge's comparison of B (as the canary) against A (as the baseline), and who won. */
export interface ExperimentVerdict extends StepVerdict {
  winner: 'a' | 'b';
  /** Judged window, ISO 8601, and the instances that were on each side in it. */
  from: string;
  to: string;
  a: string[];
  b: string[];
}

/** What the `progress` query answers, and what the experiments table keeps. */
export interface ExperimentProgress {
  id: string;
  resourceSetId: string;
  a: Release;
  b: Release;
  options: ExperimentOptions;
  status: ExperimentStatus;
  /** Paused by the rollout's pause signal: the hold clock stands still and no instance moves. */
  paused: boolean;
  /** Serving instances on each version at the last check. */
  groups: { a: string[]; b: string[] };
  /** When the hold ends if not paused again; null while paused. */
  holdUntil: string | null;
  verdict: ExperimentVerdict | null;
  /** Signals received, groups rebalanced, decisions taken; oldest first. */
  events: { at: string; message: string }[];
  startedAt: string;
  finishedAt: string | null;
  reason: string | null;
}

/** The request the resource-set workflow receives; it answers the experiment's workflow id. */
export interface ExperimentRequest {
  a: Release;
  b: Release;
  options: ExperimentOptions;
}

/** Ends the hold now and judges on what was observed so far. */
export const concludeExperimentSignal = defineSignal('conclude');
/** Skips the judgement: B wins and is rolled out. */
export const promoteExperimentSignal = defineSignal('promote');
/** Ends the experiment: A is kept and every B instance goes back to it (same name as a rollout's abort). */
export const abortExperimentSignal = defineSignal<[{ mode?: RevertMode; reason?: string }?]>('abort');
export const experimentProgressQuery = defineQuery<ExperimentProgress>('progress');
/** Sent to the resource-set workflow: starts an A/B experiment when no rollout or experiment runs. */
export const startExperimentUpdate = defineUpdate<{ workflowId: string }, [ExperimentRequest]>('startExperiment');
/** Prefix of the update validator's rejection when a rollout or an experiment already runs (the API answers 409). */
export const BUSY = 'busy:';
