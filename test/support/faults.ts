// Fault trials on the real system — Temporal, Postgres, a local cloud of real instance processes,
// the main worker in a process of its own — shared by test/faults/*.test.ts, which assert on each
// trial, and bench/fault-tallies.ts, which tallies them. A trial is judged from the cloud's own
// records (every instance it ever launched, terminated ones included) against the workflow's state.
import { setTimeout as sleep } from 'node:timers/promises';
import { agentToken } from '../../src/domain/agent-token.js';
import { seededRandom } from '../../src/domain/random.js';
import { LocalProvider } from '../../src/providers/local/client.js';
import type { Instance } from '../../src/domain/provider.js';
import type { Db } from '../../src/store/db.js';
import type { ResourceSetState } from '../../src/workflows/resource-set-messages.js';
import { configuredInstances, rolloutsOf, type RolloutHarness } from '../rollout/support.js';
import { uniqueId, type SystemApi } from './api.js';
import { waitFor } from './wait.js';

/** FAULT_SEED when set (to replay a run), else a fresh seed. */
export const faultSeed = (): number => Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));

export interface TrialOutcome {
  /** Which set, in which round. */
  trial: string;
  /** From the set's start (its creation, or its template change accepted) to the SIGKILL. */
  killAfterMs: number | null;
  /** Reached the intended end state, and the workflow's state agrees with the cloud. */
  completed: boolean;
  /** Instances launched beyond what the change needed. */
  duplicated: string[];
  /** Live instances the control plane does not account for. */
  leaked: string[];
  /** What went missing: decisions of iterations, instances on the intended release, metric samples. */
  lost: number;
  problems: string[];
}

export interface Tally {
  trials: number;
  completed: number;
  leaked: number;
  duplicated: number;
  lost: number;
}

export function tally(outcomes: TrialOutcome[]): Tally {
  return {
    trials: outcomes.length,
    completed: outcomes.filter((o) => o.completed).length,
    leaked: outcomes.reduce((n, o) => n + o.leaked.length, 0),
    duplicated: outcomes.reduce((n, o) => n + o.duplicated.length, 0),
    lost: outcomes.reduce((n, o) => n + o.lost, 0),
  };
}

export const describeOutcome = (o: TrialOutcome): string =>
  `${o.trial}: killed ${o.killAfterMs === null ? '-' : `${o.killAfterMs} ms`} after start → ${o.completed ? 'completed' : 'NOT completed'}` +
  `, duplicated ${o.duplicated.length}, leaked ${o.leaked.length}, lost ${o.lost}${o.problems.length ? ` (${o.problems.join('; ')})` : ''}`;

export interface KillTrialOptions {
  rounds: number;
  /** Sets per round; one SIGKILL per round hits each at its own point. */
  sets: number;
  seed: number;
  log?: (line: string) => void;
}

export const isAlive = (i: Instance): boolean => i.state === 'pending' || i.state === 'running';
export const isServing = (i: Instance): boolean => i.state === 'running' && i.healthy;
export const byLaunch = (a: Instance, b: Instance): number =>
  a.launchedAt.localeCompare(b.launchedAt) || a.id.localeCompare(b.id);

export const cloudOf = (api: Pick<SystemApi, 'cloud'>): LocalProvider =>
  new LocalProvider({ url: api.cloud!.apiUrl, token: api.cloud!.token });

/** The loop's state query through the API; undefined while it cannot answer (e.g. a worker just restarted). */
export async function loopState(api: Pick<SystemApi, 'request'>, id: string): Promise<ResourceSetState | undefined> {
  const res = await api.request('GET', `/v1/resource-sets/${id}`);
  return res.status === 200 ? (res.body.status as ResourceSetState) : undefined;
}

/** The iterations whose decision is stored, and the instances those decisions say were provisioned. */
export async function recordedDecisions(
  db: Db,
  id: string,
): Promise<{ iterations: number[]; provisioned: Set<string> }> {
  const { rows } = await db.query<{ iteration: number; actions: { kind: string; instanceIds?: string[] }[] }>(
    'SELECT iteration, actions FROM decisions WHERE resource_set_id = $1 ORDER BY iteration',
    [id],
  );
  const provisioned = new Set(
    rows.flatMap((r) => r.actions.filter((a) => a.kind === 'provision').flatMap((a) => a.instanceIds ?? [])),
  );
  return { iterations: rows.map((r) => r.iteration), provisioned };
}

/** Iterations below the last recorded one that have no decision: the loop lost them. */
export const missingIterations = (iterations: number[]): number =>
  iterations.length === 0 ? 0 : iterations.at(-1)! - iterations[0]! + 1 - new Set(iterations).size;

/**
 * Starts each action at a seeded offset within `windowMs`, SIGKILLs the worker at the window's end
 * (or once the last action was acknowledged, if later) and starts a new one. The kill point of each
 * set is thus spread over the window in which its activities are in flight, and never before its
 * change was accepted (a template change is an update the loop itself must accept).
 */
async function killDuring<T>(
  h: RolloutHarness,
  random: () => number,
  windowMs: number,
  starts: (() => Promise<T>)[],
): Promise<{ started: { value: T; at: number }[]; killedAt: number }> {
  const begin = Date.now();
  const pending = starts.map(async (start) => {
    await sleep(Math.round(random() * windowMs));
    const value = await start();
    return { value, at: Date.now() };
  });
  const started = await Promise.all(pending);
  await sleep(Math.max(0, windowMs - (Date.now() - begin)));
  await h.killWorker();
  const killedAt = Date.now();
  await h.startWorker();
  return { started, killedAt };
}

/** Deletes the sets with their instances and waits (a while) for the instances to be gone. */
export async function stopSets(api: SystemApi, ids: string[]): Promise<void> {
  const cloud = cloudOf(api);
  for (const id of ids) await api.request('DELETE', `/v1/resource-sets/${id}?deprovision=true`);
  // Instances are real processes: let them go before the next round boots more.
  await waitFor(
    'the trial sets deprovisioned',
    async () => {
      const alive = await Promise.all(
        ids.map(async (id) => (await cloud.describeInstances(id)).filter(isAlive).length),
      );
      return alive.every((n) => n === 0);
    },
    90_000,
    1_000,
  ).catch(() => undefined);
}

/** Instances each scale-out trial launches: a new set from zero to this many. */
export const SCALE_OUT_TO = 2;
/** From a set's creation to its instances serving: observe, launch, a 1 s boot, health, record. */
const SCALE_OUT_WINDOW_MS = 4_000;

/** New sets scale out from 0 to SCALE_OUT_TO while the worker is SIGKILLed at random points. */
export async function scaleOutUnderKills(h: RolloutHarness, options: KillTrialOptions): Promise<TrialOutcome[]> {
  const random = seededRandom(options.seed);
  const outcomes: TrialOutcome[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const { started, killedAt } = await killDuring(
      h,
      random,
      SCALE_OUT_WINDOW_MS,
      Array.from({ length: options.sets }, () => async () => {
        const id = uniqueId('fault-out');
        const created = await h.api.request('POST', '/v1/resource-sets', {
          id,
          provider: 'local',
          minInstances: SCALE_OUT_TO,
          maxInstances: SCALE_OUT_TO,
          policy: { intervalSeconds: 5 },
        });
        if (created.status !== 201) throw new Error(`create ${id}: ${created.status} ${JSON.stringify(created.body)}`);
        return id;
      }),
    );
    for (const [k, { value: id, at }] of started.entries()) {
      const outcome = await judgeScaleOut(h.api, id, `scale-out round ${round} set ${k + 1} (${id})`, killedAt - at);
      options.log?.(describeOutcome(outcome));
      outcomes.push(outcome);
    }
    await stopSets(
      h.api,
      started.map((s) => s.value),
    );
  }
  return outcomes;
}

/** Whether a set created to scale out to SCALE_OUT_TO got there with each instance launched once. */
export async function judgeScaleOut(
  api: SystemApi,
  id: string,
  trial: string,
  killAfterMs: number,
): Promise<TrialOutcome> {
  const cloud = cloudOf(api);
  const problems: string[] = [];
  const completed = await waitFor(
    `${SCALE_OUT_TO} serving instances, as the loop's state says`,
    async () => {
      const [state, all] = await Promise.all([loopState(api, id), cloud.describeInstances(id)]);
      const alive = all.filter(isAlive);
      return (
        state?.currentInstances === SCALE_OUT_TO &&
        state.desiredInstances === SCALE_OUT_TO &&
        alive.length === SCALE_OUT_TO &&
        alive.every(isServing)
      );
    },
    150_000,
    1_000,
  ).catch((err: Error) => {
    problems.push(err.message);
    return false;
  });
  const all = (await cloud.describeInstances(id)).sort(byLaunch);
  const { iterations, provisioned } = await recordedDecisions(api.database.db, id);
  return {
    trial,
    killAfterMs,
    completed,
    duplicated: all.slice(SCALE_OUT_TO).map((i) => i.id),
    leaked: all.filter((i) => isAlive(i) && !provisioned.has(i.id)).map((i) => i.id),
    lost: missingIterations(iterations),
    problems,
  };
}

/** Instances in each rollout trial's set; every one is replaced (the image changes). */
export const ROLLOUT_FLEET = 2;
/** A canary of one, then the rest: two surge-first replacements, bakes of 1 s. */
const ROLLOUT_WINDOW_MS = 8_000;
export const QUICK_ROLLOUT = {
  steps: [{ instances: 1 }, { percent: 100 }],
  analysis: false,
  bakeSeconds: 1,
  warmupSeconds: 0,
};

/**
 * Sets of ROLLOUT_FLEET instances each roll out a new image per round (v2, then back to v1, …)
 * while the worker is SIGKILLed at random points of the rollouts.
 */
export async function rolloutUnderKills(h: RolloutHarness, options: KillTrialOptions): Promise<TrialOutcome[]> {
  const random = seededRandom(options.seed);
  const cloud = cloudOf(h.api);
  const ids = await Promise.all(Array.from({ length: options.sets }, () => h.fleet(ROLLOUT_FLEET)));
  const template = uniqueId('fault-tpl');
  const outcomes: TrialOutcome[] = [];
  try {
    for (let round = 1; round <= options.rounds; round++) {
      const image = round % 2 === 1 ? 'v2' : 'v1';
      const version = await h.template(template, {
        instanceType: 'local.small',
        softwareVersion: image,
        params: { poolSize: 3, cacheSize: 100 + round, queueLimit: 32 },
      });
      const before = new Map(
        await Promise.all(
          ids.map(async (id) => [id, new Set((await cloud.describeInstances(id)).map((i) => i.id))] as const),
        ),
      );
      const { started, killedAt } = await killDuring(
        h,
        random,
        ROLLOUT_WINDOW_MS,
        ids.map((id) => async () => {
          const pointed = await h.api.request('PUT', `/v1/resource-sets/${id}/template`, {
            template,
            version,
            rollout: QUICK_ROLLOUT,
          });
          if (pointed.status !== 200)
            throw new Error(
              `point ${id} at ${template} v${version}: ${pointed.status} ${JSON.stringify(pointed.body)}`,
            );
          return { id, revision: pointed.body.desired.revision as number };
        }),
      );
      for (const [k, { value, at }] of started.entries()) {
        const outcome = await judgeRollout(
          h.api,
          { ...value, image: `sample-service:${image}`, before: before.get(value.id)! },
          `rollout round ${round} set ${k + 1} (${value.id})`,
          killedAt - at,
        );
        options.log?.(describeOutcome(outcome));
        outcomes.push(outcome);
      }
    }
  } finally {
    await stopSets(h.api, ids);
  }
  return outcomes;
}

/** Whether a set's rollout to `revision` was promoted once, every instance replaced once onto `image`. */
export async function judgeRollout(
  api: SystemApi,
  set: { id: string; revision: number; image: string; before: Set<string> },
  trial: string,
  killAfterMs: number,
): Promise<TrialOutcome> {
  const cloud = cloudOf(api);
  const problems: string[] = [];
  const rollout = await waitFor(
    `the rollout to revision ${set.revision} to finish`,
    async () => {
      const [latest] = await rolloutsOf(api, set.id);
      const state = await loopState(api, set.id);
      return latest?.to.revision === set.revision && latest.finishedAt !== null && state?.activeRollout === null
        ? latest
        : undefined;
    },
    240_000,
    1_000,
  ).catch((err: Error) => {
    problems.push(err.message);
    return undefined;
  });
  if (rollout && rollout.status !== 'promoted') problems.push(`rollout ${rollout.status}: ${rollout.reason}`);
  // The replaced instances drain and stop after the rollout's last step.
  await waitFor(
    'the replaced instances to stop',
    async () => (await cloud.describeInstances(set.id)).filter(isAlive).length <= ROLLOUT_FLEET,
    60_000,
    1_000,
  ).catch((err: Error) => problems.push(err.message));
  const all = await cloud.describeInstances(set.id);
  const launched = all.filter((i) => !set.before.has(i.id)).sort(byLaunch);
  const recorded = new Set(rollout?.steps.flatMap((s) => s.applied?.launched ?? []) ?? []);
  const configured = await configuredInstances(api, set.id);
  const onRelease = configured.filter((i) => i.image === set.image && i.version === set.revision);
  const stable = (await loopState(api, set.id))?.config.stable.revision;
  if (stable !== set.revision) problems.push(`the loop's stable revision is ${stable}`);
  const completed =
    rollout?.status === 'promoted' &&
    stable === set.revision &&
    configured.length === ROLLOUT_FLEET &&
    onRelease.length === ROLLOUT_FLEET;
  return {
    trial,
    killAfterMs,
    completed,
    duplicated: launched.slice(ROLLOUT_FLEET).map((i) => i.id),
    leaked: all.filter((i) => isAlive(i) && !recorded.has(i.id)).map((i) => i.id),
    lost: ROLLOUT_FLEET - onRelease.length,
    problems,
  };
}

/** An agent's own figure from its Prometheus exposition (e.g. prescale_agent_last_seq). */
export async function agentFigure(
  agentSecret: string,
  instance: Pick<Instance, 'id' | 'agentUrl'>,
  name: string,
): Promise<number> {
  const res = await fetch(`${instance.agentUrl}/metrics`, {
    headers: { authorization: `Bearer ${agentToken(agentSecret, instance.id)}` },
  });
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
}
