import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type { ForecastActivities } from '../activities/forecast.js';
import type { RecommendActivities, RecommendConfigurationResult } from '../activities/recommend-types.js';
import type { FleetObservation, MainActivities, RolloutActivities, StoredSpec } from '../activities/types.js';
import {
  appConfigOf,
  bootRelease,
  describeRelease,
  runsRelease,
  sameRelease,
  type Release,
} from '../config/release.js';
import { rolloutOptionsSchema } from '../config/rollout-options.js';
import { loopConditions, type Condition, type IterationFacts, type LoopConditionType } from '../domain/conditions.js';
import type { Decision, DecisionAction } from '../planner/decision.js';
import { changePolicy } from '../domain/policy-change.js';
import { applyPolicyPatch, instanceTypeOf, type PolicyPatch, type ResourceSetSpec } from '../domain/resource-set.js';
import { TASK_QUEUES } from '../domain/task-queues.js';
import type { DemandForecast } from '../forecast/types.js';
import { plan } from '../planner/plan.js';
import type { LoopStatus } from '../store/loop-status.js';
import { chooseVictims } from '../planner/victims.js';
import {
  pauseSignal,
  policySpecSignal,
  resumeSignal,
  rollbackSignal,
  rollbackUpdate,
  scaleToUpdate,
  setPolicyUpdate,
  setReleaseUpdate,
  stateQuery,
  stopSignal,
  type ActiveRollout,
  type CarriedState,
  type ConfigState,
  type ResourceSetState,
  type RollbackAnswer,
  type RollbackRecord,
  type RollbackRequest,
} from './resource-set-messages.js';
import { BUSY, startExperimentUpdate, type ExperimentRequest, type ExperimentResult } from './experiment-messages.js';
import { experimentWorkflow } from './experiment.js';
import { nextTick, phaseOf, wakeSpacingMs } from './loop-schedule.js';
import { planRollback, releaseHistory, remember, rollbackStatus, type RollbackContext } from './rollback.js';
import { abortRolloutSignal, type RevertMode, type RolloutKind, type RolloutResult } from './rollout-messages.js';
import { failureMessage, rolloutWorkflow } from './rollout.js';
import { MAX_TUNING_TRIALS, startTuningUpdate, type TuningRequest } from './tuning-messages.js';
import { tuningWorkflow } from './tuning.js';
import {
  CurrentInstances,
  DesiredInstances,
  ResourceSetState as ResourceSetStateKey,
  ScalingMode,
} from '../domain/search-attributes.js';

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
  startToCloseTimeout: '15m',
  heartbeatTimeout: '45s',
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 6 },
});
const advising = proxyActivities<RecommendActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 3 },
});
/** Runs started before LOCAL_FORECAST, and their replays, forecast on the forecast queue. */
const forecasting = proxyActivities<ForecastActivities>({
  // The activity heartbeats before each fit (each well under a second of one thread): a dead
  // forecast worker is noticed within 30 s, not at the two minutes a busy worker is allowed.
  taskQueue: TASK_QUEUES.forecast,
  startToCloseTimeout: '2m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

// The routine forecast is a nowcast step on a kept forecaster (a few ms); a model comparison
// (≈ 120 ms, once a day or after a worker restart) and the daily calibration (≈ 0.3 s, each set at its
// own time of day) are the exceptions. As a local activity it costs the server one marker instead of
// an activity task and a second workflow task: the iteration's largest cost at thousands of sets.
const forecastingLocally = proxyLocalActivities<ForecastActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});
// Reads and the decision row are quick and idempotent: as local activities they run inside the
// workflow task, one history marker each instead of three events and a workflow-task round trip.
const localOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 8 },
} as const;
const local = proxyLocalActivities<MainActivities & RolloutActivities>(localOptions);
// A local activity retries inside the workflow task until its backoff passes this threshold, and
// meanwhile no signal or update is taken: past a few seconds (a provider down, say) it waits on a
// workflow timer instead, so a pause or a policy change is answered in seconds, not a minute.
const localRetryingOnTimers = proxyLocalActivities<MainActivities & RolloutActivities>({
  ...localOptions,
  localRetryThreshold: '3s',
});
// The status a failed iteration leaves: a few quick tries, then the next iteration tries again.
const statusWrite = proxyLocalActivities<MainActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});
/** Runs started before it replay their old command sequence (activities, a fixed-length wait). */
export const LOCAL_READS_AND_TICK_GRID = 'local-reads-and-tick-grid';
/** Runs started before it answer every message with an iteration at once, as they did. */
export const COALESCED_WAKE_UPS = 'coalesced-wake-ups';
/** Runs started before it retry local activities inside the workflow task for up to a minute, as they did. */
export const LOCAL_RETRY_TIMERS = 'local-retry-timers';
/** Runs started before it take a rollback signal as a toggle: abort what runs, else re-apply the previous release. */
export const ROLLBACK_UPDATE = 'rollback-update';
/** Runs started before it write their status only with a decision (no extra write when an iteration fails). */
export const LOOP_STATUS_ON_FAILURE = 'loop-status-on-failure';
/** Runs started before it do not read a newer stored spec after a failed iteration. */
export const SPEC_READ_ON_FAILURE = 'spec-read-on-failure';
/** Runs started before it forecast with an activity on the forecast queue, as they did. */
export const LOCAL_FORECAST = 'local-forecast';

type RunningRollout = ActiveRollout & {
  handle:
    | ChildWorkflowHandle<typeof rolloutWorkflow>
    | ChildWorkflowHandle<typeof experimentWorkflow>
    | ChildWorkflowHandle<typeof tuningWorkflow>;
};

/**
 * One durable loop per resource set: observe → forecast → plan → act → record → wait. Activities
 * do the I/O; this function only sequences them and keeps state. Every mutating activity gets an
 * idempotency key from (workflow, loop, iteration, step), so a retry never acts twice.
 */
export async function resourceSetWorkflow({
  spec: initialSpec,
  carried,
  iterationsPerRun = ITERATIONS_PER_RUN,
}: ResourceSetWorkflowInput): Promise<void> {
  const s: CarriedState = carried ?? {
    spec: initialSpec,
    paused: false,
    iteration: 0,
    currentInstances: null,
    desiredInstances: null,
    override: null,
    recommendations: [],
    lastDecision: null,
  };
  const boot = bootRelease(instanceTypeOf(initialSpec));
  const config: ConfigState = (s.config ??= {
    stable: boot,
    desired: boot,
    previous: null,
    rolloutOptions: rolloutOptionsSchema.parse({}),
    rollouts: 0,
  });
  const { workflowId, firstExecutionRunId: loopId } = workflowInfo();
  const v2 = patched(LOCAL_READS_AND_TICK_GRID);
  const coalesce = patched(COALESCED_WAKE_UPS);
  const reads = v2 ? (patched(LOCAL_RETRY_TIMERS) ? localRetryingOnTimers : local) : light;
  const statusOnFailure = patched(LOOP_STATUS_ON_FAILURE);
  const forecaster = patched(LOCAL_FORECAST) ? forecastingLocally : forecasting;
  const specReadOnFailure = patched(SPEC_READ_ON_FAILURE);
  let wake = false;
  let stop: { deprovision: boolean } | null = null;
  let iteration: CancellationScope | null = null;
  // One rollout at a time; the loop does not continue-as-new while one runs, so this never needs carrying.
  let active: RunningRollout | null = null;
  // `to` and `workflowId` are decided when asked for (null: a signal of a run from before ROLLBACK_UPDATE).
  let rollbackRequest: { mode: RevertMode; to: Release | null; workflowId: string | null } | null = null;
  // An A/B experiment asked for: the loop's reconfigure step starts it, as it starts rollouts.
  let experimentRequest: (ExperimentRequest & { workflowId: string }) | null = null;
  // A tuning session asked for: started the same way.
  let tuningRequest: (TuningRequest & { workflowId: string }) | null = null;
  /** Why no other configuration change may start now, or null; the API answers 409 to it. */
  const busyReason = (): string | null => {
    const busy =
      active?.workflowId ??
      (experimentRequest || tuningRequest || rollbackRequest || !sameRelease(config.desired, config.stable)
        ? 'a configuration change'
        : null);
    if (busy) return `${BUSY} ${busy} is under way; one rollout, experiment or tuning session at a time`;
    if (stop || s.paused || s.spec.policy.mode !== 'forecast-and-scale')
      return `${BUSY} the loop only changes configuration while running in forecast-and-scale mode`;
    return null;
  };

  const snapshot = (): ResourceSetState => ({
    ...s,
    config,
    state: stop ? 'stopping' : s.paused ? 'paused' : 'running',
    activeRollout: active
      ? {
          workflowId: active.workflowId,
          kind: active.kind,
          from: active.from,
          to: active.to,
          startedAt: active.startedAt,
        }
      : null,
  });
  const published: Record<string, unknown> = {};
  const publish = (): void => {
    const next = {
      [ResourceSetStateKey.name]: snapshot().state,
      [ScalingMode.name]: s.spec.policy.mode,
      [DesiredInstances.name]: s.desiredInstances,
      [CurrentInstances.name]: s.currentInstances,
    };
    // The UI's "current details": what a reader of the workflow page wants first; costs no history.
    const last = s.lastDecision;
    setCurrentDetails(
      [
        `**${snapshot().state}**, ${s.spec.policy.mode}: ${s.currentInstances ?? '?'} instance(s), desired ${s.desiredInstances ?? '?'}`,
        last
          ? `last decision #${last.iteration} at ${last.decidedAt}: ${last.rule} (${last.reasons[0] ?? 'no reason given'})`
          : 'no decision yet',
        ...(active ? [`${active.kind} ${active.workflowId} running`] : []),
      ].join('\n\n'),
    );
    if (Object.entries(next).every(([k, v]) => published[k] === v)) return;
    Object.assign(published, next);
    upsertSearchAttributes([
      { key: ResourceSetStateKey, value: snapshot().state },
      { key: ScalingMode, value: s.spec.policy.mode },
      ...(s.desiredInstances !== null ? [{ key: DesiredInstances, value: s.desiredInstances }] : []),
      ...(s.currentInstances !== null ? [{ key: CurrentInstances, value: s.currentInstances }] : []),
    ]);
  };
  const poke = (): void => {
    wake = true;
    publish();
  };

  setHandler(pauseSignal, () => {
    s.paused = true;
    poke();
  });
  setHandler(resumeSignal, () => {
    s.paused = false;
    poke();
  });
  setHandler(stopSignal, (options) => {
    stop = options;
    // Stopping does not wait for a slow iteration (e.g. retries against an unreachable provider).
    iteration?.cancel();
    poke();
  });
  setHandler(stateQuery, snapshot);
  setHandler(
    setPolicyUpdate,
    (patch) => {
      s.spec = applyPolicyPatch(s.spec, patch);
      poke();
      return s.spec;
    },
    {
      validator: (patch: PolicyPatch, condition?: { ifMatch?: string }) => {
        changePolicy(s.spec, patch, condition?.ifMatch);
      },
    },
  );
  // A set's row starts at version 1 with the spec the loop started on.
  const knownSpecVersion = (): number => s.specVersion ?? 1;
  /** Signals may come late, twice or out of order: only a newer stored version replaces the spec. */
  const adoptSpec = ({ spec, version }: StoredSpec): boolean => {
    if (version <= (s.specVersion ?? 0)) return false;
    s.spec = spec;
    s.specVersion = version;
    return true;
  };
  setHandler(policySpecSignal, (stored) => {
    if (adoptSpec(stored)) poke();
  });
  setHandler(
    scaleToUpdate,
    ({ count, ttlSeconds }) => {
      const expiresAt = Math.floor(Date.now() / 1000) + ttlSeconds;
      s.override = { count, expiresAt };
      poke();
      return { count, expiresAt: new Date(expiresAt * 1000).toISOString() };
    },
    {
      validator: ({ count, ttlSeconds }) => {
        if (!Number.isInteger(count) || count < s.spec.minInstances || count > s.spec.maxInstances) {
          throw new Error(
            `count: must be an integer within minInstances..maxInstances (${s.spec.minInstances}..${s.spec.maxInstances})`,
          );
        }
        if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 7 * 86_400)
          throw new Error('ttlSeconds: must be an integer 1..604800');
      },
    },
  );
  setHandler(
    setReleaseUpdate,
    ({ release, rollout }) => {
      config.desired = release;
      if (rollout) config.rolloutOptions = rolloutOptionsSchema.parse(rollout);
      poke();
      return config;
    },
    {
      validator: ({ rollout }) => {
        if (rollout) rolloutOptionsSchema.parse(rollout);
      },
    },
  );
  const rollbackContext = (): RollbackContext => ({ config, active, pending: rollbackRequest !== null });
  const answer = (record: RollbackRecord, repeated: boolean): RollbackAnswer => ({
    ...record,
    status: rollbackStatus(record, rollbackContext()),
    repeated,
  });
  const rollback = async (request: RollbackRequest): Promise<RollbackAnswer> => {
    const plan = planRollback(request, rollbackContext());
    if ('repeat' in plan) return answer(plan.repeat, true);
    const mode = request.mode ?? 'immediate';
    // Aborting the change under way brings the fleet back to stable; the loop starts a rollback
    // rollout only if it is still needed once that change has ended (it may have won the race).
    const workflowId = sameRelease(plan.to, config.stable) ? null : nextRolloutId();
    const record: RollbackRecord = {
      from: plan.from,
      to: plan.to,
      mode,
      requestedAt: new Date().toISOString(),
      abortedRollout: plan.abort,
      workflowId,
    };
    // Recorded before the abort is sent, so a repeat arriving meanwhile is answered with it.
    config.rollback = record;
    rollbackRequest = { mode, to: plan.to, workflowId };
    if (active) {
      await active.handle
        .signal(abortRolloutSignal, { mode, reason: `rollback to revision ${plan.to.revision} requested` })
        .catch((err: unknown) =>
          log.info('the change to abort had already ended', { workflowId: plan.abort, reason: String(err) }),
        );
    }
    poke();
    return answer(record, false);
  };
  setHandler(rollbackUpdate, rollback, {
    validator: (request: RollbackRequest) => {
      planRollback(request, rollbackContext());
    },
  });
  setHandler(rollbackSignal, async ({ mode }) => {
    if (patched(ROLLBACK_UPDATE)) {
      // A signal cannot be refused: a rollback the update would refuse is only logged.
      await rollback({ mode }).catch((err: unknown) => log.warn('rollback signal ignored', { reason: String(err) }));
      return;
    }
    if (active) {
      await active.handle.signal(abortRolloutSignal, { mode, reason: 'rollback requested' });
      return;
    }
    rollbackRequest = { mode, to: null, workflowId: null };
    poke();
  });
  setHandler(
    startExperimentUpdate,
    (request) => {
      const workflowId = `experiment-${s.spec.id}-${loopId.slice(0, 8)}-${++config.rollouts}`;
      experimentRequest = { ...request, workflowId };
      poke();
      return { workflowId };
    },
    {
      validator: ({ a, b }: ExperimentRequest) => {
        if (sameRelease(a, b)) throw new Error('b: must be another version than a');
        const busy = busyReason();
        if (busy) throw new Error(busy);
      },
    },
  );
  setHandler(
    startTuningUpdate,
    (request) => {
      const workflowId = `tuning-${s.spec.id}-${loopId.slice(0, 8)}-${++config.rollouts}`;
      tuningRequest = { ...request, workflowId };
      poke();
      return { workflowId };
    },
    {
      validator: ({ trials }: TuningRequest) => {
        if (!Number.isInteger(trials) || trials < 1 || trials > MAX_TUNING_TRIALS)
          throw new Error(`trials: must be an integer 1..${MAX_TUNING_TRIALS}`);
        const busy = busyReason();
        if (busy) throw new Error(busy);
      },
    },
  );
  publish();

  const target = () => ({ resourceSetId: s.spec.id, provider: s.spec.provider, providerRef: s.spec.providerRef });
  // New instances get the stable release (its type and image here, its parameters once they are up).
  const instanceType = () => config.stable.instanceType;
  const managed = (): boolean => config.stable.template !== null;

  function nextRolloutId(): string {
    return `rollout-${s.spec.id}-${loopId.slice(0, 8)}-${++config.rollouts}`;
  }

  async function startRollout(
    kind: RolloutKind,
    to: Release,
    options: ConfigState['rolloutOptions'],
    childId = nextRolloutId(),
  ): Promise<string> {
    const from = config.stable;
    // Not tied to the iteration's scope: stopping the loop must not cancel a rollout half-way.
    const handle = await CancellationScope.nonCancellable(() =>
      startChild(rolloutWorkflow, {
        workflowId: childId,
        staticSummary: `${kind}: ${describeRelease(from)} → ${describeRelease(to)}`,
        args: [{ id: childId, target: target(), kind, from, to, options, slo: s.spec.slo }],
      }),
    );
    active = { workflowId: childId, kind, from, to, startedAt: new Date().toISOString(), handle };
    void handle.result().then(settle, (err: unknown) => settle({ outcome: 'failed', reason: failureMessage(err) }));
    return `${kind} ${childId} started: ${describeRelease(from)} → ${describeRelease(to)}`;
  }

  async function startExperiment({
    workflowId,
    a,
    b,
    options,
  }: ExperimentRequest & { workflowId: string }): Promise<string> {
    const handle = await CancellationScope.nonCancellable(() =>
      startChild(experimentWorkflow, {
        workflowId,
        staticSummary: `A/B: ${describeRelease(a)} vs ${describeRelease(b)}`,
        args: [{ id: workflowId, target: target(), a, b, options }],
      }),
    );
    active = { workflowId, kind: 'experiment', from: a, to: b, startedAt: new Date().toISOString(), handle };
    void handle.result().then(settleExperiment, (err: unknown) =>
      settleExperiment({
        outcome: 'failed',
        winner: null,
        promotion: options.promotion,
        reason: failureMessage(err),
      }),
    );
    return `experiment ${workflowId} started: A = ${describeRelease(a)}, B = ${describeRelease(b)}`;
  }

  async function startTuning({
    workflowId,
    bakeSeconds,
    ...request
  }: TuningRequest & { workflowId: string }): Promise<string> {
    const stable = config.stable;
    const rollout = { ...config.rolloutOptions, ...(bakeSeconds !== undefined ? { bakeSeconds } : {}) };
    const policy = s.spec.policy.configuration ?? { mode: 'recommend' as const, minExpectedGain: 0 };
    const handle = await CancellationScope.nonCancellable(() =>
      startChild(tuningWorkflow, {
        workflowId,
        staticSummary: `tuning ${request.space.parameters.map((p) => p.name).join(', ')} of ${describeRelease(stable)}`,
        args: [{ id: workflowId, target: target(), stable, ...request, rollout, slo: s.spec.slo, policy }],
      }),
    );
    active = { workflowId, kind: 'tuning', from: stable, to: stable, startedAt: new Date().toISOString(), handle };
    void handle
      .result()
      .then(settleExperiment, (err: unknown) =>
        settleExperiment({ outcome: 'failed', winner: null, promotion: rollout, reason: failureMessage(err) }),
      );
    return `tuning ${workflowId} started: ${request.trials} trial(s) of ${describeRelease(stable)}`;
  }

  /** The winner (an experiment's, or a tuning session's in 'auto') becomes what the set points at: the next iteration rolls it out like any version. */
  function settleExperiment(result: Omit<ExperimentResult, 'outcome'> & { outcome: string }): void {
    if (result.winner && !sameRelease(result.winner, config.stable)) {
      config.desired = result.winner;
      config.rolloutOptions = result.promotion;
    }
    log.info(`${active?.kind ?? 'experiment'} finished`, {
      workflowId: active?.workflowId,
      outcome: result.outcome,
      reason: result.reason,
    });
    active = null;
    rollbackReached();
    poke();
  }

  /** A rollback that only had to abort the change just ended is done now, not at the next iteration. */
  function rollbackReached(): void {
    if (rollbackRequest?.to && sameRelease(rollbackRequest.to, config.stable)) rollbackRequest = null;
  }

  function settle(result: RolloutResult): void {
    if (!active) return;
    if (result.outcome === 'promoted') {
      config.history = remember(releaseHistory(config), active.to);
      config.previous = active.from;
      config.stable = active.to;
      if (active.kind === 'rollback') config.desired = active.to;
    } else if (sameRelease(config.desired, active.to)) {
      // A version that failed is not tried again by itself: the set points back at what runs.
      config.desired = config.stable;
    }
    log.info('rollout finished', { workflowId: active.workflowId, outcome: result.outcome, reason: result.reason });
    active = null;
    rollbackReached();
    poke();
  }

  /** Every policy.configuration.everySeconds, the configuration recommender: listed, or in 'auto' rolled out. */
  async function recommendConfiguration(): Promise<RecommendConfigurationResult | null> {
    const { configuration, intervalSeconds, targetUtilization } = s.spec.policy;
    // Absent from specs written before recommendations existed: their histories replay unchanged.
    if (
      !configuration ||
      configuration.mode === 'off' ||
      s.iteration % Math.max(1, Math.round(configuration.everySeconds / intervalSeconds)) !== 0
    )
      return null;
    return advising
      .recommendConfiguration({
        ...target(),
        stable: config.stable,
        minInstances: s.spec.minInstances,
        targetUtilization,
        sloP95Ms: s.spec.slo.latencyP95Ms,
        policy: configuration,
      })
      .catch((err: unknown) => ({
        notes: [`configuration: the recommender failed: ${failureMessage(err)}`],
        rollout: null,
      }));
  }

  /**
   * Starts the rollout (or rollback) that is due; else keeps every serving instance on the stable
   * release (instances launched while a rollout ran, or left behind by a failed one).
   */
  async function reconfigure(key: string): Promise<string[]> {
    if (active) return [];
    if (experimentRequest) {
      const request = experimentRequest;
      experimentRequest = null;
      return [await startExperiment(request)];
    }
    if (tuningRequest) {
      const request = tuningRequest;
      tuningRequest = null;
      return [await startTuning(request)];
    }
    if (rollbackRequest) {
      const { mode, workflowId } = rollbackRequest;
      const to = rollbackRequest.to ?? config.previous;
      rollbackRequest = null;
      if (!to) return ['rollback requested, but there is no previous version'];
      if (sameRelease(to, config.stable)) return [`rollback: the fleet is back on ${describeRelease(to)}`];
      const options = {
        ...config.rolloutOptions,
        analysis: false,
        ...(mode === 'immediate' ? { steps: [{ percent: 100 }] } : {}),
      };
      const childId = workflowId ?? nextRolloutId();
      if (config.rollback && sameRelease(config.rollback.to, to)) config.rollback.workflowId = childId;
      return [await startRollout('rollback', to, options, childId)];
    }
    if (!sameRelease(config.desired, config.stable))
      return [await startRollout('rollout', config.desired, config.rolloutOptions)];
    const advice = await recommendConfiguration();
    if (advice?.rollout) {
      config.desired = advice.rollout;
      return [...advice.notes, await startRollout('rollout', advice.rollout, config.rolloutOptions)];
    }
    // The stray instances below are brought back next time: this iteration's work was the advice.
    if (advice) return advice.notes;
    if (!managed()) return [];
    const off = (
      await reads.observeInstances.executeWithOptions({ summary: `list ${s.spec.id}'s instances and their releases` }, [
        target(),
      ])
    )
      .filter((i) => i.state === 'running' && i.healthy && !runsRelease(i, config.stable))
      .map((i) => i.id);
    if (off.length === 0) return [];
    await configure(off, `${key}/converge`);
    return [`brought ${off.length} instance(s) to ${describeRelease(config.stable)}`];
  }

  async function configure(instanceIds: string[], idempotencyKey: string): Promise<void> {
    await fleet.applyRelease.executeWithOptions(
      { summary: `configure ${instanceIds.length} instance(s) of ${s.spec.id} to ${describeRelease(config.stable)}` },
      [{ ...target(), instanceIds, release: config.stable, idempotencyKey }],
    );
  }

  function deprovision(instanceIds: string[], idempotencyKey: string): Promise<string[]> {
    return fleet.deprovision.executeWithOptions(
      { summary: `deprovision ${instanceIds.length} of ${s.spec.id} (drain ${DRAIN_SECONDS} s)` },
      [{ ...target(), instanceIds, drainSeconds: DRAIN_SECONDS, idempotencyKey }],
    );
  }

  /** What the iteration under way found so far, for the loop's conditions. */
  let seen: Pick<IterationFacts, 'observed' | 'forecast' | 'failures'> = {
    observed: null,
    forecast: null,
    failures: [],
  };
  /** When the iteration under way started (ISO 8601): its conditions' `since` when they change. */
  let iterationStart = '';
  const holding = (): IterationFacts['holding'] =>
    s.paused ? 'paused' : s.spec.policy.mode === 'forecast-only' ? 'forecast-only' : null;

  // The status the store holds of this loop (what /metrics and the overview read), written only
  // when it changes: with the decision in a steady iteration, so it costs no command of its own.
  let storedStatus: string | null = null;
  const statusKey = (st: LoopStatus): string => JSON.stringify([st.state, st.conditions, st.activeRollout]);
  /** The status with these conditions, or null when the store already holds it. */
  const changedStatus = (conditions: Condition<LoopConditionType>[]): LoopStatus | null => {
    const { state, activeRollout } = snapshot();
    const status: LoopStatus = {
      resourceSetId: s.spec.id,
      loopId,
      iteration: s.iteration,
      state,
      conditions,
      activeRollout: activeRollout && {
        workflowId: activeRollout.workflowId,
        kind: activeRollout.kind,
        startedAt: activeRollout.startedAt,
      },
    };
    return statusKey(status) === storedStatus ? null : status;
  };

  async function iterate(): Promise<void> {
    const { policy } = s.spec;
    const key = `${workflowId}/${loopId}/${s.iteration}`;
    // The demand roll-up's resolution.
    const stepSeconds = 60;
    const observation: FleetObservation = await reads.observeFleet.executeWithOptions(
      { summary: `observe ${s.spec.id}: instances, load, demand` },
      [
        {
          ...target(),
          instanceType: instanceType(),
          stepSeconds,
          historySeconds: Math.min(3 * policy.seasonSeconds, 14 * 86_400),
          loadWindowSeconds: Math.max(2 * stepSeconds, 30),
          knownSpecVersion: knownSpecVersion(),
        },
      ],
    );
    // A policy change whose signal never came (the API crashed after writing it) is adopted here.
    if (observation.newerSpec) adoptSpec(observation.newerSpec);
    seen.observed = { current: observation.current, demandNow: observation.demandNow };
    const now = Math.floor(Date.now() / 1000);
    let forecast: DemandForecast | null = null;
    let forecastNote: string | null = null;
    if (observation.demandNow !== null) {
      try {
        forecast = await forecaster.forecastDemand({
          resourceSetId: s.spec.id,
          asOf: observation.observedAt,
          stepSeconds,
          // Two weeks to fit on and a day to compare models over, at least three seasons.
          historySeconds: Math.min(Math.max(3 * policy.seasonSeconds, 15 * 86_400), 28 * 86_400),
          horizonSteps: Math.ceil((policy.leadTimeSeconds + 2 * policy.intervalSeconds) / stepSeconds) + 1,
          seasonSteps: Math.max(1, Math.round(policy.seasonSeconds / stepSeconds)),
          // Each set re-chooses its operating point at its own time of day, not all at midnight.
          calibrateAtSecond: Math.floor(phaseOf(s.spec.id, 86_400_000) / 1000),
          // The candidates' seasonal profile is a day of clock hours: a set with another season
          // (a demo's compressed day, a weekly job) plans on the forecaster's quantiles instead.
          ...(observation.capacityPerInstance > 0 && policy.seasonSeconds === 86_400
            ? {
                calibration: {
                  objective: {
                    maxShortMinutesPct: s.spec.slo.maxShortMinutesPct,
                    costOfShortMinute: s.spec.slo.costOfShortMinute,
                  },
                  target: policy.targetUtilization,
                  capacityPerInstance: observation.capacityPerInstance,
                  leadSeconds: policy.leadTimeSeconds,
                  holdMinutes: policy.scaleInStabilizationSeconds / 60,
                },
              }
            : {}),
        });
      } catch (err) {
        forecastNote = `forecast failed: ${failureMessage(err)}`;
      }
      seen.forecast = forecast ? { model: forecast.model } : { failed: forecastNote ?? 'no forecast' };
    }
    const decided = plan({
      now,
      minInstances: s.spec.minInstances,
      maxInstances: s.spec.maxInstances,
      policy,
      current: observation.current,
      ready: observation.ready,
      loadPerReadyInstance: observation.loadPerReadyInstance,
      capacityPerInstance: observation.capacityPerInstance,
      // Model selection says whether its forecast beats naive; without a verdict, less than two
      // seasons of history cannot show a season: lean on the reactive rule.
      forecast,
      forecastTrusted:
        forecast?.trusted ?? (observation.demand?.values.length ?? 0) * stepSeconds >= 2 * policy.seasonSeconds,
      recommendations: s.recommendations,
      override: s.override,
      calibration: forecast?.calibration ?? null,
    });
    const reasons = forecastNote ? [...decided.reasons, forecastNote] : decided.reasons;

    const actions: DecisionAction[] = [];
    if (policy.mode === 'forecast-and-scale' && !s.paused) {
      try {
        if (decided.desired > observation.current) {
          const count = decided.desired - observation.current;
          const ids = await fleet.provision.executeWithOptions(
            { summary: `provision ${count} × ${instanceType()} for ${s.spec.id}` },
            [
              {
                ...target(),
                count,
                instanceType: instanceType(),
                image: config.stable.image,
                ...(managed() ? { config: appConfigOf(config.stable) } : {}),
                idempotencyKey: `${key}/provision`,
              },
            ],
          );
          actions.push({ kind: 'provision', count, instanceIds: ids });
          if (managed()) await configure(ids, `${key}/configure`);
        } else if (decided.desired < observation.current && active) {
          // A replacement surges first: the extra instances are the rollout's, not spare capacity.
          reasons.push(`scale-in deferred until ${active.workflowId} ends`);
        } else if (decided.desired < observation.current) {
          const victims = chooseVictims(observation.instances, observation.current - decided.desired);
          const ids = await deprovision(victims, `${key}/deprovision`);
          actions.push({ kind: 'deprovision', count: ids.length, instanceIds: ids });
        }
      } catch (err) {
        reasons.push(`action failed: ${failureMessage(err)}`);
        seen.failures.push(reasons.at(-1)!);
      }
    } else if (decided.desired !== observation.current) {
      reasons.push(s.paused ? 'paused: planned, not acted' : 'forecast-only: planned, not acted');
    }
    if (policy.mode === 'forecast-and-scale' && !s.paused) {
      try {
        reasons.push(...(await reconfigure(key)));
      } catch (err) {
        reasons.push(`reconfiguration failed: ${failureMessage(err)}`);
        seen.failures.push(reasons.at(-1)!);
      }
    }

    const acted = actions.reduce((n, a) => n + (a.kind === 'provision' ? a.count : -a.count), 0);
    s.currentInstances = observation.current + acted;
    s.desiredInstances = decided.desired;
    s.recommendations = [
      ...s.recommendations.filter((r) => r.at > now - policy.scaleInStabilizationSeconds),
      { at: now, count: decided.recommendation },
    ];
    if (s.override && s.override.expiresAt <= now) s.override = null;
    const decidedAt = new Date(now * 1000).toISOString();
    s.lastDecision = {
      iteration: s.iteration,
      decidedAt,
      desired: decided.desired,
      current: observation.current,
      rule: decided.rule,
      reasons,
      model: forecast?.model ?? null,
      predictive: decided.predictive,
    };
    const decision: Decision = {
      resourceSetId: s.spec.id,
      loopId,
      iteration: s.iteration,
      decidedAt,
      mode: policy.mode,
      paused: s.paused,
      currentInstances: observation.current,
      readyInstances: observation.ready,
      desiredInstances: decided.desired,
      rule: decided.rule,
      reasons,
      forecast,
      actions,
      inputs: {
        loadPerReadyInstance: observation.loadPerReadyInstance,
        capacityPerInstance: observation.capacityPerInstance,
        demandNow: observation.demandNow,
        predictive: decided.predictive,
        reactive: decided.reactive,
        model: forecast?.model ?? null,
        modelError: forecast?.modelError ?? null,
      },
    };
    // The conditions this iteration leaves if nothing fails from here on (the loop derives them again after it).
    const status = changedStatus(
      loopConditions(s.conditions, { at: iterationStart, error: null, holding: holding(), ...seen }),
    );
    await reads.recordDecision.executeWithOptions(
      {
        summary: `record decision #${s.iteration} for ${s.spec.id}: ${observation.current} → ${decided.desired} (${decided.rule})`,
      },
      status ? [decision, status] : [decision],
    );
    if (status) storedStatus = statusKey(status);
    publish();
  }

  async function deprovisionAll(): Promise<void> {
    const observation = await reads.observeFleet.executeWithOptions(
      { summary: `observe ${s.spec.id} before removing every instance` },
      [{ ...target(), instanceType: instanceType(), stepSeconds: 60, historySeconds: 60, loadWindowSeconds: 60 }],
    );
    const ids = chooseVictims(observation.instances, observation.instances.length);
    if (ids.length) await deprovision(ids, `${workflowId}/${loopId}/stop/deprovision`);
    s.currentInstances = 0;
  }

  // A run does not end while a rollout it started is running (a child cannot outlive its parent's run).
  const due = (n: number): boolean =>
    active !== null ||
    rollbackRequest !== null ||
    experimentRequest !== null ||
    tuningRequest !== null ||
    (n < iterationsPerRun && !workflowInfo().continueAsNewSuggested);
  for (let n = 0; !stop && due(n); n++) {
    s.iteration++;
    wake = false;
    const startedAt = Date.now();
    iterationStart = new Date(startedAt).toISOString();
    seen = { observed: null, forecast: null, failures: [] };
    let error: string | null = null;
    try {
      iteration = new CancellationScope();
      await iteration.run(iterate);
    } catch (err) {
      // A loop must outlive a provider or database outage: log, and try again next tick.
      error = failureMessage(err);
      log.warn('iteration failed', { iteration: s.iteration, error });
    }
    const conditions = loopConditions(s.conditions, { at: iterationStart, error, holding: holding(), ...seen });
    // A failed iteration recorded no decision: its status is written on its own, before the loop
    // shows it, so that whoever reads the new conditions from the workflow finds them in the store.
    const status = statusOnFailure ? changedStatus(conditions) : null;
    if (status) {
      try {
        await statusWrite.recordLoopStatus.executeWithOptions(
          { summary: `record ${s.spec.id}'s status: ${conditions.map((c) => `${c.type} ${c.status}`).join(', ')}` },
          [status],
        );
        storedStatus = statusKey(status);
      } catch (err) {
        log.warn('could not record the loop status', { iteration: s.iteration, error: failureMessage(err) });
      }
    }
    // The iteration's observation did not come back, and with it the stored spec: a fix of the very
    // spec that makes it fail (a wrong providerRef, say) must not wait on a signal that may be lost.
    if (error && specReadOnFailure) {
      try {
        const stored = await statusWrite.readNewerSpec.executeWithOptions(
          { summary: `read ${s.spec.id}'s stored spec, if newer than version ${knownSpecVersion()}` },
          [{ resourceSetId: s.spec.id, knownSpecVersion: knownSpecVersion() }],
        );
        if (stored) adoptSpec(stored);
      } catch (err) {
        log.warn('could not read the stored spec', { iteration: s.iteration, error: failureMessage(err) });
      }
    }
    s.conditions = conditions;
    const intervalMs = s.spec.policy.intervalSeconds * 1000;
    // Due on the loop's own grid (see loop-schedule.ts); before the patch, one interval after the iteration.
    const dueAt = v2 ? nextTick(Date.now(), intervalMs, phaseOf(s.spec.id, intervalMs)) : Date.now() + intervalMs;
    await condition(() => wake || stop !== null, dueAt - Date.now(), {
      summary: `next iteration at ${new Date(dueAt).toISOString()}, sooner on a message`,
    });
    const spacedAt = startedAt + wakeSpacingMs(intervalMs);
    if (coalesce && wake && !stop && spacedAt > Date.now()) {
      await condition(() => stop !== null, spacedAt - Date.now(), {
        summary: `messages coalesced: next iteration at ${new Date(spacedAt).toISOString()}`,
      });
    }
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
