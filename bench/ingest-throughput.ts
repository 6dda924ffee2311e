// Metric ingest throughput: agents' batches through the real API route into PostgreSQL.
//   npx tsx bench/ingest-throughput.ts [--instances 50] [--batches 40] [--batch 500] [--concurrency 8]
// Every instance pushes `batches` batches of `batch` samples with its own agent token; each batch
// is sent twice (an agent retry) so idempotency is exercised; nothing may be lost or doubled.
import { once } from 'node:events';
import type { Server } from 'node:http';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Client } from '@temporalio/client';
import { Registry } from 'prom-client';
import { createApp } from '../src/api/app.js';
import { agentToken } from '../src/domain/agent-token.js';
import type { MetricSample } from '../src/domain/metrics.js';
import { connectForRequests } from '../src/infra/temporal.js';
import { createLogger } from '../src/logger.js';
import { FolderObjectStore } from '../src/store/objects/folder.js';
import { createTestDatabase } from '../test/support/db.js';
import { recordSection } from './support/results.js';

const { values } = parseArgs({
  options: {
    instances: { type: 'string', default: '50' },
    batches: { type: 'string', default: '40' },
    batch: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '8' },
  },
});
const [instances, batches, batchSize, concurrency] = [
  values.instances,
  values.batches,
  values.batch,
  values.concurrency,
].map(Number) as [number, number, number, number];

const secret = 'bench-agent-secret-0123456789';
const database = await createTestDatabase();
const connection = connectForRequests('127.0.0.1:1');
const app = createApp({
  db: database.db,
  objects: new FolderObjectStore(os.tmpdir()),
  logger: createLogger('silent'),
  metrics: new Registry(),
  agentSecret: secret,
  temporal: { connection, client: new Client({ connection }), namespace: 'default', taskQueue: 'unused' },
  security: { rateLimit: { perSecond: 0, burst: 0 } },
});
const server: Server = app.listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/metrics`;

const sample = (seq: number, ts: number): MetricSample => ({
  seq,
  ts,
  intervalMs: 5_000,
  requests: 100 + (seq % 7),
  errors: seq % 3,
  latencyP50Ms: 20,
  latencyP95Ms: 45,
  latencyP99Ms: 80,
  poolUtilization: 0.6,
  queueDepth: 1,
  cpuPercent: 12,
  memoryBytes: 1e9,
  processCpuPercent: 3,
  processRssBytes: 9e7,
  netRxBytesPerSec: 1e4,
  netTxBytesPerSec: 2e4,
  diskReadBytesPerSec: 0,
  diskWriteBytesPerSec: 100,
  custom: { app_cache_entries: 900 },
});
const jobs: { instance: number; batch: number; attempt: number }[] = [];
for (let b = 0; b < batches; b++)
  for (let i = 0; i < instances; i++) for (const attempt of [0, 1]) jobs.push({ instance: i, batch: b, attempt });
const start0 = Date.now() - batches * batchSize * 5_000;

let next = 0;
let accepted = 0;
let duplicates = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      const instanceId = `i-bench-${job.instance}`;
      const samples = Array.from({ length: batchSize }, (_, k) =>
        sample(job.batch * batchSize + k, start0 + (job.batch * batchSize + k) * 5_000),
      );
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${agentToken(secret, instanceId)}` },
        body: JSON.stringify({ resourceSetId: `rs-${job.instance % 5}`, instanceId, samples }),
      });
      if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
      const body = (await res.json()) as { accepted: number; duplicates: number };
      accepted += body.accepted;
      duplicates += body.duplicates;
      if (next % 200 === 0) process.stderr.write(`\r${next}/${jobs.length} batches`);
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
process.stderr.write('\n');
const stored = (await database.db.query<{ n: number }>('SELECT count(*)::int AS n FROM metric_samples')).rows[0]!.n;
const rolled = (await database.db.query<{ n: number }>('SELECT sum(samples)::int AS n FROM demand_minutely')).rows[0]!
  .n;
const unique = instances * batches * batchSize;
server.closeAllConnections();
server.close();
await connection.close();
await database.drop();

const table = [
  '| samples sent (incl. retried batches) | unique samples | stored | rolled up | lost | doubled | seconds | samples/s ingested (unique) |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  `| ${2 * unique} | ${unique} | ${stored} | ${rolled} | ${unique - stored} | ${accepted - unique} (duplicates reported: ${duplicates}) | ${seconds.toFixed(1)} | ${Math.round(unique / seconds)} |`,
].join('\n');
console.log(table);
if (stored !== unique || rolled !== unique || accepted !== unique) throw new Error('ingest lost or doubled samples');
await recordSection(
  'Metric ingest throughput',
  [
    `Command: \`npx tsx bench/ingest-throughput.ts --instances ${instances} --batches ${batches} --batch ${batchSize} --concurrency ${concurrency}\` — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, Node ${process.version}, PostgreSQL 15 on 127.0.0.1.`,
    'Batches of agent samples POSTed to the real `POST /v1/metrics` route (token checked, body validated) and stored with their per-minute roll-up in one statement; every batch is sent twice, as an agent retry would, and must be stored once.',
    '',
    table,
  ].join('\n'),
);
