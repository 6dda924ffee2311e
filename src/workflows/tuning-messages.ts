import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { StepVerdict } from '../activities/types.js';
import type { ConfigurationPolicy } from '../domain/resource-set.js';
import type { Release } from '../config/release.js';
import type { Params, SearchSpace } from '../config/recommend/space.js';
import type { RolloutOptions } from '../config/rollout-options.js';

export const tuningObjectives = ['latencyP95'] as const;
/** Each trial bakes a canary for minutes: more than this is a session of hours. */
export const MAX_TUNING_TRIALS = 20;
export type TuningObjective = (typeof tuningObjectives)[number];

/** What the API asks the resource-set workflow for; the space is already resolved and checked. */
export interface TuningRequest {
  space: SearchSpace;
  trials: number;
  /** Judged time per trial; absent: the set's rollout options' bakeSeconds. */
  bakeSeconds?: number;
  objective: TuningObjective;
}

export interface TuningInput {
  /** The tuning workflow's id; also its row in the tuning_sessions table. */
  id: string;
  target: { resourceSetId: string; provider: 'local' | 'aws'; providerRef?: string | undefined };
  /** What the set runs: every trial is a change of its parameters only, and every canary goes back to it. */
  stable: Release;
  space: SearchSpace;
  trials: number;
  objective: TuningObjective;
  /** The set's rollout options (bakeSeconds as asked): how a trial's canary is warmed up, baked and judged. */
  rollout: RolloutOptions;
  slo: { latencyP95Ms: number; errorRate: number };
  /** Whether the best configuration is rolled out ('auto', with enough gain) or only listed. */
  policy: Pick<ConfigurationPolicy, 'mode' | 'minExpectedGain'>;
}

export type TuningStatus = 'running' | 'completed' | 'aborted' | 'failed';

export interface TuningTrial {
  index: number;
  /** The tuned parameters only; the others stay as the stable release has them. */
  params: Params;
  basis: 'space-filling' | 'expected-improvement';
  /** The tuner's expected relative gain of the objective (EI × P(safe)); null while filling the space. */
  predictedGain: number | null;
  release: { template: string; version: number; revision: number } | null;
  canary: string | null;
  baseline: string[];
  verdict: StepVerdict | null;
  /** Request-weighted p95 latency over the judged window (median of its intervals), from the metric store. */
  canaryP95Ms: number | null;
  baselineP95Ms: number | null;
  /** Measured: baseline p95 ÷ canary p95 − 1 (+0.2 is 20% more responsive); null when unsafe or unmeasured. */
  gain: number | null;
  safe: boolean;
  note: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** What the `progress` query answers, and what the tuning_sessions table keeps. */
export interface TuningProgress {
  id: string;
  resourceSetId: string;
  status: TuningStatus;
  /** Paused by the rollout's pause signal: the bake clock of the trial under way stands still, and no next trial starts. */
  paused: boolean;
  objective: TuningObjective;
  space: SearchSpace;
  stable: Release;
  trialsPlanned: number;
  trials: TuningTrial[];
  best: { trial: number; params: Params; gain: number } | null;
  recommendation: { id: number; status: string; expectedGain: number; applied: Release | null } | null;
  events: { at: string; message: string }[];
  startedAt: string;
  finishedAt: string | null;
  reason: string | null;
}

export interface TuningResult {
  outcome: Exclude<TuningStatus, 'running'>;
  /** In 'auto' with enough gain, the tuned release for the set to roll out; else null. */
  winner: Release | null;
  promotion: RolloutOptions;
  reason: string;
}

/** Ends the session after the trial under way (its canary goes back first); same name as a rollout's abort. */
export const abortTuningSignal = defineSignal<[{ reason?: string }?]>('abort');
export const tuningProgressQuery = defineQuery<TuningProgress>('progress');
/** Sent to the resource-set workflow: starts a tuning session when no rollout, experiment or session runs. */
export const startTuningUpdate = defineUpdate<{ workflowId: string }, [TuningRequest]>('startTuning');
