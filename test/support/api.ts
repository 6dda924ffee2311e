import { once } from 'node:events';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { Registry } from 'prom-client';
import { createApp } from '../../src/api/app.js';
import type { ApiSecurity } from '../../src/api/auth-config.js';
import type { ApiContext } from '../../src/api/context.js';
import type { Role } from '../../src/auth/principal.js';
import { TASK_QUEUES } from '../../src/domain/task-queues.js';
import { connectForRequests } from '../../src/infra/temporal.js';
import { createLogger } from '../../src/logger.js';
import { startLocalCloud, type StartedLocalCloud } from '../../src/providers/local/start-local-cloud.js';
import { createApiKey } from '../../src/store/api-keys.js';
import type { Db } from '../../src/store/db.js';
import { createObjectStore } from '../../src/store/objects/index.js';
import { installTemporalRuntime, providerRegistry } from '../../src/workers/system.js';
import { createWorker } from '../../src/workers/workers.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { freePort } from './ports.js';

export const TEMPORAL_ADDRESS = process.env.TEST_TEMPORAL_ADDRESS ?? '127.0.0.1:7233';

installTemporalRuntime(createLogger('error'));

export interface RequestOptions {
  /** Whose key to send: a role's key made at start (default admin), 'none', or any bearer token. */
  as?: Role | 'none' | { token: string };
  headers?: Record<string, string>;
}

export interface TestApi {
  url: string;
  ctx: ApiContext;
  database: TestDatabase;
  /** One unscoped key per role, made at start. */
  keys: Record<Role, string>;
  /** The local cloud, when asked for. */
  cloud?: StartedLocalCloud;
  /** Starts the workers when `startTestApi` was told `workers: false` (a loop whose worker is not there yet). */
  startWorkers(): Promise<void>;
  /** JSON request helper: returns status, parsed body (text when not JSON) and headers. */
  request(
    method: string,
    path: string,
    body?: unknown,
    options?: RequestOptions,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * The system wired to real servers — the run's Temporal dev server, a fresh Postgres database,
 * a folder object store, a main worker on a task queue of its own and a forecast worker — and,
 * with `fleet`, a real local cloud whose agents push to this API.
 */
export async function startTestApi(
  options: {
    fleet?: { bootDelaySeconds: number };
    security?: Partial<ApiSecurity>;
    /** A migrated database elsewhere (e.g. a throwaway Postgres a test stops); default: a fresh one on the test server. */
    database?: TestDatabase;
    /** false: no worker until `startWorkers()`. */
    workers?: boolean;
  } = {},
): Promise<TestApi> {
  const database = options.database ?? (await createTestDatabase());
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-api-'));
  const taskQueue = `test-main-${randomBytes(4).toString('hex')}`;
  const agentSecret = randomBytes(24).toString('base64url');
  const connection = connectForRequests(TEMPORAL_ADDRESS);
  const ctx: ApiContext = {
    db: database.db,
    objects: await createObjectStore({ dataDir: dir, S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: true }),
    logger: createLogger('silent'),
    metrics: new Registry(),
    agentSecret,
    temporal: {
      connection,
      client: new Client({ connection }),
      namespace: 'default',
      taskQueue,
      uiUrl: 'http://127.0.0.1:8233',
    },
    // No rate limit unless a test asks: tests fire requests much faster than people do.
    security: {
      rateLimit: { perSecond: 0, burst: 1 },
      resourceSetWrites: { perSecond: 0, burst: 1 },
      ...options.security,
    },
  };
  const keys = await createRoleKeys(database.db);
  const server: Server = createApp(ctx).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  const cloud = options.fleet
    ? await startLocalCloud({
        port: await freePort(),
        lbPort: await freePort(),
        stateDir: path.join(dir, 'cloud'),
        logDir: path.join(dir, 'logs'),
        ingestUrl: url,
        agentSecret,
        bootDelaySeconds: options.fleet.bootDelaySeconds,
        stopInstancesOnExit: true,
      })
    : undefined;
  const deps = {
    db: database.db,
    providerFor: providerRegistry({
      localCloudUrl: cloud?.apiUrl ?? `http://127.0.0.1:${await freePort()}`,
      localCloudToken: cloud?.token ?? 'no-local-cloud',
    }),
    pollMs: 500,
    agentSecret,
    objects: ctx.objects,
  };
  const nativeConnection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS });
  const workers: Worker[] = [];
  const runs: Promise<void>[] = [];
  const startWorkers = async (): Promise<void> => {
    workers.push(
      await createWorker({ connection: nativeConnection, namespace: 'default', queue: 'main', taskQueue, deps }),
      // The workflow sends forecasts to the standard queue; any test's worker may serve them.
      await createWorker({
        connection: nativeConnection,
        namespace: 'default',
        queue: 'forecast',
        taskQueue: TASK_QUEUES.forecast,
        deps,
      }),
    );
    runs.push(...workers.map((w) => w.run()));
  };
  if (options.workers !== false) await startWorkers();

  return {
    url,
    ctx,
    database,
    keys,
    ...(cloud ? { cloud } : {}),
    startWorkers,
    request: requester(url, keys),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      for (const w of workers) w.shutdown();
      await Promise.all(runs);
      await nativeConnection.close();
      await connection.close();
      await cloud?.child.stop();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** One unscoped key per role. */
export async function createRoleKeys(db: Db): Promise<Record<Role, string>> {
  const keys = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'admin'] as const)
    keys[role] = (await createApiKey(db, { role, name: `test ${role}` }, 'test')).key;
  return keys;
}

/** JSON requests to the API at `url`, with one of `keys` (admin unless told) or any token. */
export function requester(url: string, keys: Record<Role, string>): TestApi['request'] {
  return async (method, p, body, { as = 'admin', headers = {} } = {}) => {
    const token = as === 'none' ? undefined : typeof as === 'string' ? keys[as] : as.token;
    const res = await fetch(url + p, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : text || undefined,
      headers: res.headers,
    };
  };
}

/** What a trial needs of a running system, whether its API and workers run in this process or in their own. */
export type SystemApi = Pick<TestApi, 'url' | 'request' | 'database' | 'cloud'> & {
  ctx: Pick<ApiContext, 'agentSecret'>;
};

export const uniqueId = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;
