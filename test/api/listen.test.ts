// Where the API listens: HOST, the loopback by default, so nothing else on the network reaches it
// unless asked. The real `prescale api` process against the run's Temporal and Postgres.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startChild, waitUntilReady } from '../../src/infra/child.js';
import { TEMPORAL_ADDRESS } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/ports.js';

const BIN = fileURLToPath(new URL('../../bin/prescale.js', import.meta.url));
/** This machine's address on its network, as another machine would reach it. */
const external = Object.values(os.networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

const reach = (host: string, port: number): Promise<number | string> =>
  fetch(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(3_000) }).then(
    (r) => r.status,
    (err: Error & { cause?: { code?: string } }) => err.cause?.code ?? err.name,
  );

describe(
  'the API listens on HOST (real `prescale api` process)',
  { skip: !external && 'this machine has no non-loopback IPv4 address to test from' },
  () => {
    let database: TestDatabase;
    let dir: string;
    before(async () => {
      database = await createTestDatabase();
      dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-listen-'));
    });
    after(async () => {
      await database?.drop();
      await rm(dir, { recursive: true, force: true });
    });

    async function api(
      env: Record<string, string>,
      probeHost: string,
      test: (port: number) => Promise<void>,
    ): Promise<void> {
      const port = await freePort();
      const child = await startChild('api', process.execPath, [BIN, 'api'], {
        logDir: dir,
        env: {
          ...process.env,
          TEMPORAL_ADDRESS,
          DATABASE_URL: database.url,
          PRESCALE_DATA_DIR: dir,
          PORT: String(port),
          LOG_LEVEL: 'warn',
          ...env,
        },
      });
      try {
        await waitUntilReady(child, async () => assert.equal(await reach(probeHost, port), 200), 60_000);
        await test(port);
      } finally {
        await child.stop();
      }
    }

    it("by default, the loopback only: refused on the machine's network address", async () => {
      await api({}, '127.0.0.1', async (port) => {
        assert.equal(await reach(external!, port), 'ECONNREFUSED');
      });
    });

    it('HOST=0.0.0.0: every interface', async () => {
      await api({ HOST: '0.0.0.0' }, external!, async (port) => {
        assert.equal(await reach('127.0.0.1', port), 200);
      });
    });
  },
);
