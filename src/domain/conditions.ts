// Pure and deterministic: the resource-set workflow derives its loop conditions with it.

/** As Kubernetes conditions: 'False' is what to alert on, 'Unknown' means not known yet. */
export type ConditionStatus = 'True' | 'False' | 'Unknown';
export type LoopConditionType = 'Observing' | 'Forecasting' | 'Provisioning';
export type ConditionType = 'Ready' | LoopConditionType | 'Rollout';

export interface Condition<T extends ConditionType = ConditionType> {
  type: T;
  status: ConditionStatus;
  /** CamelCase, stable: what alerts and dashboards match on. */
  reason: string;
  message: string;
  /** When the status last changed (ISO 8601). */
  since: string;
}

/** What one iteration of the control loop found; what its loop conditions follow from. */
export interface IterationFacts {
  /** The iteration's start, ISO 8601. */
  at: string;
  /** Why the iteration failed as a whole, or null when it ran to its end. */
  error: string | null;
  /** The fleet as observed, or null when observing failed (or never ran). */
  observed: { current: number; demandNow: number | null } | null;
  /** The forecast's model, why it failed, or null when no demand was recorded to forecast from. */
  forecast: { model: string } | { failed: string } | null;
  /** Why the loop did not act: paused, or its policy only plans. */
  holding: 'paused' | 'forecast-only' | null;
  /** Actions or reconfigurations that failed this iteration. */
  failures: string[];
}

const build = <T extends ConditionType>(type: T, status: ConditionStatus, reason: string, message: string) => ({
  type,
  status,
  reason,
  message,
});

/**
 * The loop's conditions after an iteration. `since` moves only when a condition's status changes,
 * so "False since 10:02" says how long a failure has lasted, not when it was last seen.
 */
export function loopConditions(
  previous: readonly Condition[] | undefined,
  facts: IterationFacts,
): Condition<LoopConditionType>[] {
  const { observed, forecast, error } = facts;
  const observing = observed
    ? build(
        'Observing',
        'True',
        'Observed',
        `${observed.current} instance(s), demand ${observed.demandNow === null ? 'not recorded yet' : `${observed.demandNow.toFixed(1)}/s`}`,
      )
    : build('Observing', 'False', 'ObserveFailed', error ?? 'the fleet could not be observed');
  const forecasting = !observed
    ? build('Forecasting', 'Unknown', 'NotObserved', 'nothing observed to forecast from')
    : forecast === null
      ? build('Forecasting', 'Unknown', 'NoDemand', 'no demand recorded yet: the reactive rule plans alone')
      : 'failed' in forecast
        ? build('Forecasting', 'False', 'ForecastFailed', forecast.failed)
        : build('Forecasting', 'True', 'Forecasting', `model ${forecast.model}`);
  const provisioning = !observed
    ? build('Provisioning', 'Unknown', 'NotObserved', 'nothing observed to act on')
    : facts.failures.length > 0
      ? build('Provisioning', 'False', 'ActionFailed', facts.failures.join('; '))
      : error !== null
        ? build('Provisioning', 'False', 'IterationFailed', error)
        : facts.holding === 'paused'
          ? build('Provisioning', 'False', 'Paused', 'the loop is paused: it plans but does not act')
          : facts.holding === 'forecast-only'
            ? build('Provisioning', 'True', 'ForecastOnly', 'the policy only plans (mode forecast-only)')
            : build('Provisioning', 'True', 'Acting', 'the fleet follows the plan');
  return [observing, forecasting, provisioning].map((c) => ({
    ...c,
    since: sinceOf(previous, c.type, c.status, facts.at),
  }));
}

function sinceOf(
  previous: readonly Condition[] | undefined,
  type: ConditionType,
  status: ConditionStatus,
  at: string,
): string {
  const before = previous?.find((c) => c.type === type);
  return before && before.status === status ? before.since : at;
}

/** The latest rollout as its record shows it (a subset of RolloutProgress). */
export interface RolloutFacts {
  id: string;
  kind: string;
  status: string;
  startedAt: string;
  finishedAt: string | null;
  reason: string | null;
  events: readonly { at: string; message: string }[];
}

/** The configuration change under way as the loop knows it: experiments and tuning have no rollout record. */
export interface ActiveChangeFacts {
  workflowId: string;
  kind: string;
  startedAt: string;
}

const ROLLOUT_OUTCOMES: Record<string, [ConditionStatus, string]> = {
  running: ['True', 'Progressing'],
  promoted: ['True', 'Promoted'],
  paused: ['False', 'Paused'],
  reverting: ['False', 'Reverting'],
  'rolled-back': ['False', 'RolledBack'],
  aborted: ['False', 'Aborted'],
  failed: ['False', 'Failed'],
};

/** The Rollout condition: how the latest configuration change went or goes. */
export function rolloutCondition(
  latest: RolloutFacts | null,
  active: ActiveChangeFacts | null,
  createdAt: string,
): Condition<'Rollout'> {
  if (active && active.workflowId !== latest?.id) {
    return {
      ...build('Rollout', 'True', 'Progressing', `${active.kind} ${active.workflowId} under way`),
      since: active.startedAt,
    };
  }
  if (!latest) return { ...build('Rollout', 'True', 'NoRollout', 'no rollout yet'), since: createdAt };
  const [status, reason] = ROLLOUT_OUTCOMES[latest.status] ?? ['Unknown', 'UnknownStatus'];
  const lastEvent = latest.events.at(-1);
  const message =
    latest.finishedAt !== null
      ? `${latest.kind} ${latest.id} ${latest.status}: ${latest.reason ?? ''}`
      : `${latest.kind} ${latest.id} ${latest.status}${lastEvent ? `: ${lastEvent.message}` : ''}`;
  const since = latest.finishedAt ?? (status === 'False' && lastEvent ? lastEvent.at : latest.startedAt);
  return { ...build('Rollout', status, reason, message), since };
}

/**
 * Ready: no condition False. Its `since` is read off the others, as it keeps no memory of its own:
 * when failing, the oldest failure's; when ready, the latest change's.
 */
export function withReady(conditions: readonly Condition[]): Condition[] {
  const failing = conditions.filter((c) => c.status === 'False');
  const earliest = (cs: readonly Condition[]) => cs.map((c) => c.since).sort()[0]!;
  const latest = (cs: readonly Condition[]) =>
    cs
      .map((c) => c.since)
      .sort()
      .at(-1)!;
  const loopKnown = conditions.some((c) => c.type === 'Observing');
  const ready: Condition<'Ready'> =
    failing.length > 0
      ? {
          ...build('Ready', 'False', failing[0]!.reason, failing.map((c) => `${c.type}: ${c.message}`).join('; ')),
          since: earliest(failing),
        }
      : !loopKnown
        ? {
            ...build('Ready', 'Unknown', 'Starting', 'the loop has not finished an iteration yet'),
            since: latest(conditions),
          }
        : {
            ...build('Ready', 'True', 'Ready', 'observing, planning and acting as the policy says'),
            since: latest(conditions),
          };
  return [ready, ...conditions];
}

/** Every condition of a resource set, Ready first: the loop's, the latest rollout's, and Ready over them. */
export function resourceSetConditions(
  loop: readonly Condition[] | undefined,
  latest: RolloutFacts | null,
  active: ActiveChangeFacts | null,
  createdAt: string,
): Condition[] {
  return withReady([...(loop ?? []), rolloutCondition(latest, active, new Date(createdAt).toISOString())]);
}
