import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import { workflowIdFor } from '../../src/domain/resource-set.js';
import { createPool } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { startTestApi, uniqueId } from '../support/api.js';
import {
  agentFigure,
  byLaunch,
  cloudOf,
  describeOutcome,
  isAlive,
  isServing,
  missingIterations,
  recordedDecisions,
  type TrialOutcome,
} from '../support/faults.js';
import { localActivityMarkers, type LocalActivityMarker } from '../support/history.js';
import { waitFor } from '../support/wait.js';
import { startThrowawayPostgres } from './throwaway-postgres.js';

const INSTANCES = 2;

/**
 * The loop's reads and decision row are local activities: their retries happen inside the worker
 * and show only in the marker each leaves in history, with the attempt that succeeded.
 */
async function mostRetriedLocalActivity(handle: WorkflowHandle): Promise<LocalActivityMarker | null> {
  let most: LocalActivityMarker | null = null;
  for (const marker of localActivityMarkers((await handle.fetchHistory()).events ?? [])) {
    if (marker.attempt > (most?.attempt ?? 1)) most = marker;
  }
  return most;
}

/** What the system did while Postgres was down and after it came back. */
export interface PostgresOutageReport {
  during: {
    /** /readyz status and its postgres check. */
    readyz: { status: number; postgresOk: boolean | undefined };
    /** A DB-backed route (listing resource sets, which checks the key in Postgres too). */
    list: { status: number; code: string | undefined };
    /** The loop's most retried (local) activity: the one in flight across the outage. */
    retried: LocalActivityMarker | null;
    /** prescale_agent_buffered_samples of each agent, at the end of the outage. */
    buffered: number[];
  };
  after: { readyz: number; list: number; iterationsBefore: number; iterationsAfter: number };
  /** Per instance: the last seq its agent made before the restart, and what Postgres holds of 0..max. */
  samples: { instanceId: string; made: number; rows: number; distinct: number; max: number; dropped: number }[];
  outcome: TrialOutcome;
}

/**
 * A throwaway Postgres cluster (the shared one must stay up) behind a real API, worker, loop and
 * local cloud whose agents push metrics: the cluster stops for `outageSeconds`, then starts again.
 */
export async function postgresOutageTrial(options: {
  outageSeconds: number;
  log?: (line: string) => void;
}): Promise<PostgresOutageReport> {
  const postgres = await startThrowawayPostgres();
  const db = createPool(postgres.url);
  await migrate(db);
  const api = await startTestApi({
    fleet: { bootDelaySeconds: 1 },
    database: { url: postgres.url, db, drop: () => db.end() },
  });
  try {
    const id = uniqueId('pg-outage');
    const created = await api.request('POST', '/v1/resource-sets', {
      id,
      provider: 'local',
      minInstances: INSTANCES,
      maxInstances: INSTANCES,
      policy: { intervalSeconds: 5 },
    });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
    const cloud = cloudOf(api);
    const instances = await waitFor(
      'serving instances whose samples are stored',
      async () => {
        const serving = (await cloud.describeInstances(id)).filter(isServing);
        if (serving.length < INSTANCES) return undefined;
        const { rows } = await db.query<{ n: number }>(
          'SELECT count(DISTINCT instance_id)::int AS n FROM metric_samples WHERE resource_set_id = $1',
          [id],
        );
        return rows[0]!.n === INSTANCES ? serving : undefined;
      },
      90_000,
      1_000,
    );
    const iterationsBefore = (await recordedDecisions(db, id)).iterations.length;

    await postgres.stop();
    const stoppedAt = Date.now();
    options.log?.(`Postgres stopped with ${iterationsBefore} decisions recorded`);
    await sleep(3_000);
    const ready = await api.request('GET', '/readyz', undefined, { as: 'none' });
    const list = await api.request('GET', '/v1/resource-sets');
    await sleep(options.outageSeconds * 1000 - (Date.now() - stoppedAt));
    const buffered = await Promise.all(
      instances.map((i) => agentFigure(api.ctx.agentSecret, i, 'prescale_agent_buffered_samples')),
    );
    const made = await Promise.all(
      instances.map((i) => agentFigure(api.ctx.agentSecret, i, 'prescale_agent_last_seq')),
    );
    await postgres.start();
    options.log?.(
      `Postgres started again after ${Math.round((Date.now() - stoppedAt) / 1000)} s; agents had buffered ${buffered.join(', ')} samples`,
    );

    const readyAfter = await waitFor(
      '/readyz 200',
      async () => {
        const r = await api.request('GET', '/readyz', undefined, { as: 'none' });
        return r.status === 200 ? r.status : undefined;
      },
      30_000,
    ).catch(() => 503);
    const listAfter = (await api.request('GET', '/v1/resource-sets')).status;
    const problems: string[] = [];
    const iterationsAfter = await waitFor(
      'two more decisions',
      async () => {
        const n = (await recordedDecisions(db, id)).iterations.length;
        return n >= iterationsBefore + 2 ? n : undefined;
      },
      60_000,
      1_000,
    ).catch((err: Error) => {
      problems.push(err.message);
      return recordedDecisions(db, id).then((d) => d.iterations.length);
    });

    const samples = await Promise.all(
      instances.map(async (instance, k) => {
        const stored = async () =>
          (
            await db.query<{ rows: number; distinct: number; max: number | null }>(
              'SELECT count(*)::int AS rows, count(DISTINCT seq)::int AS distinct, max(seq)::int AS max FROM metric_samples WHERE instance_id = $1',
              [instance.id],
            )
          ).rows[0]!;
        const s = await waitFor(
          `${instance.id}'s samples up to seq ${made[k]}`,
          async () => {
            const figures = await stored();
            return figures.max !== null && figures.max >= made[k]! ? figures : undefined;
          },
          60_000,
          1_000,
        ).catch(async (err: Error) => {
          problems.push(err.message);
          return stored();
        });
        return {
          instanceId: instance.id,
          made: made[k]!,
          rows: s.rows,
          distinct: s.distinct,
          max: s.max ?? -1,
          dropped: await agentFigure(api.ctx.agentSecret, instance, 'prescale_agent_dropped_samples_total'),
        };
      }),
    );
    const retried = await mostRetriedLocalActivity(api.ctx.temporal.client.workflow.getHandle(workflowIdFor(id)));
    const { iterations, provisioned } = await recordedDecisions(db, id);
    const launched = (await cloud.describeInstances(id)).sort(byLaunch);
    const outcome: TrialOutcome = {
      trial: `Postgres stopped ${options.outageSeconds} s (${id})`,
      killAfterMs: null,
      completed: readyAfter === 200 && listAfter === 200 && iterationsAfter >= iterationsBefore + 2,
      // Seq numbers start at 0: max + 1 samples were made up to max, each must be stored once.
      duplicated: [
        ...launched.slice(INSTANCES).map((i) => i.id),
        ...samples.flatMap((s) => Array.from({ length: s.rows - s.distinct }, () => `a sample of ${s.instanceId}`)),
      ],
      leaked: launched.filter((i) => isAlive(i) && !provisioned.has(i.id)).map((i) => i.id),
      lost: samples.reduce((n, s) => n + (s.max + 1 - s.distinct) + s.dropped, 0) + missingIterations(iterations),
      problems,
    };
    options.log?.(describeOutcome(outcome));
    await api.request('DELETE', `/v1/resource-sets/${id}?deprovision=true`);
    return {
      during: {
        readyz: { status: ready.status, postgresOk: ready.body?.checks?.postgres?.ok },
        list: { status: list.status, code: list.body?.error?.code },
        retried,
        buffered,
      },
      after: { readyz: readyAfter, list: listAfter, iterationsBefore, iterationsAfter },
      samples,
      outcome,
    };
  } finally {
    await api.close();
    await postgres.destroy();
  }
}
