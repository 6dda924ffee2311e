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
export const templateBody = {
  instanceType: 'local.small',
  softwareVersion: 'v1',
  params: { poolSize: 2, cacheSize: 100, queueLimit: 32 },
};
/** An app that is not the sample service: settings in a YAML file, reloaded on SIGHUP. */
export const profileBody = {
  description: 'a shop',
  parameters: {
    workers: { type: 'integer', minimum: 1, maximum: 64, default: 4, description: 'worker processes' },
    mode: { type: 'string', enum: ['fast', 'safe'], default: 'safe' },
    verbose: { type: 'boolean', default: false, apply: 'restart' },
  },
  software: { pattern: 'ghcr\\.io/acme/shop:\\d+\\.\\d+' },
  healthCheck: { type: 'http', path: '/health', port: 8080 },
  config: {
    method: 'file',
    path: '/etc/shop/settings.yaml',
    format: 'yaml',
    reload: { signal: 'SIGHUP', pidFile: '/run/shop.pid' },
  },
};

/**
 * One fixture per route, by `METHOD path`. A route without one fails the authorisation matrix, so
 * a new route cannot go untested; routes that destroy their target get a fresh one each time.
 */
export function routeFixtures(
  api: TestApi,
  env: { sharedSet: string; sharedTemplate: string; agentInstance: string },
): Record<string, Fixture> {
  let seq = 0;
  const freshSet = async () => {
    const id = uniqueId('fresh');
    const created = await api.request('POST', '/v1/resource-sets', resourceSetBody(id));
    if (created.status !== 201) throw new Error(`could not create ${id}: ${created.status}`);
    return { id };
  };
  const freshKey = async () => ({ id: (await createApiKey(api.database.db, { role: 'viewer' }, 'fixture')).id });
  const freshTemplate = async () => {
    const name = uniqueId('retire');
    const created = await api.request('POST', `/v1/templates/${name}/versions`, templateBody);
    if (created.status !== 201) throw new Error(`could not create template ${name}: ${created.status}`);
    return { name, version: '1' };
  };
  const shippedProfile = () => Promise.resolve({ name: 'sample-service' });
  const template = (version?: number) => () =>
    Promise.resolve({ name: env.sharedTemplate, ...(version ? { version: String(version) } : {}) });
  return {
    'GET /healthz': {},
    'GET /readyz': {},
    'GET /metrics': {},
    'GET /v1/openapi.json': {},
    'GET /v1/overview': {},
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
    'POST /v1/metrics': {
      body: () => batch(env.sharedSet, env.agentInstance, [sample(++seq, Date.now() - 5_000, { requests: 1 })]),
    },
    'POST /v1/keys': { body: () => ({ role: 'viewer', name: 'made by a test' }) },
    'GET /v1/keys': {},
    'DELETE /v1/keys/:id': { params: freshKey },
    'POST /v1/keys/:id/rotate': { params: freshKey },
    'GET /v1/audit': {},
    'POST /v1/profiles/:name/versions': {
      params: () => Promise.resolve({ name: uniqueId('profile') }),
      body: () => profileBody,
    },
    'GET /v1/profiles': {},
    'GET /v1/profiles/:name/versions': { params: shippedProfile },
    'GET /v1/profiles/:name/versions/:version': {
      params: () => Promise.resolve({ name: 'sample-service', version: '1' }),
    },
    'GET /v1/profiles/:name/diff': { params: shippedProfile, query: '?from=1&to=1' },
    'POST /v1/templates/:name/versions': { params: template(), body: () => templateBody },
    'GET /v1/templates/:name/versions': { params: template() },
    'GET /v1/templates/:name/versions/:version': { params: template(1) },
    'DELETE /v1/templates/:name/versions/:version': { params: freshTemplate },
    'GET /v1/templates/:name/diff': { params: template(), query: '?from=1&to=1' },
    // A fresh set each time, so the shared one never has a rollout and the two below stay predictable.
    'PUT /v1/resource-sets/:id/template': {
      params: freshSet,
      body: () => ({ template: env.sharedTemplate, version: 1 }),
    },
    'POST /v1/resource-sets/:id/rollback': { allowed: { status: 409, code: 'nothing_to_roll_back' } },
    'POST /v1/resource-sets/:id/rollout/:action': {
      params: () => Promise.resolve({ id: env.sharedSet, action: 'pause' }),
      allowed: { status: 409, code: 'no_active_rollout' },
    },
    'GET /v1/resource-sets/:id/rollouts': {},
    // The same version twice: refused before any instance is touched, so the shared set stays as it is.
    'POST /v1/resource-sets/:id/experiments': {
      body: () => ({
        a: { template: env.sharedTemplate, version: 1 },
        b: { template: env.sharedTemplate, version: 1 },
        durationSeconds: 60,
      }),
      allowed: { status: 400, code: 'invalid_request' },
    },
    'GET /v1/resource-sets/:id/experiments': {},
    'GET /v1/resource-sets/:id/experiments/:expId': {
      params: () => Promise.resolve({ id: env.sharedSet, expId: 'experiment-none' }),
      allowed: { status: 404, code: 'not_found' },
    },
    'GET /v1/resource-sets/:id/recommendations': {},
    // Bounds outside the parameter's range: refused before any instance is touched.
    'POST /v1/resource-sets/:id/tuning': {
      body: () => ({ parameters: [{ name: 'poolSize', min: 0, max: 4 }], trials: 1 }),
      allowed: { status: 400, code: 'invalid_request' },
    },
    'GET /v1/resource-sets/:id/tuning': {},
    'GET /v1/resource-sets/:id/tuning/:sessionId': {
      params: () => Promise.resolve({ id: env.sharedSet, sessionId: 'tuning-none' }),
      allowed: { status: 404, code: 'not_found' },
    },
    'POST /v1/resource-sets/:id/recommendations/:rid/apply': {
      params: () => Promise.resolve({ id: env.sharedSet, rid: '2147483647' }),
      allowed: { status: 404, code: 'not_found' },
    },
    'POST /v1/resource-sets/:id/experiments/:expId/:action': {
      params: () => Promise.resolve({ id: env.sharedSet, expId: 'experiment-none', action: 'conclude' }),
      allowed: { status: 409, code: 'no_active_experiment' },
    },
    'GET /v1/resource-sets/:id/series': { query: '?hours=2' },
    'GET /v1/resource-sets/:id/instances': {},
    'GET /v1/resource-sets/:id/access': {},
    // The shared set has no two days of demand: the route says how much it needs.
    'GET /v1/resource-sets/:id/backtest': { allowed: { status: 422, code: 'history_too_short' } },
  };
}

/** Express path syntax filled in: /v1/resource-sets/:id → /v1/resource-sets/web. */
export const fillPath = (path: string, params: Record<string, string>): string =>
  path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? `missing-${name}`));
