import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createApp } from '../../src/api/app.js';
import type { ApiSecurity } from '../../src/api/auth-config.js';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';
import { resourceSetBody } from './route-fixtures.js';

describe('HTTP edges: trust proxy, health checks unlimited, 405 and 415 (real Postgres, Temporal)', () => {
  let api: TestApi;
  const servers: Server[] = [];
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    await api.close();
  });

  /** Another app over the same database and Temporal, with its own security settings. */
  async function serve(
    security: Partial<ApiSecurity>,
  ): Promise<(path: string, headers?: Record<string, string>) => Promise<number>> {
    const server = createApp({
      ...api.ctx,
      metrics: new Registry(),
      security: { resourceSetWrites: { perSecond: 0, burst: 1 }, ...security },
    }).listen(0, '127.0.0.1');
    servers.push(server);
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return async (path, headers = {}) => (await fetch(url + path, { headers })).status;
  }
  const statuses = async (
    get: (path: string, headers?: Record<string, string>) => Promise<number>,
    n: number,
    path: string,
    headers?: Record<string, string>,
  ) => {
    const seen = [];
    for (let i = 0; i < n; i++) seen.push(await get(path, headers));
    return seen;
  };
  const limit = { rateLimit: { perSecond: 0.01, burst: 2 } };

  it('behind a trusted proxy, anonymous callers are limited per client address, not all as the proxy', async () => {
    const trusting = await serve({ ...limit, trustProxy: 1 });
    assert.deepEqual(
      await statuses(trusting, 3, '/v1/resource-sets', { 'x-forwarded-for': '203.0.113.1' }),
      [401, 401, 429],
    );
    assert.deepEqual(
      await statuses(trusting, 2, '/v1/resource-sets', { 'x-forwarded-for': '203.0.113.2' }),
      [401, 401],
      'another client has its own bucket',
    );

    const direct = await serve(limit);
    assert.deepEqual(await statuses(direct, 1, '/v1/resource-sets', { 'x-forwarded-for': '203.0.113.1' }), [401]);
    assert.deepEqual(
      await statuses(direct, 2, '/v1/resource-sets', { 'x-forwarded-for': '203.0.113.2' }),
      [401, 429],
      'untrusted, the header is ignored: one bucket for the address',
    );
  });

  it('health checks are never rate limited', async () => {
    const limited = await serve(limit);
    assert.deepEqual(await statuses(limited, 5, '/healthz'), [200, 200, 200, 200, 200]);
    const ready = await statuses(limited, 4, '/readyz');
    assert.ok(
      ready.every((s) => s === 200 || s === 503),
      `readyz: ${ready.join(', ')}`,
    );
    assert.deepEqual(await statuses(limited, 3, '/v1/openapi.json'), [200, 200, 429], 'other public routes still are');
  });

  it('a wrong method on a known path → 405 with Allow, in the error body; OPTIONS lists them; unknown paths stay 404', async () => {
    const res = await api.request('PUT', '/v1/keys', { role: 'viewer' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST, GET, HEAD');
    assert.equal(res.body.error.code, 'method_not_allowed');
    assert.match(res.body.error.requestId, /\S/);
    const patch = await api.request('PATCH', '/v1/resource-sets/some-set', { maxInstances: 2 }, { as: 'none' });
    assert.deepEqual(
      [patch.status, patch.headers.get('allow')],
      [405, 'GET, HEAD, DELETE'],
      'before any authentication: the path is public knowledge',
    );
    assert.equal((await api.request('DELETE', '/healthz')).status, 405);
    const options = await api.request('OPTIONS', '/v1/resource-sets/some-set/policy');
    assert.deepEqual([options.status, options.headers.get('allow')], [204, 'PATCH']);
    assert.equal((await api.request('PUT', '/v1/nothing-here')).status, 404);
  });

  it('a body not sent as JSON → 415 once the caller is admitted; JSON, and writes without a body, are unaffected', async () => {
    const id = uniqueId('media');
    const text = await api.request('POST', '/v1/resource-sets', JSON.stringify(resourceSetBody(id)), {
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(text.status, 415);
    assert.equal(text.body.error.code, 'unsupported_media_type');
    assert.match(text.body.error.message, /^body: must be JSON.*"text\/plain"/);
    const form = await api.request('PATCH', `/v1/resource-sets/${id}/policy`, 'maxInstances=3', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    const bare = await fetch(`${api.url}/v1/keys`, {
      method: 'POST',
      body: new Uint8Array(Buffer.from('{"role":"viewer"}')),
      headers: { authorization: `Bearer ${api.keys.admin}` },
    });
    assert.equal(bare.status, 415, 'no content type at all');
    assert.equal(
      (
        await api.request(
          'POST',
          '/v1/keys',
          { role: 'viewer' },
          { as: 'viewer', headers: { 'content-type': 'text/plain' } },
        )
      ).status,
      403,
      'roles first',
    );

    assert.equal((await api.request('POST', '/v1/resource-sets', resourceSetBody(id))).status, 201);
    assert.equal(
      (await api.request('POST', `/v1/resource-sets/${id}/pause`, undefined, { as: 'operator' })).status,
      202,
      'a write that takes no body',
    );
    const noBody = await api.request('POST', '/v1/keys');
    assert.deepEqual(
      [noBody.status, noBody.body.error.code],
      [400, 'invalid_request'],
      "no body at all is the schema's business",
    );
  });

  it('the OpenAPI document names 415 on every route with a body and says what a wrong method answers', async () => {
    const doc = (await api.request('GET', '/v1/openapi.json', undefined, { as: 'none' })).body;
    assert.ok(doc.paths['/v1/keys'].post.responses['415']);
    assert.ok(doc.paths['/v1/resource-sets/{id}/policy'].patch.responses['415']);
    assert.equal(doc.paths['/v1/keys'].get.responses['415'], undefined);
    assert.match(doc.info.description, /405 method_not_allowed/);
    assert.ok(doc.components.responses.MethodNotAllowed.headers.Allow);
  });
});
