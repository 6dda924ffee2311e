// The production topology on one machine, every part a process of its own: the Temporal server on
// PostgreSQL, `prescale api`, and `prescale worker` twice per task queue, on the real Postgres,
// with a local cloud of real instances whose agents push to the API.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild, waitUntilReady, type Child } from '../../src/infra/child.js';
import { startLocalCloud } from '../../src/providers/local/start-local-cloud.js';
import type { QueueName } from '../../src/workers/workers.js';
import { createRoleKeys, requester, type SystemApi } from './api.js';
import { createTestDatabase } from './db.js';
import { freePort } from './ports.js';
import { temporalOnPostgres, type TemporalOnPostgres } from './temporal-postgres.js';

const PRESCALE = fileURLToPath(new URL('../../bin/prescale.js', import.meta.url));
export const WORKERS_PER_QUEUE = 2;

export interface Topology {
  api: SystemApi;
  temporal: TemporalOnPostgres;
  /** SIGKILLs the longest-running worker of `queue`, then starts another in its place. */
  replaceWorker(queue: QueueName): Promise<void>;
  close(): Promise<void>;
}

export async function startTopology(options: { bootDelaySeconds: number }): Promise<Topology> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-topology-'));
  const logDir = path.join(dir, 'logs');
  const workers: Record<QueueName, Child[]> = { main: [], forecast: [] };
  // Undone in reverse, also when a later step fails to start.
  const closers: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    await Promise.all([...workers.main, ...workers.forecast].map((c) => c.stop()));
    for (const undo of closers.reverse()) await undo();
  };
  try {
    const temporal = await temporalOnPostgres({ logDir });
    closers.push(() => temporal.destroy());
    await temporal.start();
    const database = await createTestDatabase();
    closers.push(() => database.drop());
    const agentSecret = randomBytes(24).toString('base64url');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const cloud = await startLocalCloud({
      port: await freePort(),
      lbPort: await freePort(),
      stateDir: path.join(dir, 'cloud'),
      logDir,
      ingestUrl: url,
      agentSecret,
      bootDelaySeconds: options.bootDelaySeconds,
      stopInstancesOnExit: true,
    });
    closers.push(() => cloud.child.stop());
    // What every Prescale process reads (src/config.ts); S3 unset: objects in the shared data dir.
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: temporal.address,
      DATABASE_URL: database.url,
      PRESCALE_DATA_DIR: dir,
      PRESCALE_AGENT_SECRET: agentSecret,
      LOCAL_CLOUD_URL: cloud.apiUrl,
      LOCAL_CLOUD_TOKEN: cloud.token,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'info',
      S3_ENDPOINT: '',
      S3_BUCKET: '',
      // Trials send requests faster than people do.
      RATE_LIMIT_PER_SECOND: '0',
      RESOURCE_SET_WRITES_PER_SECOND: '0',
    };
    let started = 0;
    const prescale = async (args: string[], ready: (child: Child) => Promise<unknown>): Promise<Child> => {
      const child = await startChild(`prescale-${args.join('-')}-${++started}`, process.execPath, [PRESCALE, ...args], {
        logDir,
        env,
      });
      await waitUntilReady(child, () => ready(child), 120_000);
      return child;
    };
    const startWorker = (queue: QueueName): Promise<Child> =>
      prescale(['worker', '--queue', queue], async (child) => {
        if (!(await child.tail(50)).includes('workers running')) throw new Error('not polling yet');
      });
    const api = await prescale(['api'], async () => {
      if ((await fetch(`${url}/readyz`)).status !== 200) throw new Error('not ready');
    });
    closers.push(() => api.stop());
    for (const queue of ['main', 'forecast'] as const) {
      workers[queue] = await Promise.all(Array.from({ length: WORKERS_PER_QUEUE }, () => startWorker(queue)));
    }
    const keys = await createRoleKeys(database.db);
    return {
      api: { url, request: requester(url, keys), database, cloud, ctx: { agentSecret } },
      temporal,
      async replaceWorker(queue) {
        const victim = workers[queue].shift()!;
        victim.process.kill('SIGKILL');
        await victim.exited;
        workers[queue].push(await startWorker(queue));
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
