import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startChild, waitUntilReady, type Child } from './child.js';
import { assertOwnListener } from './embedded-claims.js';

const SERVER_SCRIPT = fileURLToPath(new URL('../store/pglite-server.ts', import.meta.url));

/**
 * Pool size for clients of the embedded server. PGlite has one session, so transactions run one
 * after another: a client should wait for its turn in the server's queue (bounded by the query
 * timeout), not for a free slot in a pool of 10, which gives up after the connection timeout as if
 * Postgres were down.
 */
export const EMBEDDED_POOL_SIZE = 30;

/** Where PGlite keeps its files; its server's command line names it, which tells a data directory's server apart. */
export function pgliteDir(dataDir: string): string {
  return path.join(dataDir, 'pglite');
}

/**
 * Starts PGlite under `<dataDir>/pglite` behind a Postgres wire-protocol socket on loopback; the
 * server ends when its IPC channel to us closes, however we end.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number): Promise<{ url: string; child: Child }> {
  const child = await startChild(
    'pglite',
    process.execPath,
    ['--import', 'tsx', SERVER_SCRIPT, pgliteDir(dataDir), String(port)],
    { logDir: path.join(dataDir, 'logs'), ipc: true },
  );
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  await waitUntilReady(
    child,
    async () => {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
      await client.connect();
      await client.end();
    },
    60_000,
  );
  await assertOwnListener(child, port, 'the embedded PGlite server');
  return { url, child };
}
