import { once } from 'node:events';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import { connectForRequests } from '../../src/infra/temporal.js';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { Registry } from 'prom-client';
import { createApp } from '../../src/api/app.js';
import type { ApiContext } from '../../src/api/context.js';
import { createLogger } from '../../src/logger.js';
import { createObjectStore } from '../../src/store/objects/index.js';
import { installTemporalRuntime } from '../../src/workers/system.js';
import { createWorker } from '../../src/workers/workers.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export const TEMPORAL_ADDRESS = process.env.TEST_TEMPORAL_ADDRESS ?? '127.0.0.1:7233';

installTemporalRuntime(createLogger('error'));

export interface TestApi {
  url: string;
  ctx: ApiContext;
  database: TestDatabase;
  worker: Worker;
  /** JSON request helper: returns status and parsed body. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/**
 * The API wired to real servers — the run's Temporal dev server, a fresh Postgres database,
 * a folder object store — with a main worker on a task queue of its own.
 */
export async function startTestApi(): Promise<TestApi> {
  const database = await createTestDatabase();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-api-'));
  const taskQueue = `test-main-${randomBytes(4).toString('hex')}`;
  const connection = connectForRequests(TEMPORAL_ADDRESS);
  const nativeConnection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS });
  const worker = await createWorker({ connection: nativeConnection, namespace: 'default', queue: 'main', taskQueue });
  const run = worker.run();
  const ctx: ApiContext = {
    db: database.db,
    objects: await createObjectStore({ dataDir: dir, S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: true }),
    logger: createLogger('silent'),
    metrics: new Registry(),
    temporal: { connection, client: new Client({ connection }), namespace: 'default', taskQueue, uiUrl: 'http://127.0.0.1:8233' },
  };
  const server: Server = createApp(ctx).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url, ctx, database, worker,
    async request(method, p, body) {
      const res = await fetch(url + p, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      worker.shutdown();
      await run;
      await nativeConnection.close();
      await connection.close();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export const uniqueId = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`;
