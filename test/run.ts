// `npm test`: starts the servers the tests talk to — a Temporal dev server, an S3-compatible
// server (s3rver) — checks that Postgres answers, then runs every test file with Node's test
// runner and stops what it started. Arguments narrow the run to files whose path contains them.
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import { ensureSearchAttributes, startTemporalDevServer } from '../src/infra/temporal.js';
import { freePort } from './support/ports.js';
import { startS3Server } from './support/s3-server.js';

const root = path.dirname(new URL(import.meta.url).pathname);

async function testFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

async function checkPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(
      `Postgres at ${url} does not answer (${(err as Error).message}); start it or set TEST_DATABASE_URL`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

const filters = process.argv.slice(2);
const files = (await testFiles(root)).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
const tmp = await mkdtemp(path.join(os.tmpdir(), 'prescale-test-'));
const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
await checkPostgres(databaseUrl);

const log = (line: string): void => console.error(`[test/run] ${line}`);
const temporal = await startTemporalDevServer({
  dataDir: tmp,
  port: await freePort(),
  uiPort: await freePort(),
  namespace: 'default',
  progress: log,
});
const s3 = await startS3Server({ directory: path.join(tmp, 's3') });
let code = 1;
try {
  const connection = await Connection.connect({ address: temporal.address });
  await ensureSearchAttributes(connection, 'default');
  await connection.close();
  log(`Temporal ${temporal.address}, S3 ${s3.endpoint}, Postgres ${databaseUrl}; ${files.length} test files`);

  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
    stdio: 'inherit',
    env: {
      ...process.env,
      TEST_TEMPORAL_ADDRESS: temporal.address,
      TEST_S3_ENDPOINT: s3.endpoint,
      TEST_DATABASE_URL: databaseUrl,
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
  });
  const stop = (): void => {
    child.kill('SIGINT');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  code = await new Promise<number>((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
} finally {
  await s3.stop();
  await temporal.child.stop();
  await rm(tmp, { recursive: true, force: true });
}
process.exitCode = code;
