// `prescale worker` alone (no API in the process) serves its Prometheus metrics on
// WORKER_METRICS_PORT: the real CLI process against the run's Temporal and Postgres.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { resourceSetSpecSchema } from '../../src/domain/resource-set.js';
import { TASK_QUEUES } from '../../src/domain/task-queues.js';
import { startChild, waitUntilReady, type Child } from '../../src/infra/child.js';
import { resourceSetWorkflow } from '../../src/workflows/resource-set.js';
import { TEMPORAL_ADDRESS, uniqueId } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const BIN = fileURLToPath(new URL('../../bin/prescale.js', import.meta.url));

describe('a worker-only process exposes its metrics (real CLI worker, Temporal, Postgres)', () => {
  let database: TestDatabase;
  let dir: string;
  let worker: Child;
  let metricsUrl: string;
  let connection: Connection;

  before(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-worker-metrics-'));
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}`;
    worker = await startChild('worker', process.execPath, [BIN, 'worker', '--queue', 'main'], {
      logDir: dir,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS,
        DATABASE_URL: database.url,
        WORKER_METRICS_PORT: String(port),
        PRESCALE_DATA_DIR: dir,
        // Nothing listens there: the loop's first call to the cloud fails, and that is counted.
        LOCAL_CLOUD_URL: `http://127.0.0.1:${await freePort()}`,
        LOG_LEVEL: 'warn',
      },
    });
    await waitUntilReady(
      worker,
      async () => {
        const res = await fetch(`${metricsUrl}/metrics`);
        if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
      },
      60_000,
    );
    connection = await Connection.connect({ address: TEMPORAL_ADDRESS });
  });
  after(async () => {
    await worker?.stop();
    await connection?.close();
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${metricsUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    return res.text();
  };

  it('serves the control-plane and process metrics on GET /metrics, and nothing else', async () => {
    const text = await scrape();
    for (const name of [
      'prescale_activity_failures_total',
      'prescale_control_loop_lag_seconds',
      'prescale_decisions_total',
      'process_cpu_user_seconds_total',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
    assert.equal((await fetch(`${metricsUrl}/`)).status, 404);
    assert.equal((await fetch(`${metricsUrl}/metrics`, { method: 'POST' })).status, 405);
  });

  it('counts the failed activity attempts of a loop whose cloud is down', async () => {
    const client = new Client({ connection });
    const spec = resourceSetSpecSchema.parse({
      id: uniqueId('wm'),
      provider: 'local',
      minInstances: 1,
      maxInstances: 2,
      policy: { intervalSeconds: 5 },
    });
    const handle = await client.workflow.start(resourceSetWorkflow, {
      workflowId: uniqueId('wm-loop'),
      taskQueue: TASK_QUEUES.main,
      args: [{ spec }],
    });
    try {
      const failures = await waitFor(
        'a counted activity failure',
        async () => {
          const counts = [
            ...(await scrape()).matchAll(/^prescale_activity_failures_total\{activity="(\w+)"\} (\d+)$/gm),
          ];
          return counts.length ? counts : undefined;
        },
        60_000,
      );
      assert.ok(failures.every(([, , n]) => Number(n) >= 1));
    } finally {
      await handle.terminate('test over');
    }
  });
});
