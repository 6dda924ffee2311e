import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Decision } from '../../src/planner/decision.js';
import { resourceSetSpecSchema, workflowIdFor } from '../../src/domain/resource-set.js';
import { createApiKey } from '../../src/store/api-keys.js';
import { recordDecision } from '../../src/store/decisions.js';
import { insertResourceSet } from '../../src/store/resource-sets.js';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';

describe('resource sets, API keys and decisions page with opaque cursors (real Postgres)', () => {
  let api: TestApi;
  // Lists read the database only: rows are written straight to it, no loop runs.
  before(async () => {
    api = await startTestApi({ workers: false });
  });
  after(async () => {
    await api.close();
  });

  /** Every item of a list, following `next` with `limit` per page; asserts each cursor is opaque and URL-safe. */
  async function pages(path: string, limit: number): Promise<{ items: Record<string, unknown>[]; pages: number }> {
    const items: Record<string, unknown>[] = [];
    let n = 0;
    for (let cursor: string | undefined; ;) {
      const page = await api.request(
        'GET',
        `${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.ok(page.body.items.length <= limit);
      items.push(...(page.body.items as Record<string, unknown>[]));
      n++;
      cursor = page.body.next as string | undefined;
      if (!cursor) return { items, pages: n };
      assert.match(cursor, /^[\w-]+$/);
    }
  }
  const set = async (id: string) =>
    insertResourceSet(
      api.database.db,
      resourceSetSpecSchema.parse({ id, provider: 'local', minInstances: 0, maxInstances: 1 }),
      workflowIdFor(id),
    );

  it('resource sets: every one exactly once, ordered by id, whatever the page size', async () => {
    const prefix = uniqueId('page');
    for (const n of [5, 3, 9, 1, 7, 2, 8, 4, 6]) await set(`${prefix}-${n}`);
    const expected = (await pages('/v1/resource-sets', 500)).items.map((s) => s.id);
    for (const limit of [1, 2, 4, 9]) {
      const { items } = await pages('/v1/resource-sets', limit);
      assert.deepEqual(
        items.map((s) => s.id),
        expected,
        `limit ${limit}`,
      );
    }
    assert.deepEqual(
      expected.filter((id) => String(id).startsWith(prefix)),
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => `${prefix}-${n}`),
    );
    assert.deepEqual(expected, [...expected].sort());
  });

  it('API keys: every one exactly once, revoked ones only when asked for', async () => {
    for (let k = 0; k < 7; k++) await createApiKey(api.database.db, { role: 'viewer', name: `paged ${k}` }, 'test');
    const all = (await pages('/v1/keys?includeRevoked=true', 500)).items.map((k) => k.id);
    assert.equal(new Set(all).size, all.length);
    for (const limit of [1, 3, 4])
      assert.deepEqual(
        (await pages('/v1/keys?includeRevoked=true', limit)).items.map((k) => k.id),
        all,
        `limit ${limit}`,
      );
    assert.equal(all.length, 3 + 7, 'the three role keys and the seven made here');
    assert.equal(
      (await api.request('GET', `/v1/keys?after=${String(all[0])}`)).status,
      400,
      'the old after= is gone: unknown parameters are refused',
    );
  });

  it('decisions: newest first, every one exactly once, ties of time broken by iteration and loop', async () => {
    const id = uniqueId('decided');
    await set(id);
    const base = Date.parse('2026-12-01T00:00:00Z');
    const made: string[] = [];
    // Two loops of the set (a deleted and recreated set) deciding in the same seconds, and runs of equal times.
    for (const loopId of ['loop-a', 'loop-b']) {
      for (let iteration = 1; iteration <= 6; iteration++) {
        const decidedAt = new Date(base + Math.floor(iteration / 3) * 1000).toISOString();
        await recordDecision(api.database.db, decision(id, loopId, iteration, decidedAt));
        made.push(`${loopId}/${iteration}`);
      }
    }
    const key = (d: Record<string, unknown>) => `${String(d.loopId)}/${String(d.iteration)}`;
    const whole = (await pages(`/v1/resource-sets/${id}/decisions`, 500)).items;
    assert.equal(whole.length, made.length);
    const times = whole.map((d) => Date.parse(String(d.decidedAt)));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
      'newest first',
    );
    for (const limit of [1, 2, 5]) {
      const { items, pages: n } = await pages(`/v1/resource-sets/${id}/decisions`, limit);
      assert.deepEqual(items.map(key), whole.map(key), `limit ${limit}`);
      assert.ok(n >= made.length / limit);
    }
    assert.deepEqual([...whole.map(key)].sort(), [...made].sort(), 'none lost, none repeated');

    const forged = await api.request(
      'GET',
      `/v1/resource-sets/${id}/decisions?cursor=${Buffer.from('{"decidedAt":"yesterday"}').toString('base64url')}`,
    );
    assert.equal(forged.status, 400);
    assert.match(forged.body.error.message, /cursor/);
    assert.equal(
      (await api.request('GET', `/v1/resource-sets/${id}/decisions?before=2026-12-01T00:00:00Z`)).status,
      400,
      'the old before= is gone',
    );
  });
});

function decision(resourceSetId: string, loopId: string, iteration: number, decidedAt: string): Decision {
  return {
    resourceSetId,
    loopId,
    iteration,
    decidedAt,
    mode: 'forecast-only',
    paused: false,
    currentInstances: 1,
    readyInstances: 1,
    desiredInstances: 1,
    rule: 'reactive',
    reasons: ['paging test'],
    inputs: {
      loadPerReadyInstance: null,
      capacityPerInstance: 10,
      demandNow: null,
      predictive: null,
      reactive: 1,
      model: null,
      modelError: null,
    },
    forecast: null,
    actions: [],
  };
}
