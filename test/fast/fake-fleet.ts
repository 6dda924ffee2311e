// The fast layer's stand-ins for what a child workflow acts on: one set's instances in memory,
// changed by applyRelease, judged by a script. Activities are keyed by resource set, so the
// tests of one file share a worker.
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { ExperimentActivities, JudgedExperiment } from '../../src/activities/experiment-types.js';
import type {
  ApplyReleaseInput,
  ObservedInstance,
  RolloutActivities,
  StepVerdict,
} from '../../src/activities/types.js';
import type { Verdict } from '../../src/canary/judge.js';
import { bootRelease, runsRelease, type Release } from '../../src/config/release.js';
import { uniqueId } from '../support/api.js';
import { fastWorkerOn } from './worker.js';

export const FROM: Release = bootRelease('local.small');
export const TO: Release = { ...FROM, template: 'web', version: 2, revision: 1_000_002 };

export interface Script {
  /** A rollout step's verdict, by the canary's size (the step). */
  verdict?: (canary: number) => Verdict;
  /** An experiment's winner. */
  winner?: 'a' | 'b';
  /** applyRelease refuses this release. */
  refuse?: Release;
}

/** The n-th instance launched for a set, healthy on `release`, launched n minutes into 2026 (oldest first). */
export function runningInstance(setId: string, n: number, release: Release): ObservedInstance {
  return {
    id: `${setId}-i${n}`,
    instanceType: release.instanceType,
    image: release.image,
    configVersion: release.revision,
    state: 'running',
    healthy: true,
    launchedAt: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
  };
}

export class FakeFleet {
  readonly id = uniqueId('fake');
  readonly instances: ObservedInstance[] = [];
  readonly applied: ApplyReleaseInput[] = [];
  /** Every progress record, oldest first. */
  readonly records: { status: string; progress: unknown }[] = [];
  readonly judged: { a: string[]; b: string[] }[] = [];

  constructor(
    size: number,
    readonly script: Script = {},
  ) {
    this.launch(size, FROM);
  }

  /** New instances on `release`, as the resource set's loop would launch them meanwhile. */
  launch(count: number, release: Release): void {
    for (let k = 0; k < count; k++) {
      this.instances.push(runningInstance(this.id, this.instances.length, release));
    }
  }

  count(release: Release): number {
    return this.instances.filter((i) => runsRelease(i, release)).length;
  }
  lastProgress<T>(): T {
    return this.records.at(-1)!.progress as T;
  }
}

const fleets = new Map<string, FakeFleet>();
const fleetOf = (resourceSetId: string): FakeFleet => fleets.get(resourceSetId)!;

const activities: RolloutActivities & ExperimentActivities = {
  observeInstances: ({ resourceSetId }) => Promise.resolve(fleetOf(resourceSetId).instances.map((i) => ({ ...i }))),
  applyRelease: (input) => {
    const fleet = fleetOf(input.resourceSetId);
    if (fleet.script.refuse?.revision === input.release.revision)
      throw ApplicationFailure.nonRetryable('the agent refused the configuration');
    fleet.applied.push(input);
    for (const i of fleet.instances.filter((x) => input.instanceIds.includes(x.id)))
      Object.assign(i, { image: input.release.image, configVersion: input.release.revision });
    return Promise.resolve({ configured: input.instanceIds, replaced: [], launched: [], skipped: [] });
  },
  analyseStep: ({ resourceSetId, canary }): Promise<StepVerdict> => {
    const verdict = fleetOf(resourceSetId).script.verdict?.(canary.length) ?? 'pass';
    return Promise.resolve({
      verdict,
      score: verdict === 'pass' ? 100 : 0,
      reason: `scripted ${verdict}`,
      metrics: [],
      canarySamples: 10,
      baselineSamples: 10,
    });
  },
  judgeExperiment: ({ resourceSetId, a, b }): Promise<JudgedExperiment> => {
    const fleet = fleetOf(resourceSetId);
    fleet.judged.push({ a, b });
    const winner = fleet.script.winner ?? 'a';
    return Promise.resolve({
      winner,
      verdict: 'pass',
      score: 100,
      reason: `scripted: ${winner.toUpperCase()} wins`,
      metrics: [],
      canarySamples: 10,
      baselineSamples: 10,
    });
  },
  recordRollout: ({ resourceSetId, status, progress }) => {
    fleetOf(resourceSetId).records.push({ status, progress });
    return Promise.resolve();
  },
  recordExperiment: ({ resourceSetId, status, progress }) => {
    fleetOf(resourceSetId).records.push({ status, progress });
    return Promise.resolve();
  },
};

/**
 * A worker for the workflow file at `workflowsPath` on the test run's Temporal server, with the
 * fake activities, for the tests of the calling file; `fleet()` makes a fleet its activities know.
 */
export function fastWorker(workflowsPath: string): {
  client: () => Client;
  taskQueue: string;
  fleet: (size: number, script?: Script) => FakeFleet;
} {
  const worker = fastWorkerOn(workflowsPath, activities, 'fast');
  return {
    ...worker,
    fleet: (size, script) => {
      const f = new FakeFleet(size, script);
      fleets.set(f.id, f);
      return f;
    },
  };
}
