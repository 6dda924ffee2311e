import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { connectForRequests } from '../../src/infra/temporal.js';
import { Registry } from 'prom-client';
import { createApp } from '../../src/api/app.js';
import type { ApiContext } from '../../src/api/context.js';
import { createLogger } from '../../src/logger.js';
import { createApiKey } from '../../src/store/api-keys.js';
import { createPool } from '../../src/store/db.js';
import { createObjectStore } from '../../src/store/objects/index.js';
import { TEMPORAL_ADDRESS } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/ports.js';

/** An API whose Temporal and/or Postgres address points at a port nothing listens on. */
async function apiWith(options: { temporal: string; databaseUrl: string; security?: ApiContext['security'] }) {
  const connection = connectForRequests(options.temporal);
  const db = createPool(options.databaseUrl);
  const app = createApp({
    db,
    logger: createLogger('silent'),
    metrics: new Registry(),
    agentSecret: 'unused-in-this-test-0000',
    objects: await createObjectStore({
      dataDir: '/tmp/prescale-unavailable-test',
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: true,
    }),
    temporal: { connection, client: new Client({ connection }), namespace: 'default', taskQueue: 'unused' },
    ...(options.security ? { security: options.security } : {}),
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await db.end();
      await connection.close().catch(() => undefined);
    },
  };
}

describe('when a dependency is down or overloaded, the API answers 503 or 429 naming it, never 500', () => {
  let database: TestDatabase;
  let deadPort: number;
  let auth: { authorization: string };
  before(async () => {
    database = await createTestDatabase();
    deadPort = await freePort();
    auth = { authorization: `Bearer ${(await createApiKey(database.db, { role: 'admin' }, 'test')).key}` };
  });
  after(async () => {
    await database.drop();
  });

  it('Temporal down: /readyz 503 naming temporal; creating a resource set 503 and nothing kept', async () => {
    const api = await apiWith({ temporal: `127.0.0.1:${deadPort}`, databaseUrl: database.url });
    try {
      const ready = await fetch(`${api.url}/readyz`);
      assert.equal(ready.status, 503);
      const body = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
      assert.equal(body.checks.temporal?.ok, false);
      assert.equal(body.checks.postgres?.ok, true);

      const created = await fetch(`${api.url}/v1/resource-sets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify({ id: 'offline', provider: 'local', minInstances: 1, maxInstances: 2 }),
      });
      assert.equal(created.status, 503);
      assert.equal(((await created.json()) as { error: { code: string } }).error.code, 'temporal_unavailable');
      const { rows } = await database.db.query("SELECT count(*)::int AS n FROM resource_sets WHERE id = 'offline'");
      assert.equal(rows[0].n, 0, 'the row rolled back with the failed workflow start');
    } finally {
      await api.close();
    }
  });

  it('a workflow taking updates slower than they arrive: 429 temporal_busy beyond its cap, 503 temporal_timeout at the deadline, never held', async () => {
    // No worker polls this API's task queue, so the loop's updates stay in flight until Temporal's
    // per-workflow cap (10) refuses more, and the admitted ones until the API's deadline on Temporal.
    const api = await apiWith({
      temporal: TEMPORAL_ADDRESS,
      databaseUrl: database.url,
      security: { temporalTimeoutSeconds: 6 },
    });
    const headers = { 'content-type': 'application/json', ...auth };
    const id = `busy-${Date.now().toString(36)}`;
    try {
      const created = await fetch(`${api.url}/v1/resource-sets`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ id, provider: 'local', minInstances: 0, maxInstances: 2 }),
      });
      assert.equal(created.status, 201);
      // An update waits for the loop's worker (a policy PATCH no longer does: it is stored, then signalled).
      const updates = Array.from({ length: 14 }, () =>
        fetch(`${api.url}/v1/resource-sets/${id}/scale`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ count: 1, ttlSeconds: 60 }),
          signal: AbortSignal.timeout(20_000),
        }).then(
          async (r) => ({
            status: r.status,
            retryAfter: r.headers.get('retry-after'),
            code: ((await r.json()) as { error?: { code: string } }).error?.code,
          }),
          () => 'held' as const,
        ),
      );
      const settled = await Promise.all(updates);
      const busy = settled.filter((a) => a !== 'held' && a.status === 429);
      const timedOut = settled.filter((a) => a !== 'held' && a.status === 503);
      assert.ok(busy.length >= 1, `some update refused as busy: ${JSON.stringify(settled)}`);
      for (const a of busy) assert.deepEqual(a, { status: 429, retryAfter: '1', code: 'temporal_busy' });
      assert.ok(timedOut.length >= 1, `the admitted ones end at the deadline: ${JSON.stringify(settled)}`);
      for (const a of timedOut) assert.deepEqual(a, { status: 503, retryAfter: '5', code: 'temporal_timeout' });
      assert.equal(
        busy.length + timedOut.length,
        14,
        `every update answered, none held to the client's 20 s or a 500: ${JSON.stringify(settled)}`,
      );
    } finally {
      await fetch(`${api.url}/v1/resource-sets/${id}`, { method: 'DELETE', headers }).catch(() => undefined);
      await new Client({ connection: connectForRequests(TEMPORAL_ADDRESS) }).workflow
        .getHandle(`resource-set-${id}`)
        .terminate('test over')
        .catch(() => undefined);
      await api.close();
    }
  });

  it('Postgres down: /readyz 503 naming postgres; reads 503', async () => {
    const api = await apiWith({
      temporal: TEMPORAL_ADDRESS,
      databaseUrl: `postgres://postgres@127.0.0.1:${deadPort}/none`,
    });
    try {
      const ready = await fetch(`${api.url}/readyz`);
      assert.equal(ready.status, 503);
      const body = (await ready.json()) as { checks: Record<string, { ok: boolean }> };
      assert.equal(body.checks.postgres?.ok, false);
      assert.equal(body.checks.temporal?.ok, true);
      // The key cannot be checked without Postgres: 503, neither 401 nor a pass.
      const list = await fetch(`${api.url}/v1/resource-sets`, { headers: auth });
      assert.equal(list.status, 503);
      assert.equal(((await list.json()) as { error: { code: string } }).error.code, 'database_unavailable');
    } finally {
      await api.close();
    }
  });
});
