import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { FleetTarget, StepVerdict } from '../activities/types.js';
import type { StepAction } from '../canary/rollout-action.js';
import type { Release } from '../config/release.js';
import type { RolloutOptions, RolloutStep } from '../config/rollout-options.js';

/** A rollback re-applies the previous version step by step ('staged') or everywhere at once. */
export type RevertMode = 'staged' | 'immediate';
export type RolloutKind = 'rollout' | 'rollback';
export type RolloutStatus = 'running' | 'paused' | 'reverting' | 'promoted' | 'rolled-back' | 'aborted' | 'failed';
export type StepPhase = 'forward' | 'promote' | 'revert';

export interface RolloutInput {
  /** The rollout workflow's id; also its row in the rollouts table. */
  id: string;
  target: FleetTarget;
  kind: RolloutKind;
  from: Release;
  to: Release;
  options: RolloutOptions;
  slo: { latencyP95Ms: number; errorRate: number };
}

export interface RolloutResult {
  outcome: Extract<RolloutStatus, 'promoted' | 'rolled-back' | 'aborted' | 'failed'>;
  reason: string;
}

export interface StepAnalysis extends StepVerdict {
  action: StepAction;
  /** Judged window, ISO 8601. */
  from: string;
  to: string;
  canary: string[];
  baseline: string[];
}

export interface StepRecord {
  index: number;
  phase: StepPhase;
  step: RolloutStep;
  /** Running instances when the step began, and how many of them should then run the version. */
  fleet: number;
  target: number;
  startedAt: string;
  /** What applying did: reconfigured in place, replaced (old ids → launched ids), or skipped as gone. */
  applied: { configured: string[]; replaced: string[]; launched: string[]; skipped: string[] } | null;
  analyses: StepAnalysis[];
  error: string | null;
}

/** What the `progress` query answers, and what the rollouts table keeps. */
export interface RolloutProgress {
  id: string;
  resourceSetId: string;
  kind: RolloutKind;
  from: Release;
  to: Release;
  options: RolloutOptions;
  status: RolloutStatus;
  paused: boolean;
  steps: StepRecord[];
  /** Signals received and decisions taken, oldest first. */
  events: { at: string; message: string }[];
  startedAt: string;
  finishedAt: string | null;
  reason: string | null;
}

export const pauseRolloutSignal = defineSignal('pause');
export const resumeRolloutSignal = defineSignal('resume');
/** Skips the remaining analysis: every instance gets the new version now. */
export const promoteRolloutSignal = defineSignal('promote');
/** Rolls back every touched instance to the previous version. */
export const abortRolloutSignal = defineSignal<[{ mode?: RevertMode; reason?: string }?]>('abort');
export const progressQuery = defineQuery<RolloutProgress>('progress');
