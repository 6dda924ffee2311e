// The embedded PGlite server under concurrent clients (issue 17, defect 1): every client's
// extended-protocol exchange and transaction runs whole, so answers never cross.
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { claimDataDir } from '../../src/infra/embedded-claims.js';
import { EMBEDDED_POOL_SIZE, startEmbeddedPostgres } from '../../src/infra/embedded-postgres.js';
import type { Child } from '../../src/infra/child.js';
import { createPool } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrate.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

/** Runs `count` tasks, `width` at a time. */
async function inBatches<T>(count: number, width: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

describe('embedded PGlite under concurrent clients', () => {
  let dataDir: string;
  let pglite: { url: string; child: Child };
  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'prescale-pglite-'));
    await claimDataDir(dataDir);
    pglite = await startEmbeddedPostgres(dataDir, await freePort());
  });
  after(async () => {
    await pglite.child.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps the data directory to its owner (0700)', async () => {
    assert.equal((await stat(dataDir)).mode & 0o777, 0o700);
  });

  it('answers each of 20 clients its own parameterised queries and transactions', async () => {
    const clients = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const client = new pg.Client({ connectionString: pglite.url });
        await client.connect();
        return client;
      }),
    );
    try {
      await clients[0]!.query('CREATE TABLE IF NOT EXISTS counters (client int PRIMARY KEY, n int NOT NULL)');
      await Promise.all(
        clients.map(async (client, c) => {
          await client.query('INSERT INTO counters VALUES ($1, 0)', [c]);
          for (let round = 0; round < 25; round++) {
            // Statements with different parameter counts: interleaved, one's Bind meets another's Parse.
            const {
              rows: [sum],
            } = await client.query('SELECT $1::int + $2::int AS v', [c, round]);
            assert.equal(sum.v, c + round);
            const {
              rows: [echo],
            } = await client.query('SELECT $1::text AS v, $2::int AS w, $3::int AS x', [`client-${c}`, round, c]);
            assert.deepEqual(echo, { v: `client-${c}`, w: round, x: c });
            await client.query('BEGIN');
            await client.query('UPDATE counters SET n = n + 1 WHERE client = $1', [c]);
            if (round % 5 === 4) await client.query('ROLLBACK');
            else await client.query('COMMIT');
          }
        }),
      );
      const { rows } = await clients[0]!.query<{ client: number; n: number }>(
        'SELECT client, n FROM counters ORDER BY client',
      );
      assert.deepEqual(
        rows,
        clients.map((_, c) => ({ client: c, n: 20 })),
        'every committed update counted, every rolled-back one not',
      );
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  describe('the API on it', () => {
    let api: TestApi;
    before(async () => {
      // As `prescale start` makes it for the embedded server.
      const db = createPool(pglite.url, { max: EMBEDDED_POOL_SIZE });
      await migrate(db);
      api = await startTestApi({
        database: { url: pglite.url, db, drop: () => db.end() },
        security: { rateLimit: { perSecond: 0, burst: 1 } },
      });
    });
    after(async () => {
      await api.close();
    });

    it('creates 200 resource sets, 20 at a time: no crossed answers, every 201 kept and audited', async () => {
      const answers = await inBatches(200, 20, async (i) => {
        const { status, body: reply } = await api.request('POST', '/v1/resource-sets', {
          id: `load-${i}`,
          provider: 'local',
          minInstances: 1,
          maxInstances: 10,
        });
        return status === 201 ? '201' : `${status} ${reply?.error?.code ?? ''}`;
      });
      // One session runs transactions one at a time; a create holds none across Temporal's
      // workflow start, so 20 at once all fit the API's Temporal budget. Never a 401, 500 or silence.
      assert.deepEqual(
        answers.filter((a) => a !== '201'),
        [],
      );
      const created = answers.flatMap((a, i) => (a === '201' ? [`load-${i}`] : []));
      const { rows } = await api.database.db.query<{ id: string }>(
        "SELECT id FROM resource_sets WHERE id LIKE 'load-%'",
      );
      const kept = new Set(rows.map((r) => r.id));
      assert.deepEqual(
        created.filter((id) => !kept.has(id)),
        [],
        'every 201 kept its row',
      );
      // The audit row is written once the response is sent.
      await waitFor(
        () => 'an audit row for each 201',
        async () => {
          const {
            rows: [audited],
          } = await api.database.db.query(
            "SELECT count(*)::int AS n FROM audit_log WHERE method = 'POST' AND status = 201 AND target LIKE 'load-%'",
          );
          return audited.n >= created.length;
        },
        10_000,
      );
    });
  });
});
