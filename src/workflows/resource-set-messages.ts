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
  /** What `stable` was before the last change: what a rollback re-applies. */
  previous: Release | null;
  rolloutOptions: RolloutOptions;
  /** Rollouts this loop started, numbering their workflow ids. */
  rollouts: number;
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
export const setPolicyUpdate = defineUpdate<ResourceSetSpec, [PolicyPatch]>('setPolicy');
export const scaleToUpdate = defineUpdate<{ count: number; expiresAt: string }, [{ count: number; ttlSeconds: number }]>('scaleTo');
export const stateQuery = defineQuery<ResourceSetState>('state');
/** Points the set at a release; the loop rolls it out. Answers the new configuration state. */
export const setReleaseUpdate = defineUpdate<ConfigState, [{ release: Release; rollout?: RolloutOptionsInput }]>('setRelease');
/** During a rollout: aborts it (every touched instance goes back); after one: re-applies the previous release. */
export const rollbackSignal = defineSignal<[{ mode: RevertMode }]>('rollback');
