// Orchestrator scale: how many resource-set loops one main worker + one forecast worker + the
// Temporal dev server sustain at a given loop interval, against a provider that answers at once.
//   npx tsx bench/orchestrator-scale.ts [--sets 1000] [--minutes 5] [--interval 60]
// Loop lag = the gap between consecutive decisions of a set minus the interval: the time a loop
// iteration waited for its timer task, its activities and its own work.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { resourceSetSpecSchema, workflowIdFor } from '../src/domain/resource-set.js';
import { TASK_QUEUES } from '../src/domain/task-queues.js';
import { ensureSearchAttributes, startTemporalDevServer } from '../src/infra/temporal.js';
import { createLogger } from '../src/logger.js';
import { installTemporalRuntime } from '../src/workers/system.js';
import { createWorker } from '../src/workers/workers.js';
import { resourceSetWorkflow } from '../src/workflows/resource-set.js';
import { ResourceSetId } from '../src/workflows/search-attributes.js';
import { FolderObjectStore } from '../src/store/objects/folder.js';
import { createTestDatabase } from '../test/support/db.js';
import { freePort } from '../test/support/ports.js';
import { recordSection } from './support/results.js';
import { InstantProvider } from './support/instant-provider.js';

const { values } = parseArgs({ options: { sets: { type: 'string', default: '1000' }, minutes: { type: 'string', default: '5' }, interval: { type: 'string', default: '60' } } });
const sets = Number(values.sets);
const minutes = Number(values.minutes);
const interval = Number(values.interval);

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function cpuSeconds(pid: number): Promise<number> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100;
}

installTemporalRuntime(createLogger('error'));
const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-bench-'));
const temporal = await startTemporalDevServer({ dataDir: dir, port: await freePort(), uiPort: await freePort(), namespace: 'default', progress: console.error });
const database = await createTestDatabase();
const connection = await Connection.connect({ address: temporal.address });
await ensureSearchAttributes(connection, 'default');
const client = new Client({ connection });
const native = await NativeConnection.connect({ address: temporal.address });
const provider = new InstantProvider();
const deps = { db: database.db, objects: new FolderObjectStore(path.join(dir, 'objects')), providerFor: () => provider, pollMs: 100, agentSecret: 'unused-by-this-benchmark' };
const workers = await Promise.all((['main', 'forecast'] as const).map((queue) => createWorker({ connection: native, namespace: 'default', queue, deps })));
const runs = workers.map((w) => w.run());

try {
  const started = Date.now();
  for (let i = 0; i < sets; i += 50) {
    await Promise.all(Array.from({ length: Math.min(50, sets - i) }, (_, j) => {
      const spec = resourceSetSpecSchema.parse({ id: `bench-${i + j}`, provider: 'local', minInstances: 1, maxInstances: 10, policy: { intervalSeconds: interval } });
      return client.workflow.start(resourceSetWorkflow, {
        workflowId: workflowIdFor(spec.id), taskQueue: TASK_QUEUES.main, args: [{ spec }],
        typedSearchAttributes: [{ key: ResourceSetId, value: spec.id }],
      });
    }));
    process.stderr.write(`\rstarted ${Math.min(i + 50, sets)}/${sets} loops`);
  }
  process.stderr.write(`\nstarted ${sets} loops in ${((Date.now() - started) / 1000).toFixed(1)} s; measuring for ${minutes} min\n`);
  const cpu0 = { worker: process.cpuUsage(), temporal: await cpuSeconds(temporal.child.process.pid!) };
  const measureFrom = new Date();
  for (let t = 0; t < minutes * 60; t += 10) {
    await new Promise((r) => setTimeout(r, 10_000));
    const { rows } = await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM decisions WHERE decided_at >= $1', [measureFrom]);
    process.stderr.write(`\r${t + 10}/${minutes * 60} s, ${rows[0]!.n} decisions (${(rows[0]!.n / (t + 10)).toFixed(1)}/s)   `);
  }
  process.stderr.write('\n');
  const elapsed = minutes * 60;
  const cpu = {
    worker: (process.cpuUsage(cpu0.worker).user + process.cpuUsage(cpu0.worker).system) / 1e6 / elapsed,
    temporal: ((await cpuSeconds(temporal.child.process.pid!)) - cpu0.temporal) / elapsed,
  };
  const { rows } = await database.db.query<{ resource_set_id: string; at: number }>(
    `SELECT resource_set_id, extract(epoch FROM decided_at)::float8 AS at FROM decisions WHERE decided_at >= $1 ORDER BY resource_set_id, iteration`, [measureFrom]);
  const lags: number[] = [];
  const perSet = new Map<string, number>();
  rows.forEach((r, i) => {
    perSet.set(r.resource_set_id, (perSet.get(r.resource_set_id) ?? 0) + 1);
    const prev = rows[i - 1];
    if (prev && prev.resource_set_id === r.resource_set_id) lags.push(Math.max(0, r.at - prev.at - interval));
  });
  lags.sort((a, b) => a - b);
  const sample = [...perSet.keys()].slice(0, 20);
  const events = await Promise.all(sample.map(async (id) => (await client.workflow.getHandle(workflowIdFor(id)).describe()).historyLength));
  const iterationsOfSample = sample.map((id) => perSet.get(id)!);
  const eventsPerIteration = events.reduce((a, b) => a + b, 0) / iterationsOfSample.reduce((a, b) => a + b, 0);
  const expected = sets * (elapsed / interval);
  const table = [
    '| resource sets | interval | decisions / expected | loop lag p50 | loop lag p99 | history events / iteration | worker CPU (cores) | dev server CPU (cores) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${sets} | ${interval} s | ${rows.length} / ${Math.round(expected)} | ${quantile(lags, 0.5).toFixed(2)} s | ${quantile(lags, 0.99).toFixed(2)} s | ${eventsPerIteration.toFixed(1)} | ${cpu.worker.toFixed(2)} | ${cpu.temporal.toFixed(2)} |`,
  ].join('\n');
  console.log(table);
  await recordSection('Orchestrator scale', [
    `Command: \`npx tsx bench/orchestrator-scale.ts --sets ${sets} --minutes ${minutes} --interval ${interval}\` — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${process.version}.`,
    'One process runs the main and forecast workers against the Temporal CLI dev server (SQLite, file-backed) and PostgreSQL 15; the provider answers from memory (bench/support/instant-provider.ts), so the orchestrator alone is measured. Loop lag = gap between consecutive decisions of a set minus the interval.',
    '',
    table,
  ].join('\n'));
  await Promise.all([...perSet.keys()].map((id) => client.workflow.getHandle(workflowIdFor(id)).terminate('benchmark over').catch(() => undefined)));
} finally {
  for (const w of workers) w.shutdown();
  await Promise.all(runs);
  await native.close();
  await connection.close();
  await database.drop();
  await temporal.child.stop();
  await rm(dir, { recursive: true, force: true });
}
