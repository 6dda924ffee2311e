// Orchestrator scale: how many resource-set loops one main worker + one forecast worker + the
// Temporal dev server sustain at a given loop interval, against a provider that answers at once.
//   npx tsx bench/orchestrator-scale.ts [--sets 1000] [--minutes 5] [--interval 60] [--warmup 120] [--sample 100] [--history-hours 26] [--no-demand]
// With demand (the default), every set has a synthetic daily season: --history-hours of per-minute
// roll-ups written before the loops start, then each minute's roll-up row and a sample per
// instance written in bulk (bench/support/synthetic-demand.ts), so every iteration forecasts as
// in production (a local activity on the main worker). The forecast worker runs in a process of its
// own, as in production, so its CPU (training and backtests: none here) is measured apart.
// Loop lag = an iteration's actual start − its scheduled start, read from the histories of a
// sample of loops (bench/support/loop-timing.ts), with where the rest of each iteration's time went.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import pg from 'pg';
import { resourceSetSpecSchema, workflowIdFor } from '../src/domain/resource-set.js';
import { TASK_QUEUES } from '../src/domain/task-queues.js';
import { ensureSearchAttributes, startTemporalDevServer } from '../src/infra/temporal.js';
import { createLogger } from '../src/logger.js';
import { installTemporalRuntime } from '../src/workers/system.js';
import { createWorker } from '../src/workers/workers.js';
import { resourceSetWorkflow } from '../src/workflows/resource-set.js';
import { ResourceSetId } from '../src/domain/search-attributes.js';
import { FolderObjectStore } from '../src/store/objects/folder.js';
import { createTestDatabase } from '../test/support/db.js';
import { freePort } from '../test/support/ports.js';
import { recordSection } from './support/results.js';
import { InstantProvider } from './support/instant-provider.js';
import { loopTiming, mergeTimings } from './support/loop-timing.js';
import { backfillSyntheticDemand, feedMinute } from './support/synthetic-demand.js';

const { values } = parseArgs({
  options: {
    sets: { type: 'string', default: '1000' },
    minutes: { type: 'string', default: '5' },
    interval: { type: 'string', default: '60' },
    warmup: { type: 'string' },
    sample: { type: 'string', default: '100' },
    'history-hours': { type: 'string', default: '26' },
    'no-demand': { type: 'boolean', default: false },
    record: { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const demand = !values['no-demand'];
const historyHours = Number(values['history-hours']);
const sets = Number(values.sets);
const minutes = Number(values.minutes);
const interval = Number(values.interval);
// After every loop's first decision: one more interval puts each on its own schedule.
const warmup = Number(values.warmup ?? interval);
const sample = Number(values.sample);

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function cpuSeconds(pid: number): Promise<number> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

/** The process and its descendants (the dev server runs under a tether process: src/infra/tether.ts). */
async function processTree(pid: number): Promise<number[]> {
  const threads = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const children = (
    await Promise.all(threads.map((t) => readFile(`/proc/${pid}/task/${t}/children`, 'utf8').catch(() => '')))
  ).flatMap((c) => c.split(' ').filter(Boolean).map(Number));
  return [pid, ...(await Promise.all(children.map(processTree))).flat()];
}

async function treeCpuSeconds(pid: number): Promise<number> {
  return (await Promise.all((await processTree(pid)).map((p) => cpuSeconds(p).catch(() => 0)))).reduce(
    (a, b) => a + b,
    0,
  );
}

/** Seconds a process's threads spent waiting for a CPU while runnable (/proc schedstat): time lost to other load. */
async function cpuWaitSeconds(pid: number): Promise<number> {
  const threads = await readdir(`/proc/${pid}/task`);
  const waits = await Promise.all(
    threads.map(async (t) =>
      Number((await readFile(`/proc/${pid}/task/${t}/schedstat`, 'utf8').catch(() => '0 0')).split(' ')[1]),
    ),
  );
  return waits.reduce((a, b) => a + b, 0) / 1e9;
}

/** CPU seconds of each server process serving this benchmark's database (a closed connection's share is lost); the feeder's apart. */
async function postgresCpu(): Promise<Map<number, number>> {
  const { rows } = await database.db.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> $1',
    [feederPid],
  );
  const entries = await Promise.all(rows.map(async ({ pid }) => [pid, await cpuSeconds(pid).catch(() => 0)] as const));
  return new Map(entries);
}

installTemporalRuntime(createLogger('error'));
const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-bench-'));
const temporal = await startTemporalDevServer({
  dataDir: dir,
  port: await freePort(),
  uiPort: await freePort(),
  namespace: 'default',
  progress: console.error,
});
const database = await createTestDatabase();
const connection = await Connection.connect({ address: temporal.address });
await ensureSearchAttributes(connection, 'default');
const client = new Client({ connection });
const native = await NativeConnection.connect({ address: temporal.address });
const provider = new InstantProvider();
const deps = {
  db: database.db,
  objects: new FolderObjectStore(path.join(dir, 'objects')),
  providerFor: () => provider,
  pollMs: 100,
  agentSecret: 'unused-by-this-benchmark',
  // The main worker holds every loop and forecasts for each (a local activity): room for all.
  workflowCacheSize: sets + 16,
  forecastCacheSeries: sets + 16,
};
const workers = [await createWorker({ connection: native, namespace: 'default', queue: 'main', deps })];
const runs = workers.map((w) => w.run());
// The forecast worker in a process of its own, as in production: loops forecast on the main
// worker, so it idles here (training and backtests are its work).
const forecastWorker = fork(
  new URL('./support/forecast-worker.ts', import.meta.url),
  [temporal.address, database.url, path.join(dir, 'objects'), String(sets + 16)],
  {
    execArgv: ['--import', 'tsx', ...process.execArgv.filter((a) => a.startsWith('--cpu-prof'))],
    stdio: 'inherit',
  },
);
await once(forecastWorker, 'message');
const forecastPid = forecastWorker.pid!;
// Synthetic agents: one connection of their own, so that what ingest costs Postgres is told apart.
const feeder = new pg.Client({ connectionString: database.url });
await feeder.connect();
const feederPid = (await feeder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
const ids = Array.from({ length: sets }, (_, k) => `bench-${k}`);
let feeding: NodeJS.Timeout | undefined;
let feedMs = 0;
let feeds = 0;
if (demand) {
  const now = Math.floor(Date.now() / 60_000) * 60;
  const t0 = Date.now();
  const rows = await backfillSyntheticDemand(feeder, ids, now - historyHours * 3600, now);
  process.stderr.write(
    `backfilled ${rows} per-minute rows (${historyHours} h × ${sets} sets) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  // Each minute, a second after it ends: its roll-up row and a sample per instance.
  const feed = (): void => {
    const minute = Math.floor(Date.now() / 60_000) * 60 - 60;
    const t = Date.now();
    void feedMinute(feeder, ids, minute, (id) => provider.instanceIds(id)).then(
      () => {
        feedMs += Date.now() - t;
        feeds++;
      },
      (err: unknown) => console.error('feed failed', err),
    );
    feeding = setTimeout(feed, 61_000 - (Date.now() % 60_000));
  };
  feeding = setTimeout(feed, 61_000 - (Date.now() % 60_000));
}

try {
  const started = Date.now();
  for (let i = 0; i < sets; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, sets - i) }, (_, j) => {
        const spec = resourceSetSpecSchema.parse({
          id: `bench-${i + j}`,
          provider: 'local',
          minInstances: 1,
          maxInstances: 10,
          policy: { intervalSeconds: interval },
        });
        return client.workflow.start(resourceSetWorkflow, {
          workflowId: workflowIdFor(spec.id),
          taskQueue: TASK_QUEUES.main,
          args: [{ spec }],
          typedSearchAttributes: [{ key: ResourceSetId, value: spec.id }],
        });
      }),
    );
    process.stderr.write(`\rstarted ${Math.min(i + 50, sets)}/${sets} loops`);
  }
  const startSeconds = (Date.now() - started) / 1000;
  // Ramp-up ends when every loop has made its first decision (the start-up burst is over).
  for (let deciding = 0; deciding < sets;) {
    await new Promise((r) => setTimeout(r, 2_000));
    deciding = (
      await database.db.query<{ n: number }>('SELECT count(DISTINCT resource_set_id)::int AS n FROM decisions')
    ).rows[0]!.n;
    process.stderr.write(`\rstarted ${sets} loops in ${startSeconds.toFixed(1)} s; ${deciding} have decided   `);
  }
  const rampSeconds = (Date.now() - started) / 1000;
  process.stderr.write(
    `\nramp-up over in ${rampSeconds.toFixed(1)} s; warming up ${warmup} s, then measuring ${minutes} min\n`,
  );
  await new Promise((r) => setTimeout(r, warmup * 1000));
  const temporalPids = await processTree(temporal.child.process.pid!);
  const treeWait = async (pids: number[]): Promise<number> =>
    (await Promise.all(pids.map((p) => cpuWaitSeconds(p).catch(() => 0)))).reduce((a, b) => a + b, 0);
  const wait0 = { workers: await cpuWaitSeconds(process.pid), temporal: await treeWait(temporalPids) };
  const cpu0 = {
    workers: process.cpuUsage(),
    forecast: await cpuSeconds(forecastPid),
    temporal: await treeCpuSeconds(temporal.child.process.pid!),
    postgres: await postgresCpu(),
    feeder: await cpuSeconds(feederPid),
  };
  const load0 = os.loadavg()[0]!;
  // --profile FILE: a CPU profile of the benchmark's main thread (activities, the SDK's bridge) over the window.
  const profiler = values.profile ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
    forecastWorker.send({ profile: 'start' });
  }
  const from = Date.now();
  const elapsed = minutes * 60;
  // Activities waiting for one of the pool's connections, sampled every second.
  let poolWaiting = 0;
  const poolProbe = setInterval(() => {
    poolWaiting = Math.max(poolWaiting, database.db.waitingCount);
  }, 1_000);
  for (let t = 0; t < elapsed; t += 10) {
    await new Promise((r) => setTimeout(r, 10_000));
    const { rows } = await database.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM decisions WHERE decided_at >= $1',
      [new Date(from)],
    );
    process.stderr.write(
      `\r${t + 10}/${elapsed} s, ${rows[0]!.n} decisions (${(rows[0]!.n / (t + 10)).toFixed(1)}/s), load ${os.loadavg()[0]!.toFixed(2)}   `,
    );
  }
  const to = Date.now();
  clearInterval(poolProbe);
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    await writeFile(values.profile!, JSON.stringify(profile));
    profiler.disconnect();
    forecastWorker.send({ profile: values.profile!.replace(/(\.cpuprofile)?$/, '.forecast.cpuprofile') });
    await once(forecastWorker, 'message');
  }
  const cpuUsed = process.cpuUsage(cpu0.workers);
  const postgres1 = await postgresCpu();
  const waited = {
    workers: ((await cpuWaitSeconds(process.pid)) - wait0.workers) / elapsed,
    temporal: ((await treeWait(temporalPids)) - wait0.temporal) / elapsed,
  };
  const cpu = {
    workers: (cpuUsed.user + cpuUsed.system) / 1e6 / elapsed,
    forecast: ((await cpuSeconds(forecastPid)) - cpu0.forecast) / elapsed,
    temporal: ((await treeCpuSeconds(temporal.child.process.pid!)) - cpu0.temporal) / elapsed,
    postgres: [...postgres1].reduce((sum, [pid, t]) => sum + t - (cpu0.postgres.get(pid) ?? 0), 0) / elapsed,
    feeder: ((await cpuSeconds(feederPid)) - cpu0.feeder) / elapsed,
  };
  const load = [load0, os.loadavg()[0]!];
  process.stderr.write('\n');
  const { rows } = await database.db.query<{ n: number; forecasts: number }>(
    'SELECT count(*)::int AS n, (count(*) FILTER (WHERE forecast IS NOT NULL))::int AS forecasts FROM decisions WHERE decided_at >= $1 AND decided_at < $2',
    [new Date(from), new Date(to)],
  );
  const decisions = rows[0]!.n;
  const forecasts = rows[0]!.forecasts;
  const expected = sets * (elapsed / interval);

  // Where the time went, from the histories of a sample of loops.
  const sampled = Array.from(
    { length: Math.min(sample, sets) },
    (_, k) => `bench-${Math.floor((k * sets) / Math.min(sample, sets))}`,
  );
  const timing = mergeTimings(
    await Promise.all(
      sampled.map(async (id) =>
        loopTiming((await client.workflow.getHandle(workflowIdFor(id)).fetchHistory()).events ?? [], from, to),
      ),
    ),
  );
  const ms = (xs: number[], q: number): string => {
    const v = quantile(
      [...xs].sort((a, b) => a - b),
      q,
    );
    return Number.isNaN(v) ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
  };
  const perDecision = (cores: number): string => ((cores * elapsed * 1000) / decisions).toFixed(1);
  const total = cpu.workers + cpu.forecast + cpu.temporal + cpu.postgres;
  const table = [
    '| resource sets | interval | decisions / expected | with a forecast | loop lag p50 | loop lag p99 | history events / iteration | history KB / iteration | CPU, cores: main worker / forecast worker / dev server / Postgres | CPU ms per decision: main worker / forecast worker / dev server / Postgres = total | waiting for a CPU, cores: main worker / dev server | pg pool waiters (max) | load average |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${sets} | ${interval} s | ${decisions} / ${Math.round(expected)} | ${forecasts} | ${ms(timing.lag, 0.5)} | ${ms(timing.lag, 0.99)} | ${(timing.events / timing.iterations).toFixed(1)} | ${(timing.bytes / 1024 / timing.iterations).toFixed(1)} | ${cpu.workers.toFixed(2)} / ${cpu.forecast.toFixed(2)} / ${cpu.temporal.toFixed(2)} / ${cpu.postgres.toFixed(2)} | ${perDecision(cpu.workers)} / ${perDecision(cpu.forecast)} / ${perDecision(cpu.temporal)} / ${perDecision(cpu.postgres)} = **${perDecision(total)}** | ${waited.workers.toFixed(2)} / ${waited.temporal.toFixed(2)} | ${poolWaiting} | ${load.map((l) => l.toFixed(2)).join(' → ')} |`,
  ].join('\n');
  const ingest = demand
    ? `Synthetic agents (not counted above): ${feeds} minute(s) fed, ${Math.round(feedMs / Math.max(1, feeds))} ms each; their Postgres backend ${cpu.feeder.toFixed(3)} core.`
    : 'No demand (--no-demand): no forecast runs.';
  const breakdown = [
    '| step (sampled loops) | count | p50 | p99 |',
    '| --- | --- | --- | --- |',
    `| timer fired − due | ${timing.timerDelay.length} | ${ms(timing.timerDelay, 0.5)} | ${ms(timing.timerDelay, 0.99)} |`,
    `| workflow task: scheduled → started | ${timing.workflowTaskWait.length} | ${ms(timing.workflowTaskWait, 0.5)} | ${ms(timing.workflowTaskWait, 0.99)} |`,
    `| workflow task: started → completed | ${timing.workflowTaskRun.length} | ${ms(timing.workflowTaskRun, 0.5)} | ${ms(timing.workflowTaskRun, 0.99)} |`,
    ...[...timing.activityWait.keys()]
      .sort()
      .flatMap((type) => [
        `| ${type}: scheduled → started | ${timing.activityWait.get(type)!.length} | ${ms(timing.activityWait.get(type)!, 0.5)} | ${ms(timing.activityWait.get(type)!, 0.99)} |`,
        `| ${type}: started → completed | ${timing.activityRun.get(type)?.length ?? 0} | ${ms(timing.activityRun.get(type) ?? [], 0.5)} | ${ms(timing.activityRun.get(type) ?? [], 0.99)} |`,
      ]),
    `| local activities (markers) per iteration | ${timing.localActivities} | ${(timing.localActivities / timing.iterations).toFixed(1)} | |`,
  ].join('\n');
  console.log(`${table}\n\n${breakdown}\n\n${ingest}`);
  if (values.record)
    await recordSection(
      demand ? 'Orchestrator scale with demand (issue 17): last run' : 'Orchestrator scale',
      [
        `Command: \`npx tsx bench/orchestrator-scale.ts --sets ${sets} --minutes ${minutes} --interval ${interval} --warmup ${warmup}\` — ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${process.version}; ${sets} loops started in ${startSeconds.toFixed(0)} s, all had decided after ${rampSeconds.toFixed(0)} s; measured for ${minutes} min after a ${warmup} s warm-up.`,
        (demand
          ? `With demand: ${historyHours} h of synthetic per-minute history per set, then each minute fed in bulk. ${ingest} `
          : '') +
          "The main worker runs in the benchmark's process and the forecast worker in a child process (bench/support/forecast-worker.ts), against the Temporal CLI dev server (SQLite, file-backed) and PostgreSQL; the provider answers from memory (bench/support/instant-provider.ts), so the orchestrator alone is measured. Loop lag = an iteration's actual start (its first workflow task started) − its scheduled start (its wait timer was due), over the iterations of " +
          `${sampled.length} sampled loops; history figures are per iteration in the window.`,
        '',
        table,
        '',
        breakdown,
      ].join('\n'),
    );
  await Promise.all(
    Array.from({ length: sets }, (_, k) =>
      client.workflow
        .getHandle(workflowIdFor(`bench-${k}`))
        .terminate('benchmark over')
        .catch(() => undefined),
    ),
  );
} finally {
  clearTimeout(feeding);
  for (const w of workers) w.shutdown();
  forecastWorker.kill('SIGTERM');
  await Promise.all([...runs, once(forecastWorker, 'exit')]);
  await feeder.end();
  await native.close();
  await connection.close();
  await database.drop();
  await temporal.child.stop();
  await rm(dir, { recursive: true, force: true });
}
