// The Temporal server on PostgreSQL (deploy/temporal-postgres/start.sh) as a test runs it: its
// own two databases on the test server and its own ports, so it can run beside the run's dev
// server and other tests; it can be crashed and started again on the same databases.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { startChild, type Child } from '../../src/infra/child.js';
import { ensureSearchAttributes, TETHER_SCRIPT, waitForFrontend } from '../../src/infra/temporal.js';
import { dropDatabase, TEST_DATABASE_URL } from './db.js';
import { freeLowPort } from './ports.js';
import { waitFor } from './wait.js';

const START_SCRIPT = fileURLToPath(new URL('../../deploy/temporal-postgres/start.sh', import.meta.url));

/** The ports config/postgres.yaml reads; the frontend's is the one clients use. */
const PORT_VARIABLES = [
  'TEMPORAL_FRONTEND_PORT',
  'TEMPORAL_FRONTEND_HTTP_PORT',
  'TEMPORAL_FRONTEND_MEMBERSHIP_PORT',
  'TEMPORAL_HISTORY_PORT',
  'TEMPORAL_HISTORY_MEMBERSHIP_PORT',
  'TEMPORAL_MATCHING_PORT',
  'TEMPORAL_MATCHING_MEMBERSHIP_PORT',
  'TEMPORAL_WORKER_PORT',
  'TEMPORAL_WORKER_MEMBERSHIP_PORT',
] as const;

export interface TemporalOnPostgres {
  address: string;
  /** Databases ready, server answering, namespace `default` with Prescale's search attributes. */
  start(): Promise<void>;
  /** A crash: SIGKILL to the server's process group. */
  crash(): Promise<void>;
  /** Stops the server and drops its databases. */
  destroy(): Promise<void>;
}

export async function temporalOnPostgres(options: { logDir: string }): Promise<TemporalOnPostgres> {
  const db = new URL(TEST_DATABASE_URL);
  const prefix = `temporal_${randomBytes(4).toString('hex')}`;
  const databases = [prefix, `${prefix}_visibility`];
  const taken = new Set<number>();
  while (taken.size < PORT_VARIABLES.length) taken.add(await freeLowPort(taken));
  const ports = Object.fromEntries(PORT_VARIABLES.map((v, k) => [v, String([...taken][k])]));
  const env = {
    ...process.env,
    ...ports,
    TEMPORAL_DB_HOST: db.hostname,
    TEMPORAL_DB_PORT: db.port || '5432',
    TEMPORAL_DB_USER: decodeURIComponent(db.username),
    SQL_PASSWORD: decodeURIComponent(db.password),
    TEMPORAL_DB: databases[0],
    TEMPORAL_VISIBILITY_DB: databases[1],
  };
  const address = `127.0.0.1:${ports.TEMPORAL_FRONTEND_PORT}`;
  let server: Child | undefined;
  let starts = 0;

  return {
    address,
    async start() {
      server = await startChild(
        `temporal-postgres-${++starts}`,
        process.execPath,
        ['--import', 'tsx', TETHER_SCRIPT, START_SCRIPT],
        { logDir: options.logDir, env, lifeline: true },
      );
      await waitForFrontend(server, address, 120_000);
      const connection = await Connection.connect({ address });
      try {
        await connection.workflowService
          .registerNamespace({ namespace: 'default', workflowExecutionRetentionPeriod: msToTs('1 day') })
          // A restart finds it registered (gRPC ALREADY_EXISTS).
          .catch((err: { code?: number }) => {
            if (err.code !== 6) throw err;
          });
        // The frontend's namespace cache takes a few seconds to see a new namespace.
        await waitFor(
          'namespace default to be usable',
          () =>
            ensureSearchAttributes(connection, 'default').then(
              () => true,
              () => false,
            ),
          60_000,
        );
      } finally {
        await connection.close();
      }
    },
    async crash() {
      process.kill(-server!.process.pid!, 'SIGKILL');
      await server!.exited;
    },
    async destroy() {
      await server?.stop();
      for (const name of databases) await dropDatabase(name);
    },
  };
}
