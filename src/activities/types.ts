// The activities' contracts, imported by workflows as types only (never their implementations).
import type { Verdict } from '../canary/judge.js';
import type { Release, RunningInstance } from '../config/release.js';
import type { AppConfig } from '../domain/app-config.js';
import type { Decision } from '../planner/decision.js';
import type { Series } from '../forecast/types.js';
import type { InstanceState } from '../domain/provider.js';
import type { ResourceSetSpec } from '../domain/resource-set.js';
import type { LoopStatus } from '../store/loop-status.js';
import type { RolloutRecord } from '../store/rollouts.js';

export interface FleetTarget {
  resourceSetId: string;
  provider: 'local' | 'aws';
  providerRef?: string | undefined;
}

export interface ObserveFleetInput extends FleetTarget {
  instanceType: string;
  /** Demand history to return, and its step. */
  historySeconds: number;
  stepSeconds: number;
  /** Window over which current per-instance load is averaged. */
  loadWindowSeconds: number;
  /** The spec version the loop runs: a newer stored spec comes back as `newerSpec`. */
  knownSpecVersion?: number;
}

export interface InstanceView {
  id: string;
  state: InstanceState;
  healthy: boolean;
  instanceType: string;
  image: string;
  launchedAt: string;
}

export interface FleetObservation {
  /** Epoch seconds when observed. */
  observedAt: number;
  instances: InstanceView[];
  /** Instances that exist and are not being removed. */
  current: number;
  ready: number;
  loadPerReadyInstance: number | null;
  /** Requests per second over the latest step, fleet-wide. */
  demandNow: number | null;
  /**
   * Requests per second, one value per step: only in observations recorded before forecastDemand
   * read the store itself. Replaying those histories decides trust from its length, as they did.
   */
  demand?: Series;
  capacityPerInstance: number;
  /**
   * The stored spec, when newer than the loop's: the API writes the row, then signals the loop;
   * a crash in between, or a lost signal, is caught up at the next iteration.
   */
  newerSpec?: StoredSpec;
}

/** A resource set's spec as the API stored it, with its version. */
export interface StoredSpec {
  spec: ResourceSetSpec;
  version: number;
}

export interface ProvisionInput extends FleetTarget {
  count: number;
  instanceType: string;
  image: string;
  /** The configuration the new instances start with; absent, the app's own defaults. */
  config?: AppConfig;
  idempotencyKey: string;
}

export interface DeprovisionInput extends FleetTarget {
  instanceIds: string[];
  drainSeconds: number;
  idempotencyKey: string;
}

export interface MainActivities {
  observeFleet(input: ObserveFleetInput): Promise<FleetObservation>;
  /** Resolves with the new instances' ids once they are healthy. */
  provision(input: ProvisionInput): Promise<string[]>;
  /** Resolves once the instances are drained and terminated. */
  deprovision(input: DeprovisionInput): Promise<string[]>;
  /** With `status` when the loop's status changed since it last wrote one: both in one call. */
  recordDecision(decision: Decision, status?: LoopStatus): Promise<void>;
  /** The loop's status alone, for an iteration that ended without a decision (it failed). */
  recordLoopStatus(status: LoopStatus): Promise<void>;
  /** The set's stored spec when newer than `knownSpecVersion` (observeFleet answers it too), else null. */
  readNewerSpec(input: { resourceSetId: string; knownSpecVersion: number }): Promise<StoredSpec | null>;
}

// ── Rollouts (src/activities/rollout.ts) ──

/** An instance as a rollout sees it: where it runs and which configuration its agent applied. */
export interface ObservedInstance extends RunningInstance {
  state: InstanceState;
  healthy: boolean;
  launchedAt: string;
}

export interface ApplyReleaseInput extends FleetTarget {
  /** Instances to bring to the release; those already on it are left alone. */
  instanceIds: string[];
  release: Release;
  /** Derives the replacement's launch and termination tokens. */
  idempotencyKey: string;
}

export interface ApplyReleaseResult {
  /** Reconfigured in place. */
  configured: string[];
  /** Replaced because the instance type or software differs: old ids, and the new ones (configured). */
  replaced: string[];
  launched: string[];
  /** Gone (terminated or draining) before they could be configured. */
  skipped: string[];
}

export interface AnalyseStepInput {
  resourceSetId: string;
  canary: string[];
  /** Empty at the last step: then the canary is held to the SLO instead. */
  baseline: string[];
  /** Judged window (from, to], epoch seconds. */
  from: number;
  to: number;
  sampleIntervalSeconds: number;
  confidence: number;
  latencyAllowedIncrease: number;
  slo: { latencyP95Ms: number; errorRate: number };
}

export interface MetricVerdict {
  name: string;
  classification: string;
  reason: string;
}

export interface StepVerdict {
  verdict: Verdict;
  score: number;
  reason: string;
  metrics: MetricVerdict[];
  /** Judged values per side (one per interval). */
  canarySamples: number;
  baselineSamples: number;
}

export interface RolloutActivities {
  /** The set's live instances (pending or running) with their agents' configuration versions. */
  observeInstances(target: FleetTarget): Promise<ObservedInstance[]>;
  /** Reconfigures in place, or replaces (surge first) when the instance type or software differs. */
  applyRelease(input: ApplyReleaseInput): Promise<ApplyReleaseResult>;
  /** Waits for the window's samples, then judges canary against baseline. */
  analyseStep(input: AnalyseStepInput): Promise<StepVerdict>;
  recordRollout(record: RolloutRecord): Promise<void>;
}
