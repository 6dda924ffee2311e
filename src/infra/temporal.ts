import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor, type TLSConfig } from '@temporalio/client';
import proto from '@temporalio/proto';
import { searchAttributeKeys } from '../domain/search-attributes.js';
import { startChild, waitUntilReady, type Child } from './child.js';
import { assertOwnListener } from './embedded-claims.js';
import { ensureTemporalCli } from './temporal-cli.js';

/** Runs a program that cannot watch a lifeline itself; see tether.ts. */
export const TETHER_SCRIPT = fileURLToPath(new URL('./tether.ts', import.meta.url));

/** The dev server's database: `--db-filename` names it, which tells a data directory's server apart. */
export function temporalDbFile(dataDir: string): string {
  return path.join(dataDir, 'temporal.db');
}

/**
 * Runs `temporal server start-dev` with its state in `<dataDir>/temporal.db`, so a second start
 * continues every workflow where it was. Resolves once the frontend answers, from the server we
 * started. The CLI runs under tether.ts, so it ends when we do, however we end.
 */
export async function startTemporalDevServer(options: {
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  progress: (line: string) => void;
}): Promise<{ address: string; child: Child }> {
  const binary = await ensureTemporalCli(options.progress);
  await mkdir(options.dataDir, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    temporalDbFile(options.dataDir),
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--log-level',
    'warn',
    // SQLite's defaults (a rollback journal, a full sync per commit) make every history append
    // create and delete a journal file and wait on the disk: the server's writes are serialised,
    // so that wait bounds the whole orchestrator. A write-ahead log synced at checkpoints survives
    // a crash of the server or the machine's processes; a power loss may lose the last commits,
    // never the file's consistency — fair for the embedded default (production runs a cluster).
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
  ];
  if (options.namespace !== 'default') args.push('--namespace', options.namespace);
  const child = await startChild('temporal', process.execPath, ['--import', 'tsx', TETHER_SCRIPT, binary, ...args], {
    logDir: path.join(options.dataDir, 'logs'),
    lifeline: true,
  });
  const address = `127.0.0.1:${options.port}`;
  await waitForFrontend(child, address, 60_000);
  await assertOwnListener(child, options.port, 'the Temporal dev server');
  return { address, child };
}

/** Resolves once the Temporal frontend at `address`, which `child` serves, answers. */
export async function waitForFrontend(child: Child, address: string, timeoutMs: number): Promise<void> {
  await waitUntilReady(
    child,
    async () => {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
      } finally {
        await connection.close();
      }
    },
    timeoutMs,
  );
}

/**
 * Registers the project's search attributes that the namespace lacks. Idempotent, so every
 * process can run it at start against any server (embedded or a cluster).
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = searchAttributeKeys.filter((k) => !(k.name in (customAttributes ?? {})));
  if (missing.length === 0) return [];
  await connection.operatorService
    .addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((k) => [k.name, proto.temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${k.type}`]]),
      ),
    })
    .catch((err: { code?: number }) => {
      // Another process registered them between our list and add (gRPC ALREADY_EXISTS).
      if (err.code !== 6) throw err;
    });
  return missing.map((k) => k.name);
}

type ErrorChain = { code?: number; message?: string; cause?: unknown } | undefined;

function someInChain(err: unknown, test: (e: NonNullable<ErrorChain>) => boolean): boolean {
  for (let e = err as ErrorChain; e; e = e.cause as ErrorChain) if (test(e)) return true;
  return false;
}

/**
 * gRPC DEADLINE_EXCEEDED (4), or CANCELLED (1), which is how a call ends when its deadline passes
 * while the client's retry interceptor waits between attempts.
 */
export function isTemporalCallCut(err: unknown): boolean {
  return someInChain(err, (e) => e.code === 4 || e.code === 1);
}

/** How close to a caller's deadline a cut call counts as cut by it. */
const DEADLINE_SLACK_MS = 1_000;

/**
 * A call cut by the caller's own deadline (epoch ms): the gRPC timer may fire a moment before this
 * clock reaches the deadline, so a cut within the last second counts.
 */
export function isCutByDeadline(err: unknown, deadline: number, now = Date.now()): boolean {
  return deadline - now < DEADLINE_SLACK_MS && isTemporalCallCut(err);
}

/** Temporal errors that mean "the server is unreachable" rather than "the request is wrong". */
export function isTemporalUnavailable(err: unknown): boolean {
  // gRPC UNAVAILABLE (14), DEADLINE_EXCEEDED (4), or no connection at all.
  return someInChain(
    err,
    (e) =>
      e.code === 14 ||
      e.code === 4 ||
      /Failed to connect|connection refused|transport error|tcp connect error/i.test(e.message ?? ''),
  );
}

/**
 * gRPC RESOURCE_EXHAUSTED (8): the server sheds load — "Workflow is busy" when updates arrive faster
 * than a workflow takes them, or a namespace's rate limit. The caller should slow down: a 429.
 */
export function isTemporalBusy(err: unknown): boolean {
  return someInChain(err, (e) => e.code === 8);
}

/**
 * A client connection for request/response paths: a few quick retries, so an API call fails with
 * 503 in seconds during a Temporal outage instead of hanging through the SDK's long default backoff.
 */
export function connectForRequests(address: string, tls?: TLSConfig): Connection {
  return Connection.lazy({
    address,
    connectTimeout: 2_000,
    ...(tls ? { tls } : {}),
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3, maxIntervalMs: () => 1_000 }))],
  });
}
