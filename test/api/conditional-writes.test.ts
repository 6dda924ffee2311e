import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';

describe('conditional writes: If-Match on PATCH (real dev server, real Postgres)', () => {
  let api: TestApi;
  before(async () => { api = await startTestApi(); });
  after(async () => { await api.close(); });

  const create = async (): Promise<string> => {
    const id = uniqueId('cw');
    assert.equal((await api.request('POST', '/v1/resource-sets', { id, provider: 'local', minInstances: 1, maxInstances: 10 })).status, 201);
    return id;
  };
  const patch = (id: string, body: unknown, ifMatch?: string) =>
    api.request('PATCH', `/v1/resource-sets/${id}/policy`, body, ifMatch === undefined ? {} : { headers: { 'if-match': ifMatch } });

  it('PATCH with If-Match applies only while the ETag from GET is current; a stale or wrong one → 412, nothing changed', async () => {
    const id = await create();
    const got = await api.request('GET', `/v1/resource-sets/${id}`);
    const etag = got.headers.get('etag')!;
    assert.match(etag, /^"[0-9a-f]{16}"$/);
    assert.equal((await api.request('GET', `/v1/resource-sets/${id}`)).headers.get('etag'), etag, 'stable while the spec is');

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
    assert.equal((await api.request('GET', `/v1/resource-sets/${id}`)).headers.get('etag'), next, 'the PATCH answers the ETag GET now gives');
    const stale = await patch(id, { maxInstances: 30 }, etag);
    assert.equal(stale.status, 412, 'a second writer holding the old ETag loses');
    assert.equal((await patch(id, { maxInstances: 30 }, '*')).status, 200);
    assert.equal((await patch(id, { maxInstances: 40 })).status, 200, 'If-Match stays optional');
  });
});
