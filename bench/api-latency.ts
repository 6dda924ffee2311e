// API latency under an open-loop load on loopback, against the production processes: `prescale api`,
// `prescale worker --queue main` and `--queue forecast` (each its own process), the Temporal dev
// server, PostgreSQL at 127.0.0.1:5432 (a fresh database on the test server) and the local cloud.
//   npx tsx bench/api-latency.ts [--rate 200] [--seconds 60] [--instances 50] [--sets 10]
// Three phases of `seconds` each at `rate` requests/s, sent on schedule whatever the answers
// (open loop); a latency runs from a request's scheduled time, so a stalled server is not hidden:
//   reads    GET /v1/resource-sets/:id, …/decisions, …/forecast, round-robin
//   ingest   POST /v1/metrics, batches of 10 samples from `instances` fake instances with their
//            agent tokens; afterwards the stored samples are counted against those sent
//   control  PATCH …/policy, POST …/pause, POST …/resume over `sets` resource sets
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { agentToken } from '../src/domain/agent-token.js';
import { startChild, waitUntilReady, type Child } from '../src/infra/child.js';
import { startTemporalDevServer } from '../src/infra/temporal.js';
import { startLocalCloud } from '../src/providers/local/start-local-cloud.js';
import { createApiKey } from '../src/store/api-keys.js';
import { createTestDatabase } from '../test/support/db.js';
import { sample } from '../test/metrics/samples.js';
import { freePort } from '../test/support/ports.js';
import { waitFor } from '../test/support/wait.js';
import { recordSection } from './support/results.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '60' },
    instances: { type: 'string', default: '50' },
    sets: { type: 'string', default: '10' },
  },
});
const [rate, seconds, instances, sets] = [values.rate, values.seconds, values.instances, values.sets].map(Number) as [
  number,
  number,
  number,
  number,
];
const BIN = fileURLToPath(new URL('../bin/prescale.js', import.meta.url));
const SAMPLES_PER_BATCH = 10;
/** Beyond this many requests in flight the server is not keeping up: later ones count as errors, unsent. */
const MAX_IN_FLIGHT = 2_000;

interface Request {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  token: string;
  ok: (status: number) => boolean;
  /** Called with whether the server acknowledged the request (false: failed, timed out or never sent). */
  settled?: (acknowledged: boolean) => void;
}
interface Tally {
  latencies: number[];
  errors: Map<string, number>;
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : '–');

/** Sends `next(i)` at rate/s for `seconds`, on schedule, and tallies latency and errors by request name. */
async function openLoop(
  url: string,
  next: (i: number) => Request,
): Promise<{ tallies: Map<string, Tally>; load: [number, number] }> {
  const tallies = new Map<string, Tally>();
  const tally = (name: string): Tally =>
    tallies.get(name) ?? tallies.set(name, { latencies: [], errors: new Map() }).get(name)!;
  const fail = (name: string, why: string): void => {
    const t = tally(name);
    t.errors.set(why, (t.errors.get(why) ?? 0) + 1);
  };
  const total = rate * seconds;
  const load0 = os.loadavg()[0]!;
  const start = performance.now() + 100;
  const pending = new Set<Promise<void>>();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const request = next(i);
    if (pending.size >= MAX_IN_FLIGHT) {
      fail(request.name, 'not sent: too many in flight');
      request.settled?.(false);
      continue;
    }
    const sent = (async () => {
      try {
        const res = await fetch(url + request.path, {
          method: request.method,
          headers: {
            authorization: `Bearer ${request.token}`,
            ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        const acknowledged = request.ok(res.status);
        if (acknowledged) tally(request.name).latencies.push(performance.now() - due);
        else fail(request.name, `HTTP ${res.status} ${/"code":"(\w+)"/.exec(text)?.[1] ?? ''}`.trim());
        request.settled?.(acknowledged);
      } catch (err) {
        const e = err as Error & { cause?: { code?: string } };
        fail(request.name, e.cause?.code ?? e.name);
        request.settled?.(false);
      }
    })();
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
    if (i % rate === 0) process.stderr.write(`\r${i / rate}/${seconds} s, ${pending.size} in flight   `);
  }
  await Promise.all(pending);
  process.stderr.write('\n');
  return { tallies, load: [load0, os.loadavg()[0]!] };
}

function rows(phase: string, result: Awaited<ReturnType<typeof openLoop>>): string[] {
  return [...result.tallies].map(([name, t]) => {
    const sorted = [...t.latencies].sort((a, b) => a - b);
    const errors = [...t.errors].map(([why, n]) => `${n} ${why}`).join(', ') || '0';
    return `| ${phase} | ${name} | ${sorted.length + [...t.errors.values()].reduce((a, b) => a + b, 0)} | ${ms(quantile(sorted, 0.5))} | ${ms(quantile(sorted, 0.95))} | ${ms(quantile(sorted, 0.99))} | ${ms(sorted.at(-1) ?? NaN)} | ${errors} | ${result.load.map((l) => l.toFixed(2)).join(' → ')} |`;
  });
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-api-latency-'));
const children: Child[] = [];
const database = await createTestDatabase();
try {
  const secret = 'bench-agent-secret-0123456789';
  const temporal = await startTemporalDevServer({
    dataDir: dir,
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    progress: console.error,
  });
  children.push(temporal.child);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const cloud = await startLocalCloud({
    port: await freePort(),
    lbPort: await freePort(),
    stateDir: path.join(dir, 'cloud'),
    logDir: path.join(dir, 'logs'),
    ingestUrl: url,
    agentSecret: secret,
    bootDelaySeconds: 1,
    instanceLimit: 5,
    stopInstancesOnExit: true,
  });
  children.push(cloud.child);
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    DATABASE_URL: database.url,
    PORT: String(port),
    PRESCALE_DATA_DIR: dir,
    PRESCALE_AGENT_SECRET: secret,
    LOCAL_CLOUD_URL: cloud.apiUrl,
    LOG_LEVEL: 'warn',
    // One key sends every read: the per-key limit stays on, set above the offered rate.
    RATE_LIMIT_PER_SECOND: String(rate * 5),
    RATE_LIMIT_BURST: String(rate * 5),
  };
  const api = await startChild('api', process.execPath, [BIN, 'api'], { logDir: path.join(dir, 'logs'), env });
  children.push(api);
  await waitUntilReady(
    api,
    async () => {
      if (!(await fetch(`${url}/readyz`)).ok) throw new Error('not ready');
    },
    120_000,
  );
  for (const queue of ['main', 'forecast']) {
    const worker = await startChild(`worker-${queue}`, process.execPath, [BIN, 'worker', '--queue', queue], {
      logDir: path.join(dir, 'logs'),
      env,
    });
    children.push(worker);
  }
  const admin = (await createApiKey(database.db, { role: 'admin', name: 'bench' }, 'bench')).key;
  const call = async (method: string, p: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(url + p, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  };

  // The read target: one running instance (real agent pushing), six hours of per-minute demand,
  // so its loop records decisions with a forecast. The control targets: loops without instances.
  const read = 'bench-read';
  const created = await call('POST', '/v1/resource-sets', {
    id: read,
    provider: 'local',
    minInstances: 1,
    maxInstances: 1,
    policy: { intervalSeconds: 10 },
  });
  if (created.status !== 201) throw new Error(`create ${read}: ${created.status} ${JSON.stringify(created.body)}`);
  const now = Math.floor(Date.now() / 60_000) * 60_000;
  const history = Array.from({ length: 360 }, (_, k) =>
    sample(k, now - (360 - k) * 60_000, { intervalMs: 60_000, requests: 3000 + Math.round(1000 * Math.sin(k / 20)) }),
  );
  const seeded = await fetch(`${url}/v1/metrics`, {
    method: 'POST',
    headers: { authorization: `Bearer ${agentToken(secret, 'i-history')}`, 'content-type': 'application/json' },
    body: JSON.stringify({ resourceSetId: read, instanceId: 'i-history', samples: history }),
  });
  if (seeded.status !== 202) throw new Error(`seeding history: ${seeded.status} ${await seeded.text()}`);
  const controlSets = Array.from({ length: sets }, (_, k) => `bench-ctl-${k}`);
  for (const id of controlSets) {
    const res = await call('POST', '/v1/resource-sets', {
      id,
      provider: 'local',
      minInstances: 0,
      maxInstances: 2,
      policy: { intervalSeconds: 60 },
    });
    if (res.status !== 201) throw new Error(`create ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  }
  await waitFor(
    'a recorded forecast for the read target',
    async () => (await call('GET', `/v1/resource-sets/${read}/forecast`)).status === 200,
    300_000,
    2_000,
  );
  process.stderr.write('set-up done; measuring\n');

  const ok2xx = (s: number): boolean => s >= 200 && s < 300;
  const reads = await openLoop(url, (i) => {
    const [name, p] = (
      [
        ['GET resource set', ''],
        ['GET decisions', '/decisions?limit=50'],
        ['GET forecast', '/forecast'],
      ] as const
    )[i % 3]!;
    return { name, method: 'GET', path: `/v1/resource-sets/${read}${p}`, token: admin, ok: ok2xx };
  });

  // Every batch the server did not acknowledge is kept, as an agent's disk buffer would keep it,
  // and pushed again after the phase until it is: then every sample made must be stored once.
  const seqs = new Array<number>(instances).fill(0);
  const ingestStart = Date.now() - 60 * 60_000;
  const unacknowledged: Request[] = [];
  const ingestBatch = (i: number): Request => {
    const n = i % instances;
    const instanceId = `i-fake-${n}`;
    const samples = Array.from({ length: SAMPLES_PER_BATCH }, () => {
      const seq = seqs[n]!++;
      return sample(seq, ingestStart + seq * 1_000, {
        intervalMs: 1_000,
        requests: 40,
        latencyP50Ms: 12,
        latencyP95Ms: 30,
        latencyP99Ms: 55,
        cpuPercent: 20,
      });
    });
    const batch: Request = {
      name: 'POST /v1/metrics',
      method: 'POST',
      path: '/v1/metrics',
      body: { resourceSetId: 'bench-ingest', instanceId, samples },
      token: agentToken(secret, instanceId),
      ok: (s) => s === 202,
      settled: (acknowledged) => {
        if (!acknowledged) unacknowledged.push(batch);
      },
    };
    return batch;
  };
  const ingest = await openLoop(url, ingestBatch);
  const made = seqs.reduce((a, b) => a + b, 0);
  const acknowledged = ingest.tallies.get('POST /v1/metrics')!.latencies.length * SAMPLES_PER_BATCH;
  const retried = unacknowledged.length;
  // Eight at a time, as a recovering fleet's agents drain their buffers side by side.
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let batch = unacknowledged.pop(); batch; batch = unacknowledged.pop()) {
        for (let attempt = 0; ; attempt++) {
          const res = await fetch(url + batch.path, {
            method: 'POST',
            headers: { authorization: `Bearer ${batch.token}`, 'content-type': 'application/json' },
            body: JSON.stringify(batch.body),
          }).catch(() => undefined);
          await res?.arrayBuffer();
          if (res?.status === 202) break;
          if (attempt === 20)
            throw new Error(`a batch was still refused after 20 retries (last status ${res?.status})`);
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }),
  );
  const stored = (
    await database.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM metric_samples WHERE resource_set_id = 'bench-ingest'",
    )
  ).rows[0]!.n;

  const control = await openLoop(url, (i) => {
    const id = controlSets[i % sets]!;
    const round = Math.floor(i / sets);
    switch (round % 3) {
      case 0:
        return {
          name: 'PATCH policy',
          method: 'PATCH',
          path: `/v1/resource-sets/${id}/policy`,
          body: { targetUtilization: round % 2 ? 0.6 : 0.7 },
          token: admin,
          ok: ok2xx,
        };
      case 1:
        return { name: 'POST pause', method: 'POST', path: `/v1/resource-sets/${id}/pause`, token: admin, ok: ok2xx };
      default:
        return { name: 'POST resume', method: 'POST', path: `/v1/resource-sets/${id}/resume`, token: admin, ok: ok2xx };
    }
  });

  const table = [
    '| phase | request | sent | p50 ms | p95 ms | p99 ms | max ms | errors | load avg (1 min) start → end |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows('reads', reads),
    ...rows('ingest', ingest),
    ...rows('control', control),
  ].join('\n');
  const ingestLine =
    `Ingest: ${made} samples made in ${made / SAMPLES_PER_BATCH} batches; ${acknowledged} acknowledged (202) during the phase; ` +
    `the ${retried} batches not acknowledged (refused, timed out or never sent) pushed again afterwards, as an agent does; ` +
    `${stored} stored: ${made - stored} lost, ${Math.max(0, stored - made)} doubled.`;
  console.log(`${table}\n\n${ingestLine}`);
  // A 5xx is a bug to chase, not a number: show what the API said about it.
  if (table.includes('HTTP 5')) console.error(`API log, last lines:\n${await api.tail(60)}`);
  await recordSection(
    `API latency at ${rate} requests/s`,
    [
      `Command: \`npx tsx bench/api-latency.ts --rate ${rate} --seconds ${seconds} --instances ${instances} --sets ${sets}\` — ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), shared with other work (load averages below), Node ${process.version}.`,
      'Processes as in production, all on loopback: `prescale api`, `prescale worker --queue main`, `prescale worker --queue forecast`, the Temporal dev server, PostgreSQL 15 at 127.0.0.1:5432 (a fresh database), the local cloud with one instance whose agent pushes to the API. The load generator runs in the benchmark process.',
      `Open loop: ${rate} requests/s for ${seconds} s per phase, sent on schedule whatever the answers; latency is from a request's scheduled time to its last body byte. Errors are non-2xx answers and failed requests. The per-key rate limit is on, set to ${rate * 5}/s; the per-resource-set write budget is at its default (5 writes/s, burst 20), so with ${sets} sets each takes ${(rate / sets).toFixed(1)} writes/s during the control phase and writes past the budget are answered 429 resource_set_busy.`,
      `Reads target one resource set (live workflow query for GET resource set; Postgres for decisions and the latest forecast). Ingest batches carry ${SAMPLES_PER_BATCH} samples each from ${instances} fake instances with their own agent tokens. Control writes rotate PATCH policy (a workflow update, answered once the loop applied it), pause and resume (signals) over ${sets} resource sets.`,
      '',
      table,
      '',
      ingestLine,
    ].join('\n'),
  );
} finally {
  for (const child of children.reverse()) await child.stop().catch(() => undefined);
  await database.drop();
  await rm(dir, { recursive: true, force: true });
}
