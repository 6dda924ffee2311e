import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import express, { type ErrorRequestHandler } from 'express';
import { Registry } from 'prom-client';
import { HttpError } from '../../src/infra/http-error.js';
import { mountRoutes } from '../../src/api/route.js';
import { metricsRoutes } from '../../src/api/routes/metrics.js';
import { agentToken } from '../../src/domain/agent-token.js';
import { createPool, isDatabaseUnavailable, type Db } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/ports.js';
import { batch, sample } from './samples.js';

const SECRET = 'test-agent-secret';

/**
 * The route mounted the way the API mounts every route (mountRoutes, express.json), behind an
 * error handler that renders HttpErrors and records anything else: what it records is what the
 * API's own error mapping would receive.
 */
async function startApi(db: Db) {
  const metrics = new Registry();
  const unexpected: unknown[] = [];
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  const router = express.Router();
  mountRoutes(router, metricsRoutes({ db, metrics, agentSecret: SECRET }));
  app.use(router);
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    unexpected.push(err);
    res.status(500).json({ error: { code: 'internal', message: String(err) } });
  };
  app.use(onError);
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/metrics`;
  return {
    metrics,
    unexpected,
    async post(body: unknown, token?: string, scheme = 'Bearer') {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token === undefined ? {} : { authorization: `${scheme} ${token}` }),
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any, authenticate: res.headers.get('www-authenticate') };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function counted(metrics: Registry): Promise<Record<string, number>> {
  const metric = await metrics.getSingleMetric('prescale_ingest_samples_total')!.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels.outcome), v.value]));
}

describe('POST /v1/metrics over real HTTP into real Postgres', () => {
  let database: TestDatabase;
  let api: Awaited<ReturnType<typeof startApi>>;
  before(async () => {
    database = await createTestDatabase();
    api = await startApi(database.db);
  });
  after(async () => {
    await api.close();
    await database.drop();
  });

  const now = Date.now();
  const good = batch('rs-web', 'i-web-1', [
    sample(1, now - 20_000, { requests: 30, latencyP95Ms: 12 }),
    sample(2, now - 10_000, { requests: 40 }),
  ]);
  const stored = async () =>
    (await database.db.query(`SELECT count(*)::int AS n FROM metric_samples WHERE instance_id = 'i-web-1'`)).rows[0]
      .n as number;

  it("refuses a batch without a token, with a token that is not one, or with another instance's token: 401, nothing stored", async () => {
    const missing = await api.post(good);
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error.code, 'unauthorized');
    assert.equal(missing.authenticate, 'Bearer');

    const garbage = await api.post(good, 'not-a-token');
    assert.equal(garbage.status, 401);
    assert.equal(garbage.body.error.code, 'invalid_token');
    assert.match(garbage.authenticate ?? '', /invalid_token/);

    const otherInstance = await api.post(good, agentToken(SECRET, 'i-web-2'));
    assert.equal(otherInstance.status, 403, "a genuine token, but another instance's");
    assert.match(otherInstance.body.error.message, /"i-web-2" may not push metrics for "i-web-1"/);

    const otherSecret = await api.post(good, agentToken('another-secret', 'i-web-1'));
    assert.equal(otherSecret.status, 401);

    assert.equal((await api.post(good, agentToken(SECRET, 'i-web-1'), 'Basic')).status, 401, 'only the Bearer scheme');
    assert.equal(await stored(), 0);
  });

  it("accepts a batch with its instance's token (202) and counts a retried batch as duplicates", async () => {
    const token = agentToken(SECRET, 'i-web-1');
    const first = await api.post(good, token);
    assert.equal(first.status, 202);
    assert.deepEqual(first.body, { accepted: 2, duplicates: 0 });
    const retry = await api.post(good, token, 'bearer');
    assert.equal(retry.status, 202);
    assert.deepEqual(retry.body, { accepted: 0, duplicates: 2 });
    assert.equal(await stored(), 2);
    const counts = await counted(api.metrics);
    assert.equal(counts.accepted, 2);
    assert.equal(counts.duplicate, 2);
    assert.equal(counts.unauthorized, 10, 'five refused batches of two samples');
  });

  it('answers 400 naming the field for malformed batches, never a 5xx, and stores nothing', async () => {
    const token = agentToken(SECRET, 'i-bad');
    const ok = sample(1, now, { requests: 5 });
    const cases: [unknown, RegExp][] = [
      [{ instanceId: 'i-bad', samples: [ok] }, /body\.resourceSetId/],
      [{ resourceSetId: 'rs', instanceId: 'i-bad' }, /body\.samples/],
      [{ resourceSetId: 'rs', instanceId: 'i-bad', samples: [] }, /body\.samples/],
      [{ resourceSetId: 'rs', instanceId: 'i-bad', samples: [ok], extra: 1 }, /body: .*extra/i],
      [batch('rs', 'i-bad', [ok, { ...ok, seq: 2, requests: -1 }]), /body\.samples\.1\.requests/],
      [batch('rs', 'i-bad', [{ ...ok, ts: 'yesterday' as unknown as number }]), /body\.samples\.0\.ts/],
      [batch('rs', 'i-bad', [{ ...ok, poolUtilization: 1.5 }]), /body\.samples\.0\.poolUtilization/],
      [batch('rs', 'i-bad', [{ ...ok, custom: { 'bad name': 1 } }]), /body\.samples\.0\.custom/],
      [batch('rs', 'i-bad', [{ ...ok, ts: now + 3_600_000 }]), /body\.samples\.0\.ts: .*future/],
      [batch('rs', 'i-bad', [{ ...ok, errors: 6 }]), /body\.samples\.0\.errors: must not exceed requests/],
      [batch('rs', 'i-bad', [{ ...ok, requests: 1e15 }]), /body\.samples\.0\.requests/],
      [batch('rs', 'i-bad', [{ ...ok, latencyP95Ms: 1e300 }]), /body\.samples\.0\.latencyP95Ms/],
      [
        batch(
          'rs',
          'i-bad',
          Array.from({ length: 1001 }, (_, i) => ({ ...ok, seq: i })),
        ),
        /body\.samples/,
      ],
      [[ok], /body/],
    ];
    for (const [body, field] of cases) {
      const res = await api.post(body, token);
      assert.equal(
        res.status,
        400,
        `${JSON.stringify(body).slice(0, 120)} → ${res.status} ${JSON.stringify(res.body)}`,
      );
      assert.equal(res.body.error.code, 'invalid_request');
      assert.match(res.body.error.message, field);
    }
    assert.deepEqual(api.unexpected, []);
    assert.equal(
      (await database.db.query(`SELECT count(*)::int AS n FROM metric_samples WHERE instance_id = 'i-bad'`)).rows[0].n,
      0,
    );
  });
});

describe('POST /v1/metrics with Postgres down', () => {
  it('fails with an error the API maps to 503 (so agents retry), not a crash', async () => {
    const db = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/none`);
    const api = await startApi(db);
    try {
      const res = await api.post(
        batch('rs', 'i-down', [sample(1, Date.now(), { requests: 1 })]),
        agentToken(SECRET, 'i-down'),
      );
      assert.equal(res.status, 500, 'this test app renders every non-HttpError as 500');
      assert.equal(api.unexpected.length, 1);
      assert.ok(
        isDatabaseUnavailable(api.unexpected[0]),
        `the API's mapping turns this into 503: ${String(api.unexpected[0])}`,
      );
    } finally {
      await api.close();
      await db.end();
    }
  });
});
