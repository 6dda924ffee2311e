import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Release } from '../config/release.js';
import type { RolloutOptions, RolloutOptionsInput } from '../config/rollout-options.js';
import type { Condition, LoopConditionType } from '../domain/conditions.js';
import type { PolicyPatch, ResourceSetSpec } from '../domain/resource-set.js';
import type { PlanRule, Recommendation } from '../planner/plan.js';
import type { RevertMode, RolloutKind } from './rollout-messages.js';

export type ResourceSetRunState = 'running' | 'paused' | 'stopping';

export interface DecisionSummary {
  iteration: number;
  decidedAt: string;
  desired: number;
  current: number;
  rule: PlanRule;
  reasons: string[];
  model: string | null;
  /** Instances the forecast called for; absent in decisions from before it was kept. */
  predictive?: number | null;
}

/** Which configuration the set runs and points at. */
export interface ConfigState {
  /** What new instances get, and what the fleet is kept on while no rollout runs. */
  stable: Release;
  /** What the set points at: a rollout starts whenever it differs from `stable`. */
  desired: Release;
  /** What `stable` was before the last change. */
  previous: Release | null;
  rolloutOptions: RolloutOptions;
  /** Rollouts this loop started, numbering their workflow ids. */
  rollouts: number;
  /** Releases the set ran as stable, newest first: what a rollback may go back to. Absent in states carried from before it was kept. */
  history?: Release[];
  /** The last rollback asked for through the update; absent before the first. */
  rollback?: RollbackRecord;
}

/** A rollback as decided when first asked for: every repeat is answered with it. */
export interface RollbackRecord {
  /** What is rolled back: the rollout's target when one was under way, else the stable release. */
  from: Release;
  to: Release;
  mode: RevertMode;
  requestedAt: string;
  /** The rollout, experiment or tuning session it aborted. */
  abortedRollout: string | null;
  /** The rollback rollout's workflow id; null when aborting `abortedRollout` alone puts the fleet back on `to`. */
  workflowId: string | null;
}

/** under-way until the fleet is back; done once `to` is stable; failed when it ended and `to` is not. */
export type RollbackStatus = 'under-way' | 'done' | 'failed';

export interface RollbackRequest {
  mode?: RevertMode;
  /** Default: the last release the set ran as stable before the current one (or, during a rollout, the stable one). */
  toRevision?: number;
}

export interface RollbackAnswer extends RollbackRecord {
  status: RollbackStatus;
  /** True when an earlier request already asked for this rollback: nothing new was started. */
  repeated: boolean;
}

export interface ActiveRollout {
  workflowId: string;
  /** An A/B experiment holds the set's one configuration change too: `from` is its A, `to` its B. */
  kind: RolloutKind | 'experiment' | 'tuning';
  from: Release;
  to: Release;
  startedAt: string;
}

/** The loop's memory, carried across continue-as-new: plain JSON only. */
export interface CarriedState {
  spec: ResourceSetSpec;
  /** The stored version of `spec` (the resource set row's); absent until a `policySpecSignal` set it. */
  specVersion?: number;
  paused: boolean;
  iteration: number;
  currentInstances: number | null;
  desiredInstances: number | null;
  override: { count: number; expiresAt: number } | null;
  recommendations: Recommendation[];
  lastDecision: DecisionSummary | null;
  /** Absent in states carried by runs from before rollouts existed. */
  config?: ConfigState;
  /** How the loop's last iteration went; absent until one ran (and in runs from before conditions). */
  conditions?: Condition<LoopConditionType>[];
}

/** What the `state` query answers. */
export interface ResourceSetState extends CarriedState {
  state: ResourceSetRunState;
  config: ConfigState;
  activeRollout: ActiveRollout | null;
}

export const pauseSignal = defineSignal<[{ reason?: string }?]>('pause');
export const resumeSignal = defineSignal('resume');
/** Ends the loop; with deprovision, after removing every instance. */
export const stopSignal = defineSignal<[{ deprovision: boolean }]>('stop');
/**
 * The policy change of API processes from before `policySpecSignal`, kept so they and running
 * workflows' histories still work: with `ifMatch` (an If-Match header), refused unless it names
 * the spec's current tag (`specTag`). An update waits for a worker to take it.
 */
export const setPolicyUpdate = defineUpdate<ResourceSetSpec, [PolicyPatch, { ifMatch?: string }?]>('setPolicy');
/**
 * The spec the API stored (validated and compare-and-set there) with its version: a signal waits
 * for no worker, and the loop takes it only when it is newer than the one it holds, so a late,
 * repeated or reordered signal changes nothing.
 */
export const policySpecSignal = defineSignal<[{ spec: ResourceSetSpec; version: number }]>('policySpec');
export const scaleToUpdate = defineUpdate<
  { count: number; expiresAt: string },
  [{ count: number; ttlSeconds: number }]
>('scaleTo');
export const stateQuery = defineQuery<ResourceSetState>('state');
/** Points the set at a release; the loop rolls it out. Answers the new configuration state. */
export const setReleaseUpdate = defineUpdate<ConfigState, [{ release: Release; rollout?: RolloutOptionsInput }]>(
  'setRelease',
);
/**
 * The rollback of runs from before `rollbackUpdate`: kept so their signals are still handled
 * (newer runs treat it as the update with its defaults).
 */
export const rollbackSignal = defineSignal<[{ mode: RevertMode }]>('rollback');
/** Rolls back once, however often asked: a repeat answers the rollback already decided. */
export const rollbackUpdate = defineUpdate<RollbackAnswer, [RollbackRequest]>('requestRollback');
/** A validator's refusal because the set already runs what was asked for, or has nothing to go back to: the API answers 409. */
export const NOTHING_TO_ROLL_BACK = 'nothing to roll back:';
