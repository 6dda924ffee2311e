import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startEmbeddedPostgres } from '../../src/infra/embedded-postgres.js';
import { createPool, type Db } from '../../src/store/db.js';
import { loadMigrations, migrate } from '../../src/store/migrate.js';
import { createTestDatabase } from '../support/db.js';
import { freePort } from '../support/ports.js';

async function checkMigrations(url: string): Promise<void> {
  const all = (await loadMigrations()).map((m) => m.version);
  // Several processes starting at once: each migration must still be applied exactly once.
  const pools: Db[] = [1, 2, 3].map(() => createPool(url, { max: 2 }));
  try {
    const results = await Promise.all(pools.map((p) => migrate(p)));
    assert.deepEqual(
      results.flat().sort((a, b) => a - b),
      all,
      'every migration applied once across concurrent starters',
    );
    assert.deepEqual(await migrate(pools[0]!), [], 'a second run applies nothing');
    const { rows } = await pools[0]!.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    assert.deepEqual(
      rows.map((r) => r.version),
      all,
    );
    await pools[0]!.query(`INSERT INTO resource_sets (id, spec, workflow_id) VALUES ('m', '{}', 'resource-set-m')`);
    assert.equal((await pools[1]!.query('SELECT count(*)::int AS n FROM resource_sets')).rows[0].n, 1);
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
}

describe('migrations', () => {
  it('apply once, in order, on real PostgreSQL', async () => {
    const database = await createTestDatabase({ migrated: false });
    try {
      await checkMigrations(database.url);
    } finally {
      await database.drop();
    }
  });

  it('apply once, in order, on embedded PGlite through its socket server, and persist across restarts', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-pglite-'));
    const port = await freePort();
    try {
      const first = await startEmbeddedPostgres(dir, port);
      try {
        await checkMigrations(first.url);
      } finally {
        await first.child.stop();
      }
      const second = await startEmbeddedPostgres(dir, port);
      const db = createPool(second.url);
      try {
        assert.deepEqual(await migrate(db), []);
        assert.equal(
          (await db.query('SELECT count(*)::int AS n FROM resource_sets')).rows[0].n,
          1,
          'data survived the restart',
        );
      } finally {
        await db.end();
        await second.child.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a failing migration names itself and leaves the schema as it was', async () => {
    const database = await createTestDatabase({ migrated: false });
    try {
      const bad = [
        { version: 1, name: 'ok', sql: 'CREATE TABLE a (x int)' },
        { version: 2, name: 'broken', sql: 'CREATE TABLE b (x nonsense_type)' },
      ];
      await assert.rejects(migrate(database.db, bad), /migration 2_broken failed/);
      const { rows } = await database.db.query(
        "SELECT to_regclass('schema_migrations') AS m, to_regclass('a') AS a, to_regclass('b') AS b",
      );
      assert.deepEqual(rows[0], { m: null, a: null, b: null });
      assert.deepEqual(
        await migrate(database.db, bad.slice(0, 1)),
        [1],
        'the good one applies once the bad one is gone',
      );
    } finally {
      await database.drop();
    }
  });
});
