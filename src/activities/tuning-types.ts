// The tuning session's activity contracts, imported by workflows as types only.
import type { Release } from '../config/release.js';
import type { Observation } from '../config/recommend/observation.js';
import type { Proposal } from '../config/recommend/tuner.js';
import type { Params, SearchSpace } from '../config/recommend/space.js';
import type { ConfigurationPolicy } from '../domain/resource-set.js';
import type { ProgressSnapshot } from '../store/progress-snapshots.js';
import type { AnalyseStepInput, StepVerdict } from './types.js';

export interface ProposeTrialInput {
  space: SearchSpace;
  observations: Observation[];
  /** Seeds the tuner's random draws: the same session and trial propose the same point on a retry. */
  seed: number;
  /** The judge's allowance on canary ÷ baseline p95; absent from sessions started before it was sent. */
  latencyAllowedIncrease?: number;
}

export interface TrialReleaseInput {
  resourceSetId: string;
  stable: Release;
  /** The tuned parameters; the others are the stable release's. */
  params: Params;
}

export interface JudgedTrial {
  verdict: StepVerdict;
  /** Request-weighted p95 over the window, the median of its intervals; null without samples. */
  canaryP95Ms: number | null;
  baselineP95Ms: number | null;
}

export interface RecommendTunedInput {
  resourceSetId: string;
  stable: Release;
  params: Params;
  expectedGain: number;
  reason: string;
  policy: Pick<ConfigurationPolicy, 'mode' | 'minExpectedGain'>;
}

export interface RecommendTunedResult {
  id: number;
  status: string;
  /** The template version to roll out ('auto' with enough gain, and not applied before); else null. */
  rollout: Release | null;
}

/** A session's progress snapshot, kept as experiments keep theirs. */
export type TuningRecord = ProgressSnapshot;

export interface TuningActivities {
  /** The tuner's next point (pure, CPU only): run as a local activity so its result is recorded, not recomputed on replay. */
  proposeTrial(input: ProposeTrialInput): Promise<Proposal>;
  /** The stable release with the trial's parameters, as a version of the set's tuning template (same parameters, same version). */
  trialRelease(input: TrialReleaseInput): Promise<Release>;
  /** Waits for the window's samples, judges canary against baseline as a rollout step does, and measures both sides' p95. */
  judgeTrial(input: AnalyseStepInput): Promise<JudgedTrial>;
  /** Records the best configuration as an `app-params` recommendation; in 'auto' with enough gain, makes it a version to roll out. */
  recommendTuned(input: RecommendTunedInput): Promise<RecommendTunedResult>;
  recordTuning(record: TuningRecord): Promise<void>;
}
