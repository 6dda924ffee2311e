import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Decision } from '../planner/decision.js';
import { observeDecision, type ControlPlaneMetrics } from '../observability/metrics.js';
import { defaultCapacity } from '../planner/capacity.js';
import type { Instance, Provider } from '../domain/provider.js';
import type { Db } from '../store/db.js';
import { capacityFor } from '../store/capacity.js';
import { recordDecision } from '../store/decisions.js';
import { recordLoopStatus, type LoopStatus } from '../store/loop-status.js';
import { fleetUtilization, latestDemand } from '../store/metrics.js';
import { newerResourceSetSpec } from '../store/resource-sets.js';
import { alive, viaProvider } from './provider-calls.js';
import type {
  DeprovisionInput,
  FleetObservation,
  FleetTarget,
  MainActivities,
  ObserveFleetInput,
  ProvisionInput,
} from './types.js';

export interface FleetDeps {
  db: Db;
  providerFor(target: FleetTarget): Provider;
  /** How often provisioning re-checks readiness (and heartbeats). */
  pollMs?: number;
  metrics?: ControlPlaneMetrics;
}

const ready = (i: Instance): boolean => i.state === 'running' && i.healthy;

/** The main queue's activities: thin translations from the workflow's requests to I/O. */
export function createFleetActivities(deps: FleetDeps): MainActivities {
  const pollMs = deps.pollMs ?? 2_000;
  return {
    async observeFleet(input: ObserveFleetInput): Promise<FleetObservation> {
      const provider = deps.providerFor(input);
      const [instances, types] = await viaProvider(() =>
        Promise.all([provider.describeInstances(input.resourceSetId), provider.instanceTypes()]),
      );
      const now = Math.floor(Date.now() / 1000);
      const serving = instances.filter(ready);
      // Demand now: the latest step's rate, null when none was recorded over the history the loop
      // asks about (the forecast activity reads that history itself).
      const [utilization, demandNow, newerSpec] = await Promise.all([
        fleetUtilization(deps.db, input.resourceSetId, { windowSeconds: input.loadWindowSeconds, now }),
        latestDemand(deps.db, input.resourceSetId, {
          from: now - input.historySeconds,
          to: now,
          stepSeconds: input.stepSeconds,
        }),
        input.knownSpecVersion === undefined
          ? undefined
          : newerResourceSetSpec(deps.db, input.resourceSetId, input.knownSpecVersion),
      ]);
      const servingIds = new Set(serving.map((i) => i.id));
      const servingLoad = utilization.instances.filter((i) => servingIds.has(i.instanceId));
      return {
        observedAt: now,
        instances: instances.map(({ id, state, healthy, instanceType, image, launchedAt }) => ({
          id,
          state,
          healthy,
          instanceType,
          image,
          launchedAt,
        })),
        current: instances.filter(alive).length,
        ready: serving.length,
        loadPerReadyInstance:
          serving.length && servingLoad.length
            ? servingLoad.reduce((sum, i) => sum + i.requestsPerSecond, 0) / serving.length
            : null,
        demandNow,
        // Learned from the fleet's own load and latency (training workflow); the conservative default until then.
        capacityPerInstance: await capacityFor(
          deps.db,
          input.resourceSetId,
          input.instanceType,
          null,
          defaultCapacity(types.find((t) => t.name === input.instanceType)?.speed ?? 1),
        ),
        ...(newerSpec ? { newerSpec } : {}),
      };
    },

    async readNewerSpec({ resourceSetId, knownSpecVersion }) {
      return (await newerResourceSetSpec(deps.db, resourceSetId, knownSpecVersion)) ?? null;
    },

    async provision(input: ProvisionInput): Promise<string[]> {
      if (!(input.count > 0))
        throw ApplicationFailure.nonRetryable(`count must be positive (got ${input.count})`, 'InvalidRequest');
      const provider = deps.providerFor(input);
      const launched = await viaProvider(() =>
        provider.provision({
          resourceSetId: input.resourceSetId,
          count: input.count,
          instanceType: input.instanceType,
          image: input.image,
          config: input.config,
          idempotencyToken: input.idempotencyKey,
        }),
      );
      const ids = launched.map((i) => i.id);
      // Wait for readiness here, heartbeating, so a crash mid-wait resumes with the same token
      // (nothing new launched) and a cancellation stops the wait.
      for (;;) {
        const current = (await viaProvider(() => provider.describeInstances(input.resourceSetId))).filter((i) =>
          ids.includes(i.id),
        );
        const healthy = current.filter(ready).length;
        Context.current().heartbeat({ healthy, launched: ids.length });
        if (current.some((i) => i.state === 'terminated')) {
          throw ApplicationFailure.retryable(
            `an instance of ${ids.join(', ')} terminated while booting`,
            'InstanceLost',
          );
        }
        if (healthy === ids.length) return ids;
        await Context.current().sleep(pollMs);
      }
    },

    async deprovision(input: DeprovisionInput): Promise<string[]> {
      if (input.instanceIds.length === 0) return [];
      const provider = deps.providerFor(input);
      const beat = setInterval(() => Context.current().heartbeat({ draining: input.instanceIds.length }), pollMs);
      try {
        const done = await viaProvider(() =>
          provider.deprovision({
            resourceSetId: input.resourceSetId,
            instanceIds: input.instanceIds,
            drainSeconds: input.drainSeconds,
            idempotencyToken: input.idempotencyKey,
          }),
        );
        return done.map((i) => i.id);
      } finally {
        clearInterval(beat);
      }
    },

    async recordDecision(decision: Decision, status?: LoopStatus): Promise<void> {
      // True only on the first write, so a retried record is not counted twice.
      const [first] = await Promise.all([
        recordDecision(deps.db, decision),
        status && recordLoopStatus(deps.db, status),
      ]);
      if (first && deps.metrics) observeDecision(deps.metrics, decision);
    },

    async recordLoopStatus(status: LoopStatus): Promise<void> {
      await recordLoopStatus(deps.db, status);
    },
  };
}
