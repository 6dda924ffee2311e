// The composition root: the one place that wires real adapters (Postgres, object storage,
// Temporal, the embedded servers) into the API and the workers.
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import path from 'node:path';
import { once } from 'node:events';
import { Client, type TLSConfig } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createApp } from '../api/app.js';
import { apiSecurity } from '../api/auth-config.js';
import { ConfigError, localUrl, type Config } from '../config.js';
import { TASK_QUEUES } from '../domain/task-queues.js';
import type { FleetTarget } from '../activities/types.js';
import { loadAgentSecret } from '../infra/agent-secret.js';
import type { Child } from '../infra/child.js';
import { claimDataDir, claimPorts, endLeftovers, type EmbeddedPort } from '../infra/embedded-claims.js';
import { EMBEDDED_POOL_SIZE, pgliteDir, startEmbeddedPostgres } from '../infra/embedded-postgres.js';
import {
  connectForRequests,
  ensureSearchAttributes,
  startTemporalDevServer,
  temporalDbFile,
} from '../infra/temporal.js';
import type { Logger } from '../logger.js';
import { createPool, type Db } from '../store/db.js';
import { applyRetention } from '../store/metrics.js';
import { migrate } from '../store/migrate.js';
import { createObjectStore } from '../store/objects/index.js';
import { controlPlaneMetrics } from '../observability/metrics.js';
import { serveMetrics } from '../observability/metrics-server.js';
import { LocalProvider } from '../providers/local/client.js';
import { startLocalCloud } from '../providers/local/start-local-cloud.js';
import { localCloudToken } from '../providers/local/token.js';
import { AwsProvider } from '../providers/aws/aws-provider.js';
import type { Provider } from '../domain/provider.js';
import { createWorker, type QueueName } from './workers.js';

export interface Endpoints {
  temporalAddress: string;
  databaseUrl: string;
  /** Connections per pool to it, when the server wants other than the default. */
  databasePoolSize?: number;
  temporalUiUrl?: string;
  localCloudUrl: string;
  /** The local cloud API's bearer token. */
  localCloudToken: string;
  /** Agent tokens derive from it: the API verifies them, the local cloud issues them. */
  agentSecret: string;
}

/** Endpoints of servers run elsewhere, as the configuration names them. */
export async function configuredEndpoints(config: Config): Promise<Omit<Endpoints, 'temporalAddress' | 'databaseUrl'>> {
  const agentSecret = await loadAgentSecret(config.PRESCALE_AGENT_SECRET, config.dataDir);
  return {
    localCloudUrl: config.LOCAL_CLOUD_URL ?? `http://127.0.0.1:${config.LOCAL_CLOUD_PORT}`,
    localCloudToken: localCloudToken(config.LOCAL_CLOUD_TOKEN, agentSecret),
    agentSecret,
  };
}

/** The ports `prescale start` is about to listen on (the API's and its embedded servers'). */
function embeddedPorts(config: Config): EmbeddedPort[] {
  const ports: EmbeddedPort[] = [{ port: config.PORT, server: 'the API', variable: 'PORT' }];
  if (!config.TEMPORAL_ADDRESS) {
    const temporal = {
      server: 'the embedded Temporal server',
      stateArg: temporalDbFile(config.dataDir),
      stateFlag: '--db-filename',
    };
    ports.push(
      { port: config.TEMPORAL_PORT, variable: 'TEMPORAL_PORT', ...temporal },
      { port: config.TEMPORAL_UI_PORT, variable: 'TEMPORAL_UI_PORT', ...temporal },
    );
  }
  if (!config.DATABASE_URL)
    ports.push({
      port: config.PGLITE_PORT,
      server: 'the embedded PGlite server',
      variable: 'PGLITE_PORT',
      stateArg: pgliteDir(config.dataDir),
    });
  if (!config.LOCAL_CLOUD_URL) {
    const cloud = { server: 'the local cloud', stateArg: localCloudDir(config.dataDir), stateFlag: '--state-dir' };
    ports.push(
      { port: config.LOCAL_CLOUD_PORT, variable: 'LOCAL_CLOUD_PORT', ...cloud },
      { port: config.LOCAL_LB_PORT, variable: 'LOCAL_LB_PORT', ...cloud },
    );
  }
  return ports;
}

function localCloudDir(dataDir: string): string {
  return path.join(dataDir, 'local-cloud');
}

/**
 * Embedded Temporal, Postgres and local cloud for whatever the configuration leaves unset, once
 * the data directory and every port are known to be ours (see embedded-claims.ts).
 */
export async function startEmbeddedInfra(
  config: Config,
  logger: Logger,
): Promise<{ endpoints: Endpoints; children: Child[] }> {
  await claimDataDir(config.dataDir);
  const ports = embeddedPorts(config);
  await endLeftovers(ports, logger);
  await claimPorts(ports);
  const children: Child[] = [];
  let temporalAddress = config.TEMPORAL_ADDRESS;
  let temporalUiUrl: string | undefined;
  if (!temporalAddress) {
    logger.info('starting the embedded Temporal dev server');
    const temporal = await startTemporalDevServer({
      dataDir: config.dataDir,
      port: config.TEMPORAL_PORT,
      uiPort: config.TEMPORAL_UI_PORT,
      namespace: config.TEMPORAL_NAMESPACE,
      progress: (line) => logger.info(line),
    });
    children.push(temporal.child);
    temporalAddress = temporal.address;
    temporalUiUrl = `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
  }
  let databaseUrl = config.DATABASE_URL;
  let databasePoolSize: number | undefined;
  if (!databaseUrl) {
    logger.info('starting the embedded Postgres (PGlite)');
    const pg = await startEmbeddedPostgres(config.dataDir, config.PGLITE_PORT);
    children.push(pg.child);
    databaseUrl = pg.url;
    databasePoolSize = EMBEDDED_POOL_SIZE;
  }
  const configured = await configuredEndpoints(config);
  let localCloudUrl = configured.localCloudUrl;
  if (!config.LOCAL_CLOUD_URL) {
    logger.info('starting the local cloud');
    const cloud = await startLocalCloud({
      port: config.LOCAL_CLOUD_PORT,
      lbPort: config.LOCAL_LB_PORT,
      stateDir: localCloudDir(config.dataDir),
      ingestUrl: localUrl(config.HOST, config.PORT),
      agentSecret: configured.agentSecret,
      token: configured.localCloudToken,
      logDir: path.join(config.dataDir, 'logs'),
      bootDelaySeconds: config.LOCAL_BOOT_DELAY_SECONDS,
      stopInstancesOnExit: true,
    });
    children.push(cloud.child);
    localCloudUrl = cloud.apiUrl;
  }
  return {
    endpoints: {
      temporalAddress,
      databaseUrl,
      ...(databasePoolSize ? { databasePoolSize } : {}),
      ...(temporalUiUrl ? { temporalUiUrl } : {}),
      ...configured,
      localCloudUrl,
    },
    children,
  };
}

/**
 * Each resource set's provider: the local cloud, or the EC2 Auto Scaling group its providerRef
 * names (the resource set's id when unset), with AWS credentials and region from the SDK's chain.
 */
export function providerRegistry(
  endpoints: Pick<Endpoints, 'localCloudUrl' | 'localCloudToken'>,
): (target: FleetTarget) => Provider {
  const local = new LocalProvider({ url: endpoints.localCloudUrl, token: endpoints.localCloudToken });
  const aws = new Map<string, Provider>();
  return (target) => {
    if (target.provider === 'local') return local;
    const group = target.providerRef ?? target.resourceSetId;
    let provider = aws.get(group);
    if (!provider) aws.set(group, (provider = new AwsProvider({ groupName: () => group })));
    return provider;
  };
}

/**
 * TLS to Temporal (mTLS with a client certificate) from TEMPORAL_TLS*, for production clusters
 * and Temporal Cloud; undefined means plaintext, as the embedded dev server speaks.
 */
export async function temporalTls(config: Config): Promise<TLSConfig | undefined> {
  const {
    TEMPORAL_TLS_CA: ca,
    TEMPORAL_TLS_CERT: cert,
    TEMPORAL_TLS_KEY: key,
    TEMPORAL_TLS_SERVER_NAME: serverName,
  } = config;
  if (Boolean(cert) !== Boolean(key))
    throw new ConfigError(
      cert ? 'TEMPORAL_TLS_KEY' : 'TEMPORAL_TLS_CERT',
      'must be set together with TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY',
      undefined,
    );
  if (!config.TEMPORAL_TLS && !ca && !cert) return undefined;
  const read = (variable: string, file: string) =>
    readFile(file).catch((err: Error) => {
      throw new ConfigError(variable, `cannot read the file (${err.message})`, file);
    });
  return {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(ca ? { serverRootCACertificate: await read('TEMPORAL_TLS_CA', ca) } : {}),
    ...(cert && key
      ? { clientCertPair: { crt: await read('TEMPORAL_TLS_CERT', cert), key: await read('TEMPORAL_TLS_KEY', key) } }
      : {}),
  };
}

/** Routes the Rust core's logs through our logger; once per process, before any connection. */
export function installTemporalRuntime(logger: Logger): void {
  Runtime.install({
    logger: new DefaultLogger('WARN', ({ level, message, meta }) =>
      logger[level === 'ERROR' ? 'error' : 'warn']({ ...meta, component: 'temporal-sdk' }, message),
    ),
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
export async function startServices(
  config: Config,
  endpoints: Endpoints,
  logger: Logger,
  roles: { api: boolean; queues: QueueName[] },
): Promise<Running> {
  const closers: (() => Promise<unknown>)[] = [];
  const stop = async (): Promise<void> => {
    for (const close of closers.reverse())
      await close().catch((err: unknown) => logger.warn({ err }, 'error during shutdown'));
  };
  try {
    const tls = await temporalTls(config);
    const db: Db = createPool(endpoints.databaseUrl, { max: endpoints.databasePoolSize });
    closers.push(() => db.end());
    const temporalConnection = connectForRequests(endpoints.temporalAddress, tls);
    closers.push(() => temporalConnection.close());
    const added = await ensureSearchAttributes(temporalConnection, config.TEMPORAL_NAMESPACE);
    if (added.length) logger.info({ added }, 'registered search attributes');

    // One registry per process: the workers' control-loop metrics and the API's own, served by
    // the API's /metrics, or in a worker-only process on WORKER_METRICS_PORT when set.
    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics });
    const controlPlane = controlPlaneMetrics(metrics);
    const objects = await createObjectStore(config);

    if (roles.queues.length) {
      const nativeConnection = await NativeConnection.connect({
        address: endpoints.temporalAddress,
        ...(tls ? { tls } : {}),
      });
      closers.push(() => nativeConnection.close());
      const deps = {
        db,
        objects,
        providerFor: providerRegistry(endpoints),
        agentSecret: endpoints.agentSecret,
        metrics: controlPlane,
        forecastCacheSeries: config.FORECAST_CACHE_SERIES,
        ...(config.WORKFLOW_CACHE_SIZE ? { workflowCacheSize: config.WORKFLOW_CACHE_SIZE } : {}),
      };
      for (const queue of roles.queues) {
        const worker = await createWorker({
          connection: nativeConnection,
          namespace: config.TEMPORAL_NAMESPACE,
          queue,
          deps,
        });
        const run = worker.run();
        run.catch((err: unknown) => logger.error({ err, queue }, 'worker stopped with an error'));
        closers.push(async () => {
          if (worker.getState() === 'RUNNING') worker.shutdown();
          await run.catch(() => undefined);
        });
      }
      logger.info({ queues: roles.queues.map((q) => TASK_QUEUES[q]) }, 'workers running');
      if (!roles.api && config.WORKER_METRICS_PORT) {
        const served = await serveMetrics(metrics, config.HOST, config.WORKER_METRICS_PORT);
        closers.push(() => served.close());
        logger.info({ url: served.url }, 'worker metrics served');
      }
    }

    let apiUrl: string | undefined;
    if (roles.api) {
      const app = createApp({
        db,
        objects,
        logger,
        metrics,
        agentSecret: endpoints.agentSecret,
        security: apiSecurity(config),
        temporal: {
          connection: temporalConnection,
          namespace: config.TEMPORAL_NAMESPACE,
          taskQueue: TASK_QUEUES.main,
          client: new Client({ connection: temporalConnection, namespace: config.TEMPORAL_NAMESPACE }),
          ...(endpoints.temporalUiUrl ? { uiUrl: endpoints.temporalUiUrl } : {}),
        },
      });
      const server: Server = app.listen(config.PORT, config.HOST);
      await Promise.race([
        once(server, 'listening'),
        once(server, 'error').then(([err]) => {
          throw err as Error;
        }),
      ]);
      closers.push(
        () =>
          new Promise((resolve) => {
            server.close(resolve);
            server.closeAllConnections();
          }),
      );
      apiUrl = localUrl(config.HOST, config.PORT);
      // Raw samples and roll-ups age out hourly (batched deletes), wherever the API runs.
      const retention = setInterval(() => {
        applyRetention(db).catch((err: unknown) => logger.warn({ err }, 'metric retention failed; retrying next hour'));
      }, 3_600_000);
      closers.push(() => Promise.resolve(clearInterval(retention)));
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
