import {
  ActivityFailure, allHandlersFinished, CancellationScope, condition, continueAsNew, log, proxyActivities, setHandler,
  startChild, upsertSearchAttributes, workflowInfo, type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { ForecastActivities } from '../activities/forecast.js';
import type { FleetObservation, MainActivities, RolloutActivities } from '../activities/types.js';
import { bootRelease, describeRelease, runsRelease, sameRelease, type Release } from '../config/release.js';
import { rolloutOptionsSchema } from '../config/rollout-options.js';
import type { Decision, DecisionAction } from '../domain/decision.js';
import { applyPolicyPatch, instanceTypeOf, type PolicyPatch, type ResourceSetSpec } from '../domain/resource-set.js';
import { TASK_QUEUES } from '../domain/task-queues.js';
import type { DemandForecast } from '../forecast/types.js';
import { plan } from '../planner/plan.js';
import { chooseVictims } from '../planner/victims.js';
import {
  pauseSignal, resumeSignal, rollbackSignal, scaleToUpdate, setPolicyUpdate, setReleaseUpdate, stateQuery, stopSignal,
  type ActiveRollout, type CarriedState, type ConfigState, type ResourceSetState,
} from './resource-set-messages.js';
import { abortRolloutSignal, type RevertMode, type RolloutKind, type RolloutResult } from './rollout-messages.js';
import { rolloutWorkflow } from './rollout.js';
import { CurrentInstances, DesiredInstances, ResourceSetState as ResourceSetStateKey, ScalingMode } from './search-attributes.js';

export interface ResourceSetWorkflowInput {
  spec: ResourceSetSpec;
  carried?: CarriedState;
  /** Iterations before continue-as-new (default ITERATIONS_PER_RUN); tests make it small. */
  iterationsPerRun?: number;
}

/** Bounds history size even when the server does not suggest continue-as-new. */
export const ITERATIONS_PER_RUN = 200;
const DRAIN_SECONDS = 30;

const light = proxyActivities<MainActivities & RolloutActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 8 },
});
const fleet = proxyActivities<MainActivities & RolloutActivities>({
  // Provisioning waits for readiness (boot delay + health) and heartbeats while it waits.
  startToCloseTimeout: '15m', heartbeatTimeout: '45s',
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 6 },
});
const forecasting = proxyActivities<ForecastActivities>({
  taskQueue: TASK_QUEUES.forecast, startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

type RunningRollout = ActiveRollout & { handle: ChildWorkflowHandle<typeof rolloutWorkflow> };

const failureMessage = (err: unknown): string =>
  err instanceof ActivityFailure ? `${err.activityType}: ${err.cause?.message ?? err.message}` : String(err);

/**
 * One durable loop per resource set: observe → forecast → plan → act → record → wait. Activities
 * do the I/O; this function only sequences them and keeps state. Every mutating activity gets an
 * idempotency key from (workflow, loop, iteration, step), so a retry never acts twice.
 */
export async function resourceSetWorkflow({ spec: initialSpec, carried, iterationsPerRun = ITERATIONS_PER_RUN }: ResourceSetWorkflowInput): Promise<void> {
  const s: CarriedState = carried ?? {
    spec: initialSpec, paused: false, iteration: 0, currentInstances: null, desiredInstances: null,
    override: null, recommendations: [], lastDecision: null,
  };
  const boot = bootRelease(instanceTypeOf(initialSpec));
  const config: ConfigState = s.config ??= { stable: boot, desired: boot, previous: null, rolloutOptions: rolloutOptionsSchema.parse({}), rollouts: 0 };
  const { workflowId, firstExecutionRunId: loopId } = workflowInfo();
  let wake = false;
  let stop: { deprovision: boolean } | null = null;
  let iteration: CancellationScope | null = null;
  // One rollout at a time; the loop does not continue-as-new while one runs, so this never needs carrying.
  let active: RunningRollout | null = null;
  let rollbackRequest: RevertMode | null = null;

  const snapshot = (): ResourceSetState => ({
    ...s, config, state: stop ? 'stopping' : s.paused ? 'paused' : 'running',
    activeRollout: active ? { workflowId: active.workflowId, kind: active.kind, from: active.from, to: active.to, startedAt: active.startedAt } : null,
  });
  const published: Record<string, unknown> = {};
  const publish = (): void => {
    const next = {
      [ResourceSetStateKey.name]: snapshot().state, [ScalingMode.name]: s.spec.policy.mode,
      [DesiredInstances.name]: s.desiredInstances, [CurrentInstances.name]: s.currentInstances,
    };
    if (Object.entries(next).every(([k, v]) => published[k] === v)) return;
    Object.assign(published, next);
    upsertSearchAttributes([
      { key: ResourceSetStateKey, value: snapshot().state },
      { key: ScalingMode, value: s.spec.policy.mode },
      ...(s.desiredInstances !== null ? [{ key: DesiredInstances, value: s.desiredInstances }] : []),
      ...(s.currentInstances !== null ? [{ key: CurrentInstances, value: s.currentInstances }] : []),
    ]);
  };
  const poke = (): void => { wake = true; publish(); };

  setHandler(pauseSignal, () => { s.paused = true; poke(); });
  setHandler(resumeSignal, () => { s.paused = false; poke(); });
  setHandler(stopSignal, (options) => {
    stop = options;
    // Stopping does not wait for a slow iteration (e.g. retries against an unreachable provider).
    iteration?.cancel();
    poke();
  });
  setHandler(stateQuery, snapshot);
  setHandler(setPolicyUpdate, (patch) => {
    s.spec = applyPolicyPatch(s.spec, patch);
    poke();
    return s.spec;
  }, { validator: (patch: PolicyPatch) => { applyPolicyPatch(s.spec, patch); } });
  setHandler(scaleToUpdate, ({ count, ttlSeconds }) => {
    const expiresAt = Math.floor(Date.now() / 1000) + ttlSeconds;
    s.override = { count, expiresAt };
    poke();
    return { count, expiresAt: new Date(expiresAt * 1000).toISOString() };
  }, {
    validator: ({ count, ttlSeconds }) => {
      if (!Number.isInteger(count) || count < s.spec.minInstances || count > s.spec.maxInstances) {
        throw new Error(`count: must be an integer within minInstances..maxInstances (${s.spec.minInstances}..${s.spec.maxInstances})`);
      }
      if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 7 * 86_400) throw new Error('ttlSeconds: must be an integer 1..604800');
    },
  });
  setHandler(setReleaseUpdate, ({ release, rollout }) => {
    config.desired = release;
    if (rollout) config.rolloutOptions = rolloutOptionsSchema.parse(rollout);
    poke();
    return config;
  }, { validator: ({ rollout }) => { if (rollout) rolloutOptionsSchema.parse(rollout); } });
  setHandler(rollbackSignal, async ({ mode }) => {
    if (active) {
      await active.handle.signal(abortRolloutSignal, { mode, reason: 'rollback requested' });
      return;
    }
    rollbackRequest = mode;
    poke();
  });
  publish();

  const target = () => ({ resourceSetId: s.spec.id, provider: s.spec.provider, providerRef: s.spec.providerRef });
  // New instances get the stable release (its type and image here, its parameters once they are up).
  const instanceType = () => config.stable.instanceType;
  const managed = (): boolean => config.stable.template !== null;

  async function startRollout(kind: RolloutKind, to: Release, options: ConfigState['rolloutOptions']): Promise<string> {
    const childId = `rollout-${s.spec.id}-${loopId.slice(0, 8)}-${++config.rollouts}`;
    const from = config.stable;
    // Not tied to the iteration's scope: stopping the loop must not cancel a rollout half-way.
    const handle = await CancellationScope.nonCancellable(() => startChild(rolloutWorkflow, {
      workflowId: childId, staticSummary: `${kind}: ${describeRelease(from)} → ${describeRelease(to)}`,
      args: [{ id: childId, target: target(), kind, from, to, options, slo: s.spec.slo }],
    }));
    active = { workflowId: childId, kind, from, to, startedAt: new Date().toISOString(), handle };
    void handle.result().then(settle, (err: unknown) => settle({ outcome: 'failed', reason: failureMessage(err) }));
    return `${kind} ${childId} started: ${describeRelease(from)} → ${describeRelease(to)}`;
  }

  function settle(result: RolloutResult): void {
    if (!active) return;
    if (result.outcome === 'promoted') {
      config.previous = active.from;
      config.stable = active.to;
      if (active.kind === 'rollback') config.desired = active.to;
    } else if (sameRelease(config.desired, active.to)) {
      // A version that failed is not tried again by itself: the set points back at what runs.
      config.desired = config.stable;
    }
    log.info('rollout finished', { workflowId: active.workflowId, outcome: result.outcome, reason: result.reason });
    active = null;
    poke();
  }

  /**
   * Starts the rollout (or rollback) that is due; else keeps every serving instance on the stable
   * release (instances launched while a rollout ran, or left behind by a failed one).
   */
  async function reconfigure(key: string): Promise<string[]> {
    if (active) return [];
    if (rollbackRequest) {
      const mode = rollbackRequest;
      rollbackRequest = null;
      if (!config.previous) return ['rollback requested, but there is no previous version'];
      const options = { ...config.rolloutOptions, analysis: false, ...(mode === 'immediate' ? { steps: [{ percent: 100 }] } : {}) };
      return [await startRollout('rollback', config.previous, options)];
    }
    if (!sameRelease(config.desired, config.stable)) return [await startRollout('rollout', config.desired, config.rolloutOptions)];
    if (!managed()) return [];
    const off = (await light.observeInstances(target()))
      .filter((i) => i.state === 'running' && i.healthy && !runsRelease(i, config.stable)).map((i) => i.id);
    if (off.length === 0) return [];
    await fleet.applyRelease({ ...target(), instanceIds: off, release: config.stable, idempotencyKey: `${key}/converge` });
    return [`brought ${off.length} instance(s) to ${describeRelease(config.stable)}`];
  }

  async function iterate(): Promise<void> {
    const { policy } = s.spec;
    const key = `${workflowId}/${loopId}/${s.iteration}`;
    // The demand roll-up's resolution.
    const stepSeconds = 60;
    const observation: FleetObservation = await light.observeFleet({
      ...target(), instanceType: instanceType(), stepSeconds,
      historySeconds: Math.min(3 * policy.seasonSeconds, 14 * 86_400), loadWindowSeconds: Math.max(2 * stepSeconds, 30),
    });
    const now = Math.floor(Date.now() / 1000);
    let forecast: DemandForecast | null = null;
    let forecastNote: string | null = null;
    if (observation.demandNow !== null) {
      try {
        forecast = await forecasting.forecastDemand({
          resourceSetId: s.spec.id, asOf: observation.observedAt, stepSeconds,
          // Two weeks to fit on and a day to compare models over, at least three seasons.
          historySeconds: Math.min(Math.max(3 * policy.seasonSeconds, 15 * 86_400), 28 * 86_400),
          horizonSteps: Math.ceil((policy.leadTimeSeconds + 2 * policy.intervalSeconds) / stepSeconds) + 1,
          seasonSteps: Math.max(1, Math.round(policy.seasonSeconds / stepSeconds)),
        });
      } catch (err) {
        forecastNote = `forecast failed: ${failureMessage(err)}`;
      }
    }
    const decided = plan({
      now, minInstances: s.spec.minInstances, maxInstances: s.spec.maxInstances, policy,
      current: observation.current, ready: observation.ready,
      loadPerReadyInstance: observation.loadPerReadyInstance, capacityPerInstance: observation.capacityPerInstance,
      // Model selection says whether its forecast beats naive; without a verdict, less than two
      // seasons of history cannot show a season: lean on the reactive rule.
      forecast, forecastTrusted: forecast?.trusted ?? (observation.demand?.values.length ?? 0) * stepSeconds >= 2 * policy.seasonSeconds,
      recommendations: s.recommendations, override: s.override,
    });
    const reasons = forecastNote ? [...decided.reasons, forecastNote] : decided.reasons;

    const actions: DecisionAction[] = [];
    if (policy.mode === 'forecast-and-scale' && !s.paused) {
      try {
        if (decided.desired > observation.current) {
          const count = decided.desired - observation.current;
          const ids = await fleet.provision({ ...target(), count, instanceType: instanceType(), image: config.stable.image, idempotencyKey: `${key}/provision` });
          actions.push({ kind: 'provision', count, instanceIds: ids });
          if (managed()) await fleet.applyRelease({ ...target(), instanceIds: ids, release: config.stable, idempotencyKey: `${key}/configure` });
        } else if (decided.desired < observation.current && active) {
          // A replacement surges first: the extra instances are the rollout's, not spare capacity.
          reasons.push(`scale-in deferred until ${active.workflowId} ends`);
        } else if (decided.desired < observation.current) {
          const victims = chooseVictims(observation.instances, observation.current - decided.desired);
          const ids = await fleet.deprovision({ ...target(), instanceIds: victims, drainSeconds: DRAIN_SECONDS, idempotencyKey: `${key}/deprovision` });
          actions.push({ kind: 'deprovision', count: ids.length, instanceIds: ids });
        }
      } catch (err) {
        reasons.push(`action failed: ${failureMessage(err)}`);
      }
    } else if (decided.desired !== observation.current) {
      reasons.push(s.paused ? 'paused: planned, not acted' : 'forecast-only: planned, not acted');
    }
    if (policy.mode === 'forecast-and-scale' && !s.paused) {
      try {
        reasons.push(...await reconfigure(key));
      } catch (err) {
        reasons.push(`reconfiguration failed: ${failureMessage(err)}`);
      }
    }

    const acted = actions.reduce((n, a) => n + (a.kind === 'provision' ? a.count : -a.count), 0);
    s.currentInstances = observation.current + acted;
    s.desiredInstances = decided.desired;
    s.recommendations = [...s.recommendations.filter((r) => r.at > now - policy.scaleInStabilizationSeconds), { at: now, count: decided.recommendation }];
    if (s.override && s.override.expiresAt <= now) s.override = null;
    const decidedAt = new Date(now * 1000).toISOString();
    s.lastDecision = {
      iteration: s.iteration, decidedAt, desired: decided.desired, current: observation.current,
      rule: decided.rule, reasons, model: forecast?.model ?? null,
    };
    const decision: Decision = {
      resourceSetId: s.spec.id, loopId, iteration: s.iteration, decidedAt, mode: policy.mode, paused: s.paused,
      currentInstances: observation.current, readyInstances: observation.ready, desiredInstances: decided.desired,
      rule: decided.rule, reasons, forecast, actions,
      inputs: {
        loadPerReadyInstance: observation.loadPerReadyInstance, capacityPerInstance: observation.capacityPerInstance,
        demandNow: observation.demandNow, predictive: decided.predictive, reactive: decided.reactive,
        model: forecast?.model ?? null, modelError: forecast?.modelError ?? null,
      },
    };
    await light.recordDecision(decision);
    publish();
  }

  async function deprovisionAll(): Promise<void> {
    const observation = await light.observeFleet({ ...target(), instanceType: instanceType(), stepSeconds: 60, historySeconds: 60, loadWindowSeconds: 60 });
    const ids = chooseVictims(observation.instances, observation.instances.length);
    if (ids.length) {
      await fleet.deprovision({ ...target(), instanceIds: ids, drainSeconds: DRAIN_SECONDS, idempotencyKey: `${workflowId}/${loopId}/stop/deprovision` });
    }
    s.currentInstances = 0;
  }

  // A run does not end while a rollout it started is running (a child cannot outlive its parent's run).
  const due = (n: number): boolean => active !== null || rollbackRequest !== null || (n < iterationsPerRun && !workflowInfo().continueAsNewSuggested);
  for (let n = 0; !stop && due(n); n++) {
    s.iteration++;
    wake = false;
    try {
      iteration = new CancellationScope();
      await iteration.run(iterate);
    } catch (err) {
      // A loop must outlive a provider or database outage: log, and try again next tick.
      log.warn('iteration failed', { iteration: s.iteration, error: failureMessage(err) });
    }
    await condition(() => wake || stop !== null, s.spec.policy.intervalSeconds * 1000);
  }
  // Set by handlers, which the compiler's narrowing does not see.
  const unfinished = active as RunningRollout | null;
  if (unfinished) {
    await unfinished.handle.signal(abortRolloutSignal, { mode: 'immediate', reason: 'the resource set is stopping' });
    await condition(() => active === null);
  }
  await condition(allHandlersFinished);
  if (stop) {
    if ((stop as { deprovision: boolean }).deprovision) await deprovisionAll();
    return;
  }
  await continueAsNew<typeof resourceSetWorkflow>({ spec: s.spec, carried: s, iterationsPerRun });
}
