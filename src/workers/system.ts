// The composition root: the one place that wires real adapters (Postgres, object storage,
// Temporal, the embedded servers) into the API and the workers.
import type { Server } from 'node:http';
import { once } from 'node:events';
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createApp } from '../api/app.js';
import { TASK_QUEUES, type Config } from '../config.js';
import type { Child } from '../infra/child.js';
import { startEmbeddedPostgres } from '../infra/embedded-postgres.js';
import { connectForRequests, ensureSearchAttributes, startTemporalDevServer } from '../infra/temporal.js';
import type { Logger } from '../logger.js';
import { createPool, type Db } from '../store/db.js';
import { migrate } from '../store/migrate.js';
import { createObjectStore } from '../store/objects/index.js';
import { createWorker, type QueueName } from './workers.js';

export interface Endpoints {
  temporalAddress: string;
  databaseUrl: string;
  temporalUiUrl?: string;
}

/** Embedded Temporal and Postgres for whatever the configuration leaves unset. */
export async function startEmbeddedInfra(config: Config, logger: Logger): Promise<{ endpoints: Endpoints; children: Child[] }> {
  const children: Child[] = [];
  let temporalAddress = config.TEMPORAL_ADDRESS;
  let temporalUiUrl: string | undefined;
  if (!temporalAddress) {
    logger.info('starting the embedded Temporal dev server');
    const temporal = await startTemporalDevServer({
      dataDir: config.dataDir, port: config.TEMPORAL_PORT, uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE, progress: (line) => logger.info(line),
    });
    children.push(temporal.child);
    temporalAddress = temporal.address;
    temporalUiUrl = `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
  }
  let databaseUrl = config.DATABASE_URL;
  if (!databaseUrl) {
    logger.info('starting the embedded Postgres (PGlite)');
    const pg = await startEmbeddedPostgres(config.dataDir, config.PGLITE_PORT);
    children.push(pg.child);
    databaseUrl = pg.url;
  }
  return { endpoints: { temporalAddress, databaseUrl, ...(temporalUiUrl ? { temporalUiUrl } : {}) }, children };
}

/** Routes the Rust core's logs through our logger; once per process, before any connection. */
export function installTemporalRuntime(logger: Logger): void {
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => logger[level === 'ERROR' ? 'error' : 'warn']({ ...meta, component: 'temporal-sdk' }, message)),
  });
}

export interface Running {
  stop: () => Promise<void>;
  apiUrl?: string;
}

/**
 * Starts the API and/or workers against running infrastructure; `stop` shuts them down in order
 * (API first so no new work arrives, then workers with their grace time, then connections).
 */
export async function startServices(config: Config, endpoints: Endpoints, logger: Logger, roles: { api: boolean; queues: QueueName[] }): Promise<Running> {
  const closers: (() => Promise<unknown>)[] = [];
  const stop = async (): Promise<void> => {
    for (const close of closers.reverse()) await close().catch((err: unknown) => logger.warn({ err }, 'error during shutdown'));
  };
  try {
    const db: Db = createPool(endpoints.databaseUrl);
    closers.push(() => db.end());
    const temporalConnection = connectForRequests(endpoints.temporalAddress);
    closers.push(() => temporalConnection.close());
    const added = await ensureSearchAttributes(temporalConnection, config.TEMPORAL_NAMESPACE);
    if (added.length) logger.info({ added }, 'registered search attributes');

    if (roles.queues.length) {
      const nativeConnection = await NativeConnection.connect({ address: endpoints.temporalAddress });
      closers.push(() => nativeConnection.close());
      for (const queue of roles.queues) {
        const worker = await createWorker({ connection: nativeConnection, namespace: config.TEMPORAL_NAMESPACE, queue });
        const run = worker.run();
        run.catch((err: unknown) => logger.error({ err, queue }, 'worker stopped with an error'));
        closers.push(async () => {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await run.catch(() => undefined);
        });
      }
      logger.info({ queues: roles.queues.map((q) => TASK_QUEUES[q]) }, 'workers running');
    }

    let apiUrl: string | undefined;
    if (roles.api) {
      const metrics = new Registry();
      collectDefaultMetrics({ register: metrics });
      const objects = await createObjectStore(config);
      const app = createApp({
        db, objects, logger, metrics,
        temporal: {
          connection: temporalConnection, namespace: config.TEMPORAL_NAMESPACE, taskQueue: TASK_QUEUES.main,
          client: new Client({ connection: temporalConnection, namespace: config.TEMPORAL_NAMESPACE }),
          ...(endpoints.temporalUiUrl ? { uiUrl: endpoints.temporalUiUrl } : {}),
        },
      });
      const server: Server = app.listen(config.PORT);
      await once(server, 'listening');
      closers.push(() => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }));
      apiUrl = `http://127.0.0.1:${config.PORT}`;
      logger.info({ url: apiUrl, objectStorage: objects.description }, 'API listening');
    }
    return { stop, ...(apiUrl ? { apiUrl } : {}) };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Applies migrations against the configured (or embedded) database. */
export async function runMigrations(databaseUrl: string, logger: Logger): Promise<void> {
  const db = createPool(databaseUrl, { max: 1 });
  try {
    const applied = await migrate(db);
    logger.info({ applied }, applied.length ? 'migrations applied' : 'database schema up to date');
  } finally {
    await db.end();
  }
}
