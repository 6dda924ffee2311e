import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiRoutes } from '../../src/api/app.js';
import type { Route } from '../../src/api/route.js';
import { ROLES } from '../../src/auth/principal.js';
import { agentToken } from '../../src/domain/agent-token.js';
import { createApiKey } from '../../src/store/api-keys.js';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';
import { fillPath, resourceSetBody, routeFixtures, routeKey, templateBody, type Fixture } from './route-fixtures.js';

const CALLERS = ['none', 'bad key', 'viewer', 'operator', 'admin', 'agent', 'wrong-scope key', 'in-scope key'] as const;
type Caller = (typeof CALLERS)[number];

// The intended policy, written out independently of src/auth so that the two must agree.
const PUBLIC_ROUTES = ['GET /healthz', 'GET /readyz', 'GET /v1/openapi.json'];
const AGENT_ROUTES = ['POST /v1/metrics'];

/** What a caller must get; the scoped keys hold the admin role, so only their scope limits them. */
function expected(r: Route, caller: Caller): 'admitted' | 401 | 403 | 404 {
  if (r.role === 'public') return 'admitted';
  if (caller === 'none' || caller === 'bad key') return 401;
  if (r.role === 'agent') return caller === 'agent' ? 'admitted' : 403;
  if (caller === 'agent') return 403;
  if (caller === 'wrong-scope key') return r.resourceSetParam ? 404 : 403;
  if (caller === 'in-scope key') return r.resourceSetParam ? 'admitted' : 403;
  return ROLES.indexOf(caller) >= ROLES.indexOf(r.role) ? 'admitted' : 403;
}

describe('authorisation matrix: every route in the table × every kind of caller', () => {
  let api: TestApi;
  let routes: Route[];
  let fixtures: Record<string, Fixture>;
  const sharedSet = uniqueId('matrix');
  const sharedTemplate = uniqueId('matrix');
  const agentInstance = 'i-matrix-1';
  let wrongScopeKey: string;

  before(async () => {
    api = await startTestApi();
    assert.equal((await api.request('POST', '/v1/resource-sets', resourceSetBody(sharedSet))).status, 201);
    assert.equal((await api.request('POST', `/v1/templates/${sharedTemplate}/versions`, templateBody)).status, 201);
    routes = apiRoutes(api.ctx);
    fixtures = routeFixtures(api, { sharedSet, sharedTemplate, agentInstance });
    wrongScopeKey = (await createApiKey(api.database.db, { role: 'admin', scopes: [uniqueId('elsewhere')] }, 'test'))
      .key;
  });
  after(async () => {
    await api.close();
  });

  it('has a fixture for every route and no fixture without a route', () => {
    assert.deepEqual(
      Object.keys(fixtures).sort(),
      routes.map(routeKey).sort(),
      'a new route needs a fixture in test/api/route-fixtures.ts (and so a place in this matrix)',
    );
  });

  it('leaves open exactly the routes meant to be public, and only agents on the agent routes', () => {
    assert.deepEqual(
      routes
        .filter((r) => r.role === 'public')
        .map(routeKey)
        .sort(),
      [...PUBLIC_ROUTES].sort(),
    );
    assert.deepEqual(
      routes
        .filter((r) => r.role === 'agent')
        .map(routeKey)
        .sort(),
      AGENT_ROUTES,
    );
    for (const r of routes.filter((x) => x.path.includes(':id') && x.path.startsWith('/v1/resource-sets'))) {
      assert.equal(r.resourceSetParam, 'id', `${routeKey(r)} acts on one resource set, so scoped keys must be checked`);
    }
  });

  it('answers every route × caller as the policy says', async (t) => {
    const tokenFor = async (caller: Caller, r: Route, params: Record<string, string>): Promise<string | undefined> => {
      switch (caller) {
        case 'none':
          return undefined;
        case 'bad key':
          return `psk_${'0'.repeat(16)}_${'A'.repeat(43)}`;
        case 'agent':
          return agentToken(api.ctx.agentSecret, agentInstance);
        case 'wrong-scope key':
          return wrongScopeKey;
        case 'in-scope key': {
          const scope = r.resourceSetParam ? params[r.resourceSetParam]! : sharedSet;
          return (await createApiKey(api.database.db, { role: 'admin', scopes: [scope] }, 'test')).key;
        }
        default:
          return api.keys[caller];
      }
    };
    for (const r of routes) {
      await t.test(routeKey(r), async () => {
        const fixture = fixtures[routeKey(r)];
        assert.ok(fixture, `no fixture for ${routeKey(r)}`);
        for (const caller of CALLERS) {
          const params = fixture.params ? await fixture.params() : { id: sharedSet };
          const token = await tokenFor(caller, r, params);
          const res = await api.request(
            r.method.toUpperCase(),
            fillPath(r.path, params) + (fixture.query ?? ''),
            fixture.body?.(),
            { as: token ? { token } : 'none' },
          );
          const want = expected(r, caller);
          const what = `${routeKey(r)} as ${caller} → ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`;
          if (want === 'admitted') {
            if (fixture.allowed) {
              assert.equal(res.status, fixture.allowed.status, what);
              assert.equal(res.body.error.code, fixture.allowed.code, what);
            } else {
              assert.ok(res.status >= 200 && res.status < 300, what);
            }
            continue;
          }
          assert.equal(res.status, want, what);
          if (want === 401) assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer realm="prescale"/, what);
          if (want === 403) assert.equal(res.body.error.code, 'forbidden', what);
          // Indistinguishable from a set that does not exist.
          if (want === 404) assert.equal(res.body.error.code, 'not_found', what);
        }
      });
    }
  });
});
