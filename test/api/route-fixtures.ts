import { createApiKey } from '../../src/store/api-keys.js';
import { batch, sample } from '../metrics/samples.js';
import { uniqueId, type TestApi } from '../support/api.js';

/** A request each route accepts from a caller it admits. */
export interface Fixture {
  /** Path parameters; default: the shared resource set as `id`. */
  params?: () => Promise<Record<string, string>>;
  body?: () => unknown;
  /** A query string, `?` included. */
  query?: string;
  /** What an admitted caller gets when it is not a 2xx (e.g. a fresh set has no forecast yet). */
  allowed?: { status: number; code: string };
}

export const routeKey = (r: { method: string; path: string }): string => `${r.method.toUpperCase()} ${r.path}`;

export const resourceSetBody = (id: string) => ({ id, provider: 'local', minInstances: 1, maxInstances: 10 });
export const templateBody = { instanceType: 'local.small', softwareVersion: 'v1', params: { poolSize: 2, cacheSize: 100, queueLimit: 32 } };

/**
 * One fixture per route, by `METHOD path`. A route without one fails the authorisation matrix, so
 * a new route cannot go untested; routes that destroy their target get a fresh one each time.
 */
export function routeFixtures(api: TestApi, env: { sharedSet: string; sharedTemplate: string; agentInstance: string }): Record<string, Fixture> {
  let seq = 0;
  const freshSet = async () => {
    const id = uniqueId('fresh');
    const created = await api.request('POST', '/v1/resource-sets', resourceSetBody(id));
    if (created.status !== 201) throw new Error(`could not create ${id}: ${created.status}`);
    return { id };
  };
  const freshKey = async () => ({ id: (await createApiKey(api.database.db, { role: 'viewer' }, 'fixture')).id });
  const template = (version?: number) => () => Promise.resolve({ name: env.sharedTemplate, ...(version ? { version: String(version) } : {}) });
  return {
    'GET /healthz': {},
    'GET /readyz': {},
    'GET /metrics': {},
    'GET /v1/openapi.json': {},
    'POST /v1/resource-sets': { body: () => resourceSetBody(uniqueId('made')) },
    'GET /v1/resource-sets': {},
    'GET /v1/resource-sets/:id': {},
    'POST /v1/resource-sets/:id/pause': {},
    'POST /v1/resource-sets/:id/resume': {},
    'PATCH /v1/resource-sets/:id/policy': { body: () => ({ maxInstances: 8 }) },
    'POST /v1/resource-sets/:id/scale': { body: () => ({ count: 2, ttlSeconds: 60 }) },
    'DELETE /v1/resource-sets/:id': { params: freshSet },
    'GET /v1/resource-sets/:id/decisions': {},
    'GET /v1/resource-sets/:id/forecast': { allowed: { status: 404, code: 'no_forecast' } },
    'POST /v1/metrics': { body: () => batch(env.sharedSet, env.agentInstance, [sample(++seq, Date.now() - 5_000, { requests: 1 })]) },
    'POST /v1/keys': { body: () => ({ role: 'viewer', name: 'made by a test' }) },
    'GET /v1/keys': {},
    'DELETE /v1/keys/:id': { params: freshKey },
    'POST /v1/keys/:id/rotate': { params: freshKey },
    'GET /v1/audit': {},
    'POST /v1/templates/:name/versions': { params: template(), body: () => templateBody },
    'GET /v1/templates/:name/versions': { params: template() },
    'GET /v1/templates/:name/versions/:version': { params: template(1) },
    'GET /v1/templates/:name/diff': { params: template(), query: '?from=1&to=1' },
    // A fresh set each time, so the shared one never has a rollout and the two below stay predictable.
    'PUT /v1/resource-sets/:id/template': { params: freshSet, body: () => ({ template: env.sharedTemplate, version: 1 }) },
    'POST /v1/resource-sets/:id/rollback': { allowed: { status: 409, code: 'nothing_to_roll_back' } },
    'POST /v1/resource-sets/:id/rollout/:action': {
      params: () => Promise.resolve({ id: env.sharedSet, action: 'pause' }), allowed: { status: 409, code: 'no_active_rollout' },
    },
    'GET /v1/resource-sets/:id/rollouts': {},
  };
}

/** Express path syntax filled in: /v1/resource-sets/:id → /v1/resource-sets/web. */
export const fillPath = (path: string, params: Record<string, string>): string =>
  path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? `missing-${name}`));
