import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { uniqueId } from '../support/api.js';
import {
  cloudOf,
  describeOutcome,
  isAlive,
  judgeRollout,
  judgeScaleOut,
  missingIterations,
  QUICK_ROLLOUT,
  recordedDecisions,
  SCALE_OUT_TO,
  stopSets,
  tally,
  type TrialOutcome,
} from '../support/faults.js';
import { startTopology, type Topology } from '../support/topology.js';
import { sendTraffic } from '../support/traffic.js';
import { waitFor } from '../support/wait.js';

/** Sets per phase: with two workers per queue, some of their activities are on the killed one. */
const SETS = 3;
/** Iterations each loop must record after the Temporal server's restart to count as continuing. */
const AFTER_RESTART = 2;

const missing = ['temporal-server', 'temporal-sql-tool'].filter((binary) => {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`]);
    return false;
  } catch {
    return true;
  }
});

/** SIGKILLs one worker of each queue (a replacement starts) once `inFlight` says the change is under way. */
async function killMidway(t: Topology, what: string, inFlight: () => Promise<boolean>): Promise<number> {
  await waitFor(what, async () => inFlight(), 60_000, 200);
  const killedAt = Date.now();
  await Promise.all([t.replaceWorker('main'), t.replaceWorker('forecast')]);
  return killedAt;
}

async function scaleOut(t: Topology, ids: string[]): Promise<TrialOutcome[]> {
  const cloud = cloudOf(t.api);
  const startedAt = Date.now();
  for (const id of ids) {
    const created = await t.api.request('POST', '/v1/resource-sets', {
      id,
      provider: 'local',
      minInstances: SCALE_OUT_TO,
      maxInstances: SCALE_OUT_TO,
      policy: { intervalSeconds: 5 },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }
  // Launched but still booting: the provisioning activities wait for health.
  const killedAt = await killMidway(t, 'every set launching instances', async () =>
    (await Promise.all(ids.map((id) => cloud.describeInstances(id)))).every((list) => list.length > 0),
  );
  return Promise.all(ids.map((id) => judgeScaleOut(t.api, id, `scale-out ${id}`, killedAt - startedAt)));
}

async function rollOut(t: Topology, ids: string[]): Promise<TrialOutcome[]> {
  const cloud = cloudOf(t.api);
  const template = uniqueId('topo-tpl');
  const made = await t.api.request('POST', `/v1/templates/${template}/versions`, {
    instanceType: 'local.small',
    softwareVersion: 'v2',
    params: { poolSize: 3, cacheSize: 101, queueLimit: 32 },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  const before = new Map(
    await Promise.all(
      ids.map(async (id) => [id, new Set((await cloud.describeInstances(id)).map((i) => i.id))] as const),
    ),
  );
  const startedAt = Date.now();
  const revisions = new Map<string, number>();
  for (const id of ids) {
    const pointed = await t.api.request('PUT', `/v1/resource-sets/${id}/template`, {
      template,
      version: made.body.version,
      rollout: QUICK_ROLLOUT,
    });
    assert.equal(pointed.status, 200, JSON.stringify(pointed.body));
    revisions.set(id, pointed.body.desired.revision as number);
  }
  // The canary launched: the rollout is between its first replacement and its last.
  const killedAt = await killMidway(t, 'every rollout launching its canary', async () =>
    (
      await Promise.all(
        ids.map(async (id) => (await cloud.describeInstances(id)).some((i) => !before.get(id)!.has(i.id))),
      )
    ).every(Boolean),
  );
  return Promise.all(
    ids.map((id) =>
      judgeRollout(
        t.api,
        { id, revision: revisions.get(id)!, image: 'sample-service:v2', before: before.get(id)! },
        `rollout ${id}`,
        killedAt - startedAt,
      ),
    ),
  );
}

/** Crashes the Temporal server and starts it again: each loop must go on with the fleet it had. */
async function restartTemporal(t: Topology, ids: string[]): Promise<TrialOutcome[]> {
  const cloud = cloudOf(t.api);
  const last = async (id: string): Promise<number> =>
    Math.max(...(await recordedDecisions(t.api.database.db, id)).iterations);
  const before = await Promise.all(
    ids.map(async (id) => {
      const all = await cloud.describeInstances(id);
      return {
        iteration: await last(id),
        launched: new Set(all.map((i) => i.id)),
        alive: all
          .filter(isAlive)
          .map((i) => i.id)
          .sort(),
      };
    }),
  );
  await t.temporal.crash();
  await sleep(3_000);
  await t.temporal.start();
  return Promise.all(
    ids.map(async (id, k): Promise<TrialOutcome> => {
      const problems: string[] = [];
      const continued = await waitFor(
        `${id} past iteration ${before[k]!.iteration + AFTER_RESTART}`,
        async () => (await last(id)) >= before[k]!.iteration + AFTER_RESTART,
        90_000,
        1_000,
      ).catch((err: Error) => {
        problems.push(err.message);
        return false;
      });
      const all = await cloud.describeInstances(id);
      const alive = all
        .filter(isAlive)
        .map((i) => i.id)
        .sort();
      return {
        // The fleet is the one the crash found: any instance launched since counts as duplicated.
        trial: `Temporal restart ${id}`,
        killAfterMs: null,
        completed: continued && alive.join() === before[k]!.alive.join(),
        duplicated: all.filter((i) => !before[k]!.launched.has(i.id)).map((i) => i.id),
        leaked: [],
        lost:
          missingIterations((await recordedDecisions(t.api.database.db, id)).iterations) +
          before[k]!.alive.filter((i) => !alive.includes(i)).length,
        problems,
      };
    }),
  );
}

describe(
  'the production topology: Temporal on PostgreSQL, the API and two workers per queue as processes of their own',
  { skip: missing.length ? `${missing.join(' and ')} not on PATH (.ci/run builds them)` : false },
  () => {
    let t: Topology;
    before(async () => {
      t = await startTopology({ bootDelaySeconds: 3 });
    });
    after(async () => {
      await t?.close();
    });

    it('workers killed mid-scale-out and mid-rollout, then the Temporal server restarted: every loop continues, nothing doubled or lost', async () => {
      const outcomes: TrialOutcome[] = [];
      const record = (batch: TrialOutcome[]): void => {
        for (const o of batch) console.log(describeOutcome(o));
        outcomes.push(...batch);
      };
      const ids = Array.from({ length: SETS }, () => uniqueId('topo'));
      // Demand through the load balancer, so the loops forecast (on the main workers, as local activities).
      const traffic = Promise.all(ids.map((id) => sendTraffic(`${t.api.cloud!.lbUrl}/rs/${id}/work`, 4, 150)));
      try {
        record(await scaleOut(t, ids));
        record(await rollOut(t, ids));
        record(await restartTemporal(t, ids));
      } finally {
        await traffic;
        await stopSets(t.api, ids);
      }
      const {
        rows: [forecasts],
      } = await t.api.database.db.query<{ with: number; all: number }>(
        'SELECT count(forecast)::int AS with, count(*)::int AS all FROM decisions WHERE resource_set_id = ANY($1)',
        [ids],
      );
      assert.ok(forecasts!.with > 0, `decisions with a forecast: ${forecasts!.with} of ${forecasts!.all}`);
      const failed = outcomes.filter((o) => !o.completed || o.duplicated.length || o.leaked.length || o.lost);
      assert.deepEqual(failed.map(describeOutcome), []);
      assert.deepEqual(tally(outcomes), { trials: 3 * SETS, completed: 3 * SETS, leaked: 0, duplicated: 0, lost: 0 });
    });
  },
);
