import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { requestHash } from '../../src/api/idempotency.js';
import { parseApiKey } from '../../src/auth/api-key.js';
import { claimIdempotencyKey, storeIdempotentResponse } from '../../src/store/idempotency-keys.js';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';

describe('conditional and repeatable writes: If-Match on PATCH, Idempotency-Key on every write (real dev server, real Postgres)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  const create = async (): Promise<string> => {
    const id = uniqueId('cw');
    assert.equal(
      (await api.request('POST', '/v1/resource-sets', { id, provider: 'local', minInstances: 1, maxInstances: 10 }))
        .status,
      201,
    );
    return id;
  };
  const patch = (id: string, body: unknown, ifMatch?: string) =>
    api.request(
      'PATCH',
      `/v1/resource-sets/${id}/policy`,
      body,
      ifMatch === undefined ? {} : { headers: { 'if-match': ifMatch } },
    );

  it('PATCH with If-Match applies only while the ETag from GET is current; a stale or wrong one → 412, nothing changed', async () => {
    const id = await create();
    const got = await api.request('GET', `/v1/resource-sets/${id}`);
    const etag = got.headers.get('etag')!;
    assert.match(etag, /^"[0-9a-f]{16}"$/);
    assert.equal(
      (await api.request('GET', `/v1/resource-sets/${id}`)).headers.get('etag'),
      etag,
      'stable while the spec is',
    );

    const wrong = await patch(id, { maxInstances: 20 }, '"0000000000000000"');
    assert.equal(wrong.status, 412, JSON.stringify(wrong.body));
    assert.equal(wrong.body.error.code, 'precondition_failed');
    assert.match(wrong.body.error.message, /not the spec's current ETag/);
    assert.equal((await patch(id, { maxInstances: 20 }, `W/${etag}`)).status, 412, 'a weak tag never matches');
    const unchanged = await api.request('GET', `/v1/resource-sets/${id}`);
    assert.equal(unchanged.body.status.spec.maxInstances, 10);
    assert.equal(unchanged.headers.get('etag'), etag);

    const ok = await patch(id, { maxInstances: 20 }, `"other", ${etag}`);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.spec.maxInstances, 20);
    const next = ok.headers.get('etag')!;
    assert.notEqual(next, etag);
    assert.equal(
      (await api.request('GET', `/v1/resource-sets/${id}`)).headers.get('etag'),
      next,
      'the PATCH answers the ETag GET now gives',
    );
    const stale = await patch(id, { maxInstances: 30 }, etag);
    assert.equal(stale.status, 412, 'a second writer holding the old ETag loses');
    assert.equal((await patch(id, { maxInstances: 30 }, '*')).status, 200);
    assert.equal((await patch(id, { maxInstances: 40 })).status, 200, 'If-Match stays optional');
  });

  it('a repeat with the same Idempotency-Key and body gets the stored answer; another body → 422', async () => {
    const id = uniqueId('idem');
    const key = { headers: { 'idempotency-key': uniqueId('create') } };
    const spec = { id, provider: 'local', minInstances: 1, maxInstances: 4 };
    const first = await api.request('POST', '/v1/resource-sets', spec, key);
    assert.equal(first.status, 201);
    assert.equal(first.headers.get('idempotent-replayed'), null);
    const again = await api.request('POST', '/v1/resource-sets', spec, key);
    assert.equal(again.status, 201, 'the stored answer: without the key a repeat is answered 200 "already exists"');
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal((await api.request('POST', '/v1/resource-sets', spec)).status, 200);

    const other = await api.request('POST', '/v1/resource-sets', { ...spec, maxInstances: 5 }, key);
    assert.equal(other.status, 422);
    assert.equal(other.body.error.code, 'idempotency_key_reused');
    assert.match(other.body.error.message, /was used for this route with another body/);
    const elsewhere = await api.request('POST', `/v1/resource-sets/${id}/pause`, undefined, key);
    assert.equal(elsewhere.status, 422);
    assert.match(elsewhere.body.error.message, new RegExp(`was used for POST /v1/resource-sets; send a new key`));

    const bad = await api.request('POST', `/v1/resource-sets/${id}/pause`, undefined, {
      headers: { 'idempotency-key': 'has space' },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^Idempotency-Key: /);
  });

  it('keys are per caller, a failed write frees its key, and a key is kept 24 h', async () => {
    const id = await create();
    const key = uniqueId('scale');
    const scale = (count: number, as: 'operator' | 'admin' = 'operator') =>
      api.request(
        'POST',
        `/v1/resource-sets/${id}/scale`,
        { count, ttlSeconds: 60 },
        { as, headers: { 'idempotency-key': key } },
      );
    const refused = await scale(50);
    assert.equal(refused.status, 400, 'beyond maxInstances: the workflow refuses it');
    const ok = await scale(3);
    assert.equal(ok.status, 200, 'the failed request did not keep the key');
    assert.equal((await scale(3)).headers.get('idempotent-replayed'), 'true');
    const admin = await scale(4, 'admin');
    assert.equal(admin.status, 200, 'another caller with the same key is another request');
    assert.equal(admin.headers.get('idempotent-replayed'), null);

    await api.database.db.query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = $1", [
      key,
    ]);
    const later = await scale(5);
    assert.equal(later.status, 200, 'after 24 h the key is free for another body');
    assert.equal(later.body.count, 5);
  });

  it('a key whose request still runs is busy (409 from the API), unless its process died long ago', async () => {
    const db = api.database.db;
    const claim = { principal: 'key:test', key: uniqueId('k'), route: 'POST /v1/x', bodyHash: 'h1' };
    assert.deepEqual(await claimIdempotencyKey(db, claim), { outcome: 'claimed' });
    assert.deepEqual(await claimIdempotencyKey(db, claim), { outcome: 'in-flight' });
    assert.deepEqual(await claimIdempotencyKey(db, { ...claim, bodyHash: 'h2' }), {
      outcome: 'mismatch',
      route: 'POST /v1/x',
    });
    await db.query("UPDATE idempotency_keys SET created_at = now() - interval '6 minutes' WHERE key = $1", [claim.key]);
    assert.deepEqual(await claimIdempotencyKey(db, claim), { outcome: 'claimed' }, 'an abandoned claim is taken over');
    await storeIdempotentResponse(db, claim, 202, { body: { accepted: 'x' } });
    assert.deepEqual(await claimIdempotencyKey(db, claim), {
      outcome: 'replay',
      status: 202,
      response: { body: { accepted: 'x' } },
    });

    const id = await create();
    const running = {
      principal: `key:${parseApiKey(api.keys.operator)!.id}`,
      key: uniqueId('k'),
      route: `POST /v1/resource-sets/${id}/pause`,
      bodyHash: requestHash({}, undefined),
    };
    await claimIdempotencyKey(db, running);
    const busy = await api.request('POST', `/v1/resource-sets/${id}/pause`, undefined, {
      as: 'operator',
      headers: { 'idempotency-key': running.key },
    });
    assert.equal(busy.status, 409);
    assert.equal(busy.body.error.code, 'idempotency_key_in_flight');
    assert.equal(busy.headers.get('retry-after'), '1');
  });
});
