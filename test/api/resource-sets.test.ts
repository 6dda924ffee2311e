import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';
import { waitFor } from '../support/wait.js';

describe('resource sets API → Temporal → query/signal (real dev server, real Postgres)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  const body = (id: string) => ({ id, provider: 'local', minInstances: 1, maxInstances: 10 });

  it('creates a resource set and starts its workflow, idempotently', async () => {
    const id = uniqueId('web');
    const created = await api.request('POST', '/v1/resource-sets', body(id));
    assert.equal(created.status, 201);
    assert.equal(created.body.workflowId, `resource-set-${id}`);
    assert.equal(created.body.spec.policy.targetUtilization, 0.7, 'defaults are filled in');
    assert.match(created.body.temporalUiUrl, new RegExp(`/workflows/resource-set-${id}$`));

    const again = await api.request('POST', '/v1/resource-sets', body(id));
    assert.equal(again.status, 200);
    assert.equal(again.body.createdAt, created.body.createdAt);

    // Writing a default explicitly means the same spec.
    const explicit = await api.request('POST', '/v1/resource-sets', {
      ...body(id),
      policy: { targetUtilization: 0.7 },
    });
    assert.equal(explicit.status, 200);

    const different = await api.request('POST', '/v1/resource-sets', { ...body(id), maxInstances: 11 });
    assert.equal(different.status, 409);
    assert.equal(different.body.error.code, 'conflict');

    const description = await api.ctx.temporal.client.workflow.getHandle(`resource-set-${id}`).describe();
    assert.equal(description.status.name, 'RUNNING');
    assert.equal(description.typedSearchAttributes.getAll().find((p) => p.key.name === 'ResourceSetId')?.value, id);
  });

  it('answers GET from the workflow query, and pause/resume change its state', async () => {
    const id = uniqueId('api');
    assert.equal((await api.request('POST', '/v1/resource-sets', body(id))).status, 201);
    const got = await api.request('GET', `/v1/resource-sets/${id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.status.state, 'running');
    assert.equal(got.body.status.spec.maxInstances, 10);

    assert.equal((await api.request('POST', `/v1/resource-sets/${id}/pause`)).status, 202);
    assert.equal((await api.request('GET', `/v1/resource-sets/${id}`)).body.status.state, 'paused');
    const handle = api.ctx.temporal.client.workflow.getHandle(`resource-set-${id}`);
    await waitFor(
      'the ResourceSetState search attribute to say paused',
      async () =>
        (await handle.describe()).typedSearchAttributes.getAll().find((p) => p.key.name === 'ResourceSetState')
          ?.value === 'paused',
      10_000,
      200,
    );

    assert.equal((await api.request('POST', `/v1/resource-sets/${id}/resume`)).status, 202);
    assert.equal((await api.request('GET', `/v1/resource-sets/${id}`)).body.status.state, 'running');
  });

  it('lists resource sets in pages ordered by id', async () => {
    const prefix = uniqueId('list');
    for (const n of [3, 1, 2])
      assert.equal((await api.request('POST', '/v1/resource-sets', body(`${prefix}-${n}`))).status, 201);
    const first = await api.request('GET', '/v1/resource-sets?limit=2');
    assert.equal(first.status, 200);
    assert.equal(first.body.items.length, 2);
    const all: string[] = [];
    for (let cursor: string | undefined; ;) {
      const page = await api.request('GET', `/v1/resource-sets?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...(page.body.items as { id: string }[]).map((i) => i.id));
      cursor = page.body.next;
      if (!cursor) break;
    }
    assert.deepEqual(
      all.filter((i) => i.startsWith(prefix)),
      [1, 2, 3].map((n) => `${prefix}-${n}`),
    );
    assert.deepEqual(all, [...all].sort());
  });

  it('rejects bad input with 400 naming the field, unknown ids with 404', async () => {
    const badJson = await api.request('POST', '/v1/resource-sets', '{"id": "x",');
    assert.equal(badJson.status, 400);
    assert.equal(badJson.body.error.code, 'invalid_json');

    const wrongType = await api.request('POST', '/v1/resource-sets', { ...body('typed'), minInstances: 'one' });
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.body.error.message, /body\.minInstances: /);

    const minOverMax = await api.request('POST', '/v1/resource-sets', {
      ...body('range'),
      minInstances: 5,
      maxInstances: 2,
    });
    assert.equal(minOverMax.status, 400);
    assert.match(minOverMax.body.error.message, /body\.maxInstances: must be at least minInstances/);

    const unknownField = await api.request('POST', '/v1/resource-sets', { ...body('extra'), colour: 'red' });
    assert.equal(unknownField.status, 400);
    assert.match(unknownField.body.error.message, /colour/);

    const badId = await api.request('POST', '/v1/resource-sets', body('../etc'));
    assert.equal(badId.status, 400);
    assert.match(badId.body.error.message, /body\.id: /);

    const { rows } = await api.database.db.query(
      "SELECT count(*)::int AS n FROM resource_sets WHERE id IN ('typed','range','extra')",
    );
    assert.equal(rows[0].n, 0, 'nothing was written');

    for (const [method, p] of [
      ['GET', '/v1/resource-sets/ghost'],
      ['POST', '/v1/resource-sets/ghost/pause'],
      ['POST', '/v1/resource-sets/ghost/resume'],
    ] as const) {
      const res = await api.request(method, p);
      assert.equal(res.status, 404, `${method} ${p}`);
      assert.ok(res.body.error.requestId);
    }
    assert.equal((await api.request('GET', '/v1/resource-sets/NOT_AN_ID')).status, 400);
    assert.equal((await api.request('GET', '/v1/nowhere')).status, 404);
  });

  it('rejects a set its provider cannot run with 400 naming the field, and starts no loop for it', async () => {
    const id = uniqueId('broken');
    const noGroup = await api.request('POST', '/v1/resource-sets', { ...body(id), provider: 'aws' });
    assert.equal(noGroup.status, 400);
    assert.match(noGroup.body.error.message, /^body\.providerRef: required with provider "aws"/);
    const unknownLocal = await api.request('POST', '/v1/resource-sets', { ...body(id), instanceType: 'local.huge' });
    assert.equal(unknownLocal.status, 400);
    assert.match(
      unknownLocal.body.error.message,
      /^body\.instanceType: "local\.huge" is not an instance type of provider "local" \(known: local\.small, local\.medium, local\.large\)/,
    );
    const unknownAws = await api.request('POST', '/v1/resource-sets', {
      ...body(id),
      provider: 'aws',
      providerRef: 'web-asg',
      instanceType: 'm7g.lage',
    });
    assert.equal(unknownAws.status, 400);
    assert.match(
      unknownAws.body.error.message,
      /^body\.instanceType: "m7g\.lage" is not an instance type of provider "aws"/,
    );
    const wrongCloud = await api.request('POST', '/v1/resource-sets', {
      ...body(id),
      provider: 'aws',
      providerRef: 'web-asg',
      instanceType: 'local.small',
    });
    assert.equal(wrongCloud.status, 400);
    assert.equal(
      await api.database.db.query('SELECT 1 FROM resource_sets WHERE id = $1', [id]).then((r) => r.rowCount),
      0,
      'nothing was written',
    );

    const fine = await api.request('POST', '/v1/resource-sets', {
      ...body(id),
      provider: 'aws',
      providerRef: 'web-asg',
      instanceType: 'm7g.large',
      policy: { mode: 'forecast-only' },
    });
    assert.equal(fine.status, 201, JSON.stringify(fine.body));
    assert.equal(
      (
        await api.request('POST', '/v1/resource-sets', {
          ...body(uniqueId('dflt')),
          provider: 'aws',
          providerRef: 'web-asg',
        })
      ).status,
      201,
      "'default': the group's launch template",
    );
    assert.equal(
      (await api.request('POST', '/v1/resource-sets', { ...body(uniqueId('med')), instanceType: 'local.medium' }))
        .status,
      201,
    );
  });

  it('serves health, readiness, metrics and an OpenAPI document generated from the routes', async () => {
    assert.equal((await api.request('GET', '/healthz')).status, 200);
    const ready = await api.request('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(Object.keys(ready.body.checks).sort(), ['objectStorage', 'postgres', 'temporal']);
    const metrics = await api.request('GET', '/metrics', undefined, { as: 'viewer' });
    assert.match(metrics.body, /prescale_http_request_duration_seconds/);
    const doc = await api.request('GET', '/v1/openapi.json');
    assert.equal(doc.body.openapi, '3.0.3');
    assert.ok(doc.body.paths['/v1/resource-sets/{id}/pause'].post);
    assert.ok(doc.body.paths['/v1/resource-sets'].post.requestBody);
    assert.match(
      doc.body.paths['/v1/resource-sets/{id}/policy'].patch.responses['503'].description,
      /temporal_timeout/,
      'shedding and timeouts are documented',
    );
  });
});

describe('resource set policy, overrides and deletion (real dev server, real Postgres)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });
  const create = async (id: string) =>
    assert.equal(
      (await api.request('POST', '/v1/resource-sets', { id, provider: 'local', minInstances: 1, maxInstances: 10 }))
        .status,
      201,
    );

  it('PATCH policy: applies a valid change, rejects min > max and unknown fields with nothing changed', async () => {
    const id = uniqueId('policy');
    await create(id);
    // No local cloud runs here, so the loop's fleet reads keep failing: they retry on workflow
    // timers, and the update is answered within the API's deadline on Temporal (10 s) regardless.
    const ok = await api.request('PATCH', `/v1/resource-sets/${id}/policy`, {
      maxInstances: 20,
      targetUtilization: 0.6,
      mode: 'forecast-only',
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.spec.maxInstances, 20);
    assert.equal(ok.body.spec.policy.targetUtilization, 0.6);
    const state = await api.request('GET', `/v1/resource-sets/${id}`);
    assert.equal(state.body.status.spec.policy.mode, 'forecast-only');
    assert.equal(state.body.spec.maxInstances, 20, 'the stored spec follows');

    const bad = await api.request('PATCH', `/v1/resource-sets/${id}/policy`, { minInstances: 30 });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /maxInstances: must be at least minInstances/);
    const unknown = await api.request('PATCH', `/v1/resource-sets/${id}/policy`, { colour: 'red' });
    assert.equal(unknown.status, 400);
    const after = await api.request('GET', `/v1/resource-sets/${id}`);
    assert.equal(after.body.status.spec.minInstances, 1, 'nothing changed');
    assert.equal(after.body.spec.minInstances, 1);
  });

  it('scale: pins a count within bounds until it expires; out of range → 400', async () => {
    const id = uniqueId('scale');
    await create(id);
    const pinned = await api.request('POST', `/v1/resource-sets/${id}/scale`, { count: 4, ttlSeconds: 600 });
    assert.equal(pinned.status, 200);
    assert.equal(pinned.body.count, 4);
    assert.equal((await api.request('GET', `/v1/resource-sets/${id}`)).body.status.override.count, 4);
    const tooMany = await api.request('POST', `/v1/resource-sets/${id}/scale`, { count: 11, ttlSeconds: 60 });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.error.message, /count: must be an integer within minInstances..maxInstances/);
    assert.equal((await api.request('POST', `/v1/resource-sets/${id}/scale`, { count: 2 })).status, 400);
  });

  it('DELETE stops the loop and forgets the set; the id can be used again', async () => {
    const id = uniqueId('gone');
    await create(id);
    assert.equal((await api.request('DELETE', `/v1/resource-sets/${id}`)).status, 202);
    assert.equal((await api.request('GET', `/v1/resource-sets/${id}`)).status, 404);
    const handle = api.ctx.temporal.client.workflow.getHandle(`resource-set-${id}`);
    await handle.result();
    assert.equal((await handle.describe()).status.name, 'COMPLETED');
    await create(id);
    assert.equal((await api.request('DELETE', `/v1/resource-sets/${id}?deprovision=maybe`)).status, 400);
  });

  it('decisions and forecast of an unknown set → 404; of a fresh set → empty page, no forecast yet', async () => {
    assert.equal((await api.request('GET', '/v1/resource-sets/nobody/decisions')).status, 404);
    const id = uniqueId('fresh');
    await create(id);
    const page = await api.request('GET', `/v1/resource-sets/${id}/decisions?limit=5`);
    assert.equal(page.status, 200);
    assert.ok(Array.isArray(page.body.items));
    assert.equal((await api.request('GET', `/v1/resource-sets/${id}/forecast`)).status, 404);
    assert.equal((await api.request('GET', `/v1/resource-sets/${id}/decisions?limit=0`)).status, 400);
  });
});
