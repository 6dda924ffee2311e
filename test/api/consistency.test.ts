import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { recordDecision } from '../../src/store/decisions.js';
import { recordSnapshot, type ProgressTable } from '../../src/store/progress-snapshots.js';
import { recordRollout } from '../../src/store/rollouts.js';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';
import { resourceSetBody, templateBody } from './route-fixtures.js';

const ISO_MS_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const LOOKS_LIKE_A_TIME = /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d/;
const NAMES_A_TIME = /(At|^at|^since|^until|^start|^t)$/;

/** Every place in `value` that writes an instant another way than ISO 8601 UTC with milliseconds. */
function strayInstants(value: unknown, where = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => strayInstants(v, `${where}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => strayInstants(v, `${where}.${k}`));
  const key = where
    .replace(/\[\d+\]$/, '')
    .split('.')
    .at(-1)!;
  if (typeof value === 'string' && LOOKS_LIKE_A_TIME.test(value) && !ISO_MS_UTC.test(value))
    return [`${where}: ${value}`];
  if (typeof value === 'number' && NAMES_A_TIME.test(key)) return [`${where}: ${value} (a number)`];
  return [];
}

describe('API consistency: one instant format, cursors on every child list, key rotation with an overlap (real Postgres, Temporal)', () => {
  let api: TestApi;
  let set: string;
  before(async () => {
    api = await startTestApi();
    set = uniqueId('consistent');
    assert.equal((await api.request('POST', '/v1/resource-sets', resourceSetBody(set))).status, 201);
  });
  after(async () => {
    await api.close();
  });

  const get = async (path: string) => {
    const res = await api.request('GET', path);
    assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
    return res.body as Record<string, any>;
  };

  it('every instant in the answers is ISO 8601 UTC with milliseconds, and the OpenAPI document says so', async () => {
    const now = Math.floor(Date.now() / 1000);
    await recordDecision(api.database.db, {
      resourceSetId: set,
      loopId: 'consistency',
      iteration: 1,
      decidedAt: new Date(now * 1000).toISOString(),
      mode: 'forecast-and-scale',
      paused: false,
      currentInstances: 1,
      readyInstances: 1,
      desiredInstances: 1,
      rule: 'predictive',
      reasons: ['test'],
      inputs: {
        loadPerReadyInstance: 1,
        capacityPerInstance: 10,
        demandNow: 1,
        predictive: 1,
        reactive: 1,
        model: 'seasonal-naive',
        modelError: null,
      },
      forecast: {
        model: 'seasonal-naive',
        start: now,
        stepSeconds: 60,
        point: [1],
        quantiles: { p50: [1], p90: [1], p95: [1], p99: [1] },
      },
      actions: [],
    });
    assert.equal(
      (await api.request('POST', `/v1/resource-sets/${set}/scale`, { count: 1, ttlSeconds: 60 })).status,
      200,
    );
    const template = uniqueId('tpl');
    assert.equal((await api.request('POST', `/v1/templates/${template}/versions`, templateBody)).status, 201);
    const forecast = await get(`/v1/resource-sets/${set}/forecast`);
    assert.equal(forecast.start, new Date(now * 1000).toISOString());
    const answers = {
      set: await get(`/v1/resource-sets/${set}`),
      sets: await get('/v1/resource-sets'),
      decisions: await get(`/v1/resource-sets/${set}/decisions`),
      forecast,
      series: await get(`/v1/resource-sets/${set}/series`),
      keys: await get('/v1/keys'),
      audit: await get('/v1/audit'),
      templates: await get(`/v1/templates/${template}/versions`),
    };
    assert.ok(answers.set.status.override.expiresAt, 'the override is shown');
    assert.ok(answers.series.t.length > 0);
    assert.deepEqual(strayInstants(answers), []);

    const doc = await get('/v1/openapi.json');
    const key = doc.paths['/v1/keys'].get.responses['200'].content['application/json'].schema.properties.items.items;
    assert.deepEqual(
      [key.properties.createdAt.format, key.properties.createdAt.description],
      ['date-time', 'ISO 8601 in UTC to the millisecond, e.g. 2026-12-07T16:12:52.000Z'],
    );
    assert.doesNotMatch(JSON.stringify(doc), /\+00:00|epoch/i);
  });

  const lists: [ProgressTable, string][] = [
    ['rollouts', 'rollouts'],
    ['experiments', 'experiments'],
    ['tuning_sessions', 'tuning'],
  ];
  for (const [table, path] of lists) {
    it(`GET …/${path} pages newest first with an opaque cursor, bounds limit, and names cursor when it is not one of ours`, async () => {
      const base = Date.parse('2026-01-01T00:00:00.000Z');
      // Two share a start: the id breaks the tie, so neither is lost between pages.
      const starts = [0, 1, 1, 2, 3, 4, 5].map((m) => new Date(base + m * 60_000).toISOString());
      const ids = starts.map((_, i) => `${path}-${set}-${i}`);
      for (const [i, id] of ids.entries()) {
        const snapshot = {
          id,
          resourceSetId: set,
          status: 'done',
          seq: 1,
          startedAt: starts[i]!,
          progress: { id, startedAt: starts[i] },
        };
        await (table === 'rollouts'
          ? recordRollout(api.database.db, { ...snapshot, kind: 'rollout' })
          : recordSnapshot(api.database.db, table, snapshot));
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await get(`/v1/resource-sets/${set}/${path}?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        assert.ok(page.items.length <= 3);
        seen.push(...(page.items as { id: string }[]).map((i) => i.id));
        cursor = page.next;
        if (cursor) assert.match(cursor, /^[\w-]+$/, 'URL-safe');
      } while (cursor);
      assert.deepEqual(
        seen,
        [...ids].sort((a, b) => starts[ids.indexOf(b)]!.localeCompare(starts[ids.indexOf(a)]!) || b.localeCompare(a)),
      );

      for (const bad of [
        'not-ours',
        Buffer.from('{"startedAt":"yesterday","id":"x"}').toString('base64url'),
        'a%2Fb',
      ]) {
        const res = await api.request('GET', `/v1/resource-sets/${set}/${path}?cursor=${bad}`);
        assert.equal(res.status, 400, bad);
        assert.match(res.body.error.message, /^query\.cursor: /);
      }
      assert.equal(
        (await api.request('GET', `/v1/resource-sets/${set}/${path}?limit=101`)).status,
        400,
        'limit is bounded',
      );
    });
  }

  it('rotating a key with an overlap: both work until the stated time, then the old one does not; audited; DELETE ends the overlap', async () => {
    const made = (await api.request('POST', '/v1/keys', { role: 'viewer', name: 'rotating' })).body;
    const asOld = { as: { token: made.key as string } };
    const rotated = await api.request('POST', `/v1/keys/${made.id}/rotate`, { overlapSeconds: 2 });
    assert.equal(rotated.status, 201);
    assert.equal(rotated.body.replaces.id, made.id);
    const ends = Date.parse(rotated.body.replaces.revokedAt);
    assert.match(rotated.body.replaces.revokedAt, ISO_MS_UTC);
    assert.ok(Math.abs(ends - (Date.now() + 2_000)) < 1_500, rotated.body.replaces.revokedAt);
    const asNew = { as: { token: rotated.body.key as string } };
    assert.equal(
      (await api.request('GET', '/v1/resource-sets', undefined, asOld)).status,
      200,
      'the old key works during the overlap',
    );
    assert.equal((await api.request('GET', '/v1/resource-sets', undefined, asNew)).status, 200);
    const listed = ((await get('/v1/keys?limit=500')).items as { id: string; revokedAt: string }[]).find(
      (k) => k.id === made.id,
    );
    assert.equal(listed?.revokedAt, rotated.body.replaces.revokedAt, 'listed as active, with the time it stops');

    await new Promise((r) => setTimeout(r, Math.max(0, ends - Date.now()) + 200));
    assert.equal((await api.request('GET', '/v1/resource-sets', undefined, asOld)).status, 401, 'not after it');
    assert.equal((await api.request('GET', '/v1/resource-sets', undefined, asNew)).status, 200);
    assert.equal(
      (await api.request('POST', `/v1/keys/${made.id}/rotate`, {})).status,
      409,
      'an expired key is not rotated',
    );

    const audited = (await get(`/v1/audit?action=${encodeURIComponent('POST /v1/keys/:id/rotate')}`)).items as {
      target: string;
      status: number;
      change: { after: { replaces: unknown } };
    }[];
    const entry = audited.find((e) => e.target === made.id && e.status === 201);
    assert.deepEqual(entry?.change.after.replaces, rotated.body.replaces);

    const second = (await api.request('POST', `/v1/keys/${rotated.body.id}/rotate`, { overlapSeconds: 3600 })).body;
    assert.equal((await api.request('DELETE', `/v1/keys/${rotated.body.id}`)).status, 200);
    assert.equal(
      (await api.request('GET', '/v1/resource-sets', undefined, asNew)).status,
      401,
      'revoking ends the overlap at once',
    );
    assert.equal((await api.request('GET', '/v1/resource-sets', undefined, { as: { token: second.key } })).status, 200);
    assert.equal(
      (await api.request('POST', `/v1/keys/${second.id}/rotate`, { overlapSeconds: 31 * 86_400 })).status,
      400,
      'the overlap is bounded',
    );
  });
});
