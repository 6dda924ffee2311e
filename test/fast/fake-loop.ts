// The fast layer's stand-ins for what the resource set's loop acts on: one set's instances and
// demand in memory, a scripted forecaster, and the decisions, statuses and rollout records the
// loop writes, kept for the tests to read. Activities are keyed by resource set, so the tests of
// one file share a worker; the child rollouts the loop starts run on the same worker.
import { ApplicationFailure } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { ForecastActivities, ForecastDemandInput } from '../../src/activities/forecast.js';
import type {
  ApplyReleaseInput,
  DeprovisionInput,
  FleetObservation,
  MainActivities,
  ObservedInstance,
  ProvisionInput,
  RolloutActivities,
} from '../../src/activities/types.js';
import type { Release } from '../../src/config/release.js';
import { resourceSetSpecSchema, type ResourceSetSpec } from '../../src/domain/resource-set.js';
import type { DemandForecast } from '../../src/forecast/types.js';
import type { Decision } from '../../src/planner/decision.js';
import type { LoopStatus } from '../../src/store/loop-status.js';
import type { RolloutRecord } from '../../src/store/rollouts.js';
import { uniqueId } from '../support/api.js';
import { FROM, runningInstance } from './fake-fleet.js';
import { fastWorkerOn } from './worker.js';

/** Requests per second one instance serves; with the sets' target utilisation 0.5, five per instance. */
export const CAPACITY = 10;
export const TARGET_UTILIZATION = 0.5;

/** What the fake forecaster answers: nothing, a trusted flat peak, or a failure. */
export type ForecastScript = { kind: 'none' } | { kind: 'peak'; demand: number } | { kind: 'fail'; message: string };

export class FakeSet {
  readonly spec: ResourceSetSpec;
  /** Fleet-wide requests per second the next observation reports. */
  demand: number;
  forecast: ForecastScript = { kind: 'none' };
  readonly instances: ObservedInstance[] = [];
  readonly provisions: ProvisionInput[] = [];
  readonly deprovisions: DeprovisionInput[] = [];
  readonly applied: ApplyReleaseInput[] = [];
  /** Every decision recorded, oldest first (a retried write would show as a repeated iteration). */
  readonly decisions: Decision[] = [];
  readonly statuses: LoopStatus[] = [];
  readonly rollouts: RolloutRecord[] = [];
  private launched = 0;

  constructor(size: number, demand: number, spec: { minInstances?: number; maxInstances?: number; policy?: object }) {
    const id = uniqueId('loop');
    const parsed = resourceSetSpecSchema.parse({
      id,
      provider: 'local',
      minInstances: spec.minInstances ?? 1,
      maxInstances: spec.maxInstances ?? 20,
      policy: {
        targetUtilization: TARGET_UTILIZATION,
        leadTimeSeconds: 0,
        scaleInStabilizationSeconds: 0,
        configuration: { mode: 'off' },
        ...spec.policy,
      },
    });
    // The schema's floor is 5 s; the workflow takes any interval, and a test wants one per second.
    this.spec = { ...parsed, policy: { ...parsed.policy, intervalSeconds: 1 } };
    this.demand = demand;
    this.launch(size);
  }

  private launch(count: number): string[] {
    const ids: string[] = [];
    for (let k = 0; k < count; k++) {
      const instance = runningInstance(this.spec.id, this.launched++, FROM);
      ids.push(instance.id);
      this.instances.push(instance);
    }
    return ids;
  }

  observe(): FleetObservation {
    const ready = this.instances.length;
    return {
      observedAt: Math.floor(Date.now() / 1000),
      instances: this.instances.map(({ id, state, healthy, instanceType, image, launchedAt }) => ({
        id,
        state,
        healthy,
        instanceType,
        image,
        launchedAt,
      })),
      current: ready,
      ready,
      loadPerReadyInstance: ready > 0 ? this.demand / ready : null,
      demandNow: this.demand,
      capacityPerInstance: CAPACITY,
    };
  }

  provision(input: ProvisionInput): string[] {
    this.provisions.push(input);
    return this.launch(input.count);
  }

  deprovision(input: DeprovisionInput): string[] {
    this.deprovisions.push(input);
    const gone = this.instances.filter((i) => input.instanceIds.includes(i.id));
    for (const i of gone) this.instances.splice(this.instances.indexOf(i), 1);
    return gone.map((i) => i.id);
  }

  forecastDemand({ asOf, stepSeconds, horizonSteps }: ForecastDemandInput): DemandForecast | null {
    const script = this.forecast;
    if (script.kind === 'none') return null;
    if (script.kind === 'fail') throw ApplicationFailure.nonRetryable(script.message);
    // One step before `asOf` too, so the lead time is covered whatever the workflow's clock says.
    const values = Array.from({ length: horizonSteps + 1 }, () => script.demand);
    return {
      model: 'scripted',
      start: asOf - stepSeconds,
      stepSeconds,
      point: values,
      quantiles: { p50: values, p90: values, p95: values, p99: values },
      trusted: true,
      modelError: 0.5,
    };
  }

  count(release: Release): number {
    return this.instances.filter((i) => i.image === release.image && i.configVersion === release.revision).length;
  }
  /** Decisions recorded after the first `skip`. */
  decisionsAfter(skip: number): Decision[] {
    return this.decisions.slice(skip);
  }
}

const sets = new Map<string, FakeSet>();
const setOf = (resourceSetId: string): FakeSet => sets.get(resourceSetId)!;

type LoopActivities = MainActivities & RolloutActivities & Pick<ForecastActivities, 'forecastDemand'>;

const activities: LoopActivities = {
  observeFleet: ({ resourceSetId }) => Promise.resolve(setOf(resourceSetId).observe()),
  provision: (input) => Promise.resolve(setOf(input.resourceSetId).provision(input)),
  deprovision: (input) => Promise.resolve(setOf(input.resourceSetId).deprovision(input)),
  recordDecision: (decision, status) => {
    const set = setOf(decision.resourceSetId);
    set.decisions.push(decision);
    if (status) set.statuses.push(status);
    return Promise.resolve();
  },
  recordLoopStatus: (status) => {
    setOf(status.resourceSetId).statuses.push(status);
    return Promise.resolve();
  },
  // No stored spec newer than the loop's: policy changes reach these loops by signal.
  readNewerSpec: () => Promise.resolve(null),
  // A scripted failure becomes the promise's rejection, as an activity's thrown error would.
  forecastDemand: (input) => Promise.resolve().then(() => setOf(input.resourceSetId).forecastDemand(input)),
  // What the child rollout acts on: the same in-memory instances.
  observeInstances: ({ resourceSetId }) => Promise.resolve(setOf(resourceSetId).instances.map((i) => ({ ...i }))),
  applyRelease: (input) => {
    const set = setOf(input.resourceSetId);
    set.applied.push(input);
    for (const i of set.instances.filter((x) => input.instanceIds.includes(x.id)))
      Object.assign(i, { image: input.release.image, configVersion: input.release.revision });
    return Promise.resolve({ configured: input.instanceIds, replaced: [], launched: [], skipped: [] });
  },
  analyseStep: () =>
    Promise.resolve({
      verdict: 'pass',
      score: 100,
      reason: 'scripted pass',
      metrics: [],
      canarySamples: 10,
      baselineSamples: 10,
    }),
  recordRollout: (record) => {
    setOf(record.resourceSetId).rollouts.push(record);
    return Promise.resolve();
  },
};

/**
 * A worker for the workflow bundle at `workflowsPath` on the test run's Temporal server, with the
 * fake activities (the forecast among them: the loop runs it as a local activity on its own
 * worker), for the tests of the calling file; `set()` makes a set its activities know.
 */
export function fastLoopWorker(workflowsPath: string): {
  client: () => Client;
  taskQueue: string;
  set: (...args: ConstructorParameters<typeof FakeSet>) => FakeSet;
} {
  const worker = fastWorkerOn(workflowsPath, activities, 'fast-loop');
  return {
    ...worker,
    set: (...args) => {
      const s = new FakeSet(...args);
      sets.set(s.spec.id, s);
      return s;
    },
  };
}
