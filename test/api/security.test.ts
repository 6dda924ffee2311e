import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import http, { type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createApp } from '../../src/api/app.js';
import type { ApiSecurity } from '../../src/api/auth-config.js';
import type { OidcOptions } from '../../src/auth/oidc.js';
import { agentToken } from '../../src/domain/agent-token.js';
import { ensureFirstAdminKey } from '../../src/store/api-keys.js';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';
import { createTestDatabase } from '../support/db.js';
import { freePort } from '../support/ports.js';
import { resourceSetBody } from './route-fixtures.js';

const run = promisify(execFile);
/** psk_<id>_<secret>; the secret may itself hold underscores. */
const secretOf = (key: string): string => key.slice('psk_'.length + 17);
type SigningKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
const BIN = new URL('../../bin/prescale.js', import.meta.url).pathname;

async function waitFor<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('API security: keys, audit, rate limits, OIDC, headers, logs (real Postgres, Temporal)', () => {
  let api: TestApi;
  const servers: Server[] = [];
  const sharedSet = uniqueId('sec');

  /** Another app over the same database and Temporal, with its own security settings, metrics and logs. */
  async function serve(security: Partial<ApiSecurity>, logLines?: string[]) {
    const metrics = new Registry();
    const logger = logLines
      ? pino(
          { level: 'debug' },
          {
            write: (line: string) => {
              logLines.push(line);
            },
          },
        )
      : api.ctx.logger;
    const server = createApp({
      ...api.ctx,
      metrics,
      logger,
      security: { rateLimit: { perSecond: 0, burst: 1 }, resourceSetWrites: { perSecond: 0, burst: 1 }, ...security },
    }).listen(0, '127.0.0.1');
    servers.push(server);
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return {
      url,
      metrics,
      async get(path: string, token?: string, headers: Record<string, string> = {}) {
        const res = await fetch(url + path, {
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        });
        const text = await res.text();
        return {
          status: res.status,
          headers: res.headers,
          body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
        };
      },
    };
  }

  before(async () => {
    api = await startTestApi();
    assert.equal((await api.request('POST', '/v1/resource-sets', resourceSetBody(sharedSet))).status, 201);
  });
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    await api.close();
  });

  it('keys: shown once, listed without secrets, usable at once, revoked at once, rotated', async () => {
    const created = await api.request('POST', '/v1/keys', {
      role: 'operator',
      scopes: [sharedSet],
      name: 'deploy bot',
    });
    assert.equal(created.status, 201);
    assert.match(created.body.key, /^psk_[0-9a-f]{16}_[\w-]{43}$/);
    assert.equal((created.body.key as string).split('_')[1], created.body.id);
    assert.deepEqual(
      [created.body.role, created.body.scopes, created.body.name],
      ['operator', [sharedSet], 'deploy bot'],
    );
    const key = { token: created.body.key as string };

    const listed = await api.request('GET', '/v1/keys');
    const row = (listed.body.items as Record<string, unknown>[]).find((k) => k.id === created.body.id);
    assert.ok(row);
    for (const secret of ['key', 'hash', 'salt']) assert.equal(row[secret], undefined, `the list shows no ${secret}`);
    assert.doesNotMatch(JSON.stringify(listed.body), /psk_/);
    const { rows } = await api.database.db.query('SELECT hash, salt FROM api_keys WHERE id = $1', [created.body.id]);
    assert.ok(
      !(rows[0].hash as Buffer).toString('base64url').includes(secretOf(created.body.key)),
      'only a hash is stored',
    );

    assert.equal(
      (await api.request('POST', `/v1/resource-sets/${sharedSet}/pause`, undefined, { as: key })).status,
      202,
    );
    assert.equal(
      (await api.request('POST', `/v1/resource-sets/${sharedSet}/resume`, undefined, { as: key })).status,
      202,
    );
    assert.equal(
      (await api.request('DELETE', `/v1/resource-sets/${sharedSet}`, undefined, { as: key })).status,
      403,
      'an operator does not delete',
    );

    const rotated = await api.request('POST', `/v1/keys/${created.body.id}/rotate`);
    assert.equal(rotated.status, 201);
    assert.notEqual(rotated.body.key, created.body.key);
    assert.deepEqual(
      [rotated.body.role, rotated.body.scopes, rotated.body.rotatedFrom],
      ['operator', [sharedSet], created.body.id],
    );
    assert.equal(
      (await api.request('GET', `/v1/resource-sets/${sharedSet}`, undefined, { as: key })).status,
      401,
      'the old key stops at once',
    );
    const fresh = { token: rotated.body.key as string };
    assert.equal((await api.request('GET', `/v1/resource-sets/${sharedSet}`, undefined, { as: fresh })).status, 200);
    assert.equal(
      (await api.request('POST', `/v1/keys/${created.body.id}/rotate`)).status,
      409,
      'a revoked key is not rotated',
    );

    const revoked = await api.request('DELETE', `/v1/keys/${rotated.body.id}`);
    assert.equal(revoked.status, 200);
    assert.ok(revoked.body.revokedAt);
    const refused = await api.request('GET', `/v1/resource-sets/${sharedSet}`, undefined, { as: fresh });
    assert.equal(refused.status, 401, 'revocation takes effect on the very next request');
    assert.equal(refused.body.error.code, 'invalid_token');
    assert.equal(
      (await api.request('DELETE', `/v1/keys/${rotated.body.id}`)).body.revokedAt,
      revoked.body.revokedAt,
      'revoking again changes nothing',
    );
    assert.equal((await api.request('DELETE', '/v1/keys/0123456789abcdef')).status, 404);
    assert.equal((await api.request('POST', '/v1/keys', { role: 'root' })).status, 400);
    assert.equal((await api.request('POST', '/v1/keys', { role: 'viewer', scopes: ['../etc'] })).status, 400);
    const ghost = await api.request('POST', '/v1/keys', { role: 'viewer', scopes: [sharedSet, 'no-such-set'] });
    assert.equal(ghost.status, 400, 'a key scoped to a set that does not exist');
    assert.equal(ghost.body.error.message, 'body.scopes.1: resource set "no-such-set" does not exist');

    const all = await api.request('GET', '/v1/keys?includeRevoked=true');
    assert.ok((all.body.items as { id: string }[]).some((k) => k.id === created.body.id));
    assert.ok(
      !(listed.body.items as { id: string; revokedAt: string | null }[]).some((k) => k.revokedAt),
      'revoked keys are listed only when asked',
    );
  });

  it('audit: every mutating request, refused ones too, with who, what, target, result and request id; admins only', async () => {
    const id = uniqueId('audited');
    const made = await api.request('POST', '/v1/resource-sets', resourceSetBody(id), {
      headers: { 'x-request-id': `create-${id}` },
    });
    assert.equal(made.status, 201);
    const keyId = api.keys.admin.split('_')[1];
    await api.request('POST', `/v1/resource-sets/${id}/pause`, undefined, {
      as: 'viewer',
      headers: { 'x-request-id': `denied-${id}` },
    });
    await api.request('DELETE', `/v1/resource-sets/${id}`, undefined, {
      as: 'none',
      headers: { 'x-request-id': `anonymous-${id}` },
    });
    await api.request('GET', `/v1/resource-sets/${id}`, undefined, { headers: { 'x-request-id': `read-${id}` } });
    await api.request(
      'POST',
      '/v1/metrics',
      { resourceSetId: id, instanceId: 'i-audit', samples: [] },
      { as: { token: agentToken(api.ctx.agentSecret, 'i-audit') }, headers: { 'x-request-id': `agent-${id}` } },
    );

    const entries = await waitFor(async () => {
      const page = await api.request('GET', '/v1/audit?limit=100');
      const mine = (page.body.items as { requestId: string }[]).filter((e) => e.requestId.endsWith(id));
      return mine.length >= 3 ? mine : undefined;
    }, 'three audit entries');
    const byRequest = Object.fromEntries(entries.map((e) => [e.requestId, e as unknown as Record<string, unknown>]));
    assert.deepEqual(
      Object.keys(byRequest).sort(),
      [`anonymous-${id}`, `create-${id}`, `denied-${id}`],
      'reads and agent pushes are not audited',
    );
    const { id: _c, at: createdAt, ...create } = byRequest[`create-${id}`]!;
    assert.deepEqual(create, {
      requestId: `create-${id}`,
      principalKind: 'key',
      principalId: keyId,
      method: 'POST',
      route: '/v1/resource-sets',
      target: id,
      resourceSet: id,
      status: 201,
      change: null,
    });
    assert.ok(Date.parse(String(createdAt)) > Date.now() - 60_000);
    assert.deepEqual(
      [byRequest[`denied-${id}`]?.status, byRequest[`denied-${id}`]?.target, byRequest[`denied-${id}`]?.principalKind],
      [403, id, 'key'],
    );
    assert.deepEqual(
      [
        byRequest[`anonymous-${id}`]?.status,
        byRequest[`anonymous-${id}`]?.target,
        byRequest[`anonymous-${id}`]?.principalKind,
      ],
      [401, id, 'anonymous'],
    );

    assert.equal((await api.request('GET', '/v1/audit', undefined, { as: 'operator' })).status, 403);
    const page = await api.request('GET', '/v1/audit?limit=1');
    assert.equal(page.body.items.length, 1);
    const older = await api.request('GET', `/v1/audit?limit=1&cursor=${page.body.next}`);
    assert.ok(Number(older.body.items[0].id) < Number(page.body.items[0].id), 'pages go back in time');
  });

  it('rate limit: per key, 429 with Retry-After past the burst; other callers unaffected', async () => {
    const app = await serve({ rateLimit: { perSecond: 0.5, burst: 3 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await app.get('/v1/resource-sets', api.keys.viewer)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const limited = await app.get('/v1/resource-sets', api.keys.viewer);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.error.code, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal((await app.get('/v1/resource-sets', api.keys.operator)).status, 200, 'another key has its own bucket');
    assert.match(await app.metrics.metrics(), /prescale_rate_limited_total\{kind="key"\} 2/);
  });

  it('rate limit: per resource set, valid writes past its burst → 429 resource_set_busy, whoever sends them; reads, invalid writes and other sets unaffected', async () => {
    const app = await serve({ resourceSetWrites: { perSecond: 0.01, burst: 2 } });
    const other = uniqueId('sec-other');
    assert.equal((await api.request('POST', '/v1/resource-sets', resourceSetBody(other))).status, 201);
    const post = (id: string, action: string, token: string, body?: unknown) =>
      fetch(`${app.url}/v1/resource-sets/${id}/${action}`, {
        method: action === 'policy' ? 'PATCH' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
    assert.equal(
      (await post(sharedSet, 'policy', api.keys.admin, { targetUtilization: 7 })).status,
      400,
      'an invalid write is refused for what it is',
    );
    assert.equal((await post(sharedSet, 'pause', api.keys.operator)).status, 202);
    assert.equal((await post(sharedSet, 'policy', api.keys.admin, { targetUtilization: 0.7 })).status, 200);
    const busy = await post(sharedSet, 'resume', api.keys.admin);
    assert.equal(busy.status, 429, "the set's budget is shared by every caller");
    assert.equal(((await busy.json()) as { error: { code: string } }).error.code, 'resource_set_busy');
    assert.ok(Number(busy.headers.get('retry-after')) >= 1);
    assert.equal(
      (await app.get(`/v1/resource-sets/${sharedSet}`, api.keys.viewer)).status,
      200,
      'reads are not writes',
    );
    assert.equal((await post(other, 'pause', api.keys.operator)).status, 202, 'another set has its own bucket');
    assert.match(await app.metrics.metrics(), /prescale_rate_limited_total\{kind="resource_set"\} 1/);
    await api.request('POST', `/v1/resource-sets/${sharedSet}/resume`);
  });

  it('OIDC: a valid JWT acts with its role and scopes; expired, wrong audience or issuer, unknown signer → 401; no role → 403', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const other = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const jwks = http.createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    servers.push(jwks);
    jwks.listen(0, '127.0.0.1');
    await once(jwks, 'listening');
    const oidc: OidcOptions = {
      issuer: 'https://login.example.test/',
      audience: 'prescale',
      jwksUrl: `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks.json`,
      roleClaim: 'prescale_role',
      scopesClaim: 'prescale_resource_sets',
    };
    const app = await serve({ oidc });
    const sign = (
      claims: JWTPayload,
      o: { aud?: string; iss?: string; exp?: number; key?: SigningKey; kid?: string } = {},
    ) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: o.kid ?? 'k1' })
        .setSubject('alice')
        .setIssuer(o.iss ?? oidc.issuer)
        .setAudience(o.aud ?? oidc.audience)
        .setIssuedAt()
        .setExpirationTime(o.exp ?? Math.floor(Date.now() / 1000) + 300)
        .sign(o.key ?? privateKey);

    const operator = await sign({ prescale_role: 'operator' });
    assert.equal((await app.get(`/v1/resource-sets/${sharedSet}`, operator)).status, 200);
    const denied = await app.get('/v1/keys', operator);
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.details.requiredRole, 'admin');
    assert.equal(
      (await app.get('/v1/keys', await sign({ prescale_role: ['viewer', 'admin'] }))).status,
      200,
      'the strongest listed role counts',
    );

    const scoped = await sign({ prescale_role: 'viewer', prescale_resource_sets: ['somewhere-else'] });
    assert.equal((await app.get(`/v1/resource-sets/${sharedSet}`, scoped)).status, 404);

    const refused = {
      expired: await sign({ prescale_role: 'admin' }, { exp: Math.floor(Date.now() / 1000) - 600 }),
      'wrong audience': await sign({ prescale_role: 'admin' }, { aud: 'someone-else' }),
      'wrong issuer': await sign({ prescale_role: 'admin' }, { iss: 'https://evil.example.test/' }),
      'another signer': await sign({ prescale_role: 'admin' }, { key: other.privateKey }),
      'unknown key id': await sign({ prescale_role: 'admin' }, { key: other.privateKey, kid: 'k2' }),
      tampered: `${operator.split('.')[0]}.${Buffer.from(JSON.stringify({ sub: 'alice', prescale_role: 'admin', iss: oidc.issuer, aud: oidc.audience, exp: 9e9 })).toString('base64url')}.${operator.split('.')[2]}`,
    };
    for (const [what, token] of Object.entries(refused)) {
      const res = await app.get(`/v1/resource-sets/${sharedSet}`, token);
      assert.equal(res.status, 401, what);
      assert.match(res.headers.get('www-authenticate') ?? '', /error="invalid_token"/, what);
    }
    assert.equal(
      (await app.get(`/v1/resource-sets/${sharedSet}`, await sign({}))).status,
      403,
      'an identity without a Prescale role',
    );
    assert.equal((await app.get('/v1/resource-sets', api.keys.viewer)).status, 200, 'API keys still work beside OIDC');

    const unreachable = await serve({ oidc: { ...oidc, jwksUrl: `http://127.0.0.1:${await freePort()}/jwks.json` } });
    const down = await unreachable.get('/v1/resource-sets', operator);
    assert.equal(down.status, 503);
    assert.equal(down.body.error.code, 'identity_provider_unavailable');
  });

  it('security headers on every answer; CORS only for configured origins', async () => {
    for (const res of [
      await api.request('GET', '/healthz'),
      await api.request('GET', '/v1/nowhere'),
      await api.request('GET', '/v1/keys', undefined, { as: 'none' }),
    ]) {
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('x-frame-options'), 'DENY');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      assert.match(
        res.headers.get('content-security-policy') ?? '',
        /default-src 'self'; script-src 'self'.*frame-ancestors 'none'/,
      );
      assert.doesNotMatch(res.headers.get('content-security-policy') ?? '', /unsafe-inline/);
      assert.equal(res.headers.get('x-powered-by'), null);
    }
    const origin = 'https://dash.example.test';
    const closed = await api.request('GET', '/healthz', undefined, { headers: { origin } });
    assert.equal(closed.headers.get('access-control-allow-origin'), null, 'no CORS unless configured');
    const unconfigured = await fetch(`${api.url}/v1/keys`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET' },
    });
    assert.equal(unconfigured.headers.get('access-control-allow-origin'), null);

    const app = await serve({ corsOrigins: [origin] });
    const preflight = await fetch(`${app.url}/v1/keys`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);
    const simple = await app.get('/healthz', undefined, { origin });
    assert.equal(simple.headers.get('access-control-allow-origin'), origin);
    const stranger = await app.get('/healthz', undefined, { origin: 'https://evil.example.test' });
    assert.equal(stranger.headers.get('access-control-allow-origin'), null);
  });

  it('request ids: echoed when sane, replaced when not, in every error body', async () => {
    const echoed = await api.request('GET', '/v1/nowhere', undefined, { headers: { 'x-request-id': 'trace-123.a:b' } });
    assert.equal(echoed.headers.get('x-request-id'), 'trace-123.a:b');
    assert.equal(echoed.body.error.requestId, 'trace-123.a:b');
    const replaced = await api.request('GET', '/v1/keys', undefined, {
      as: 'none',
      headers: { 'x-request-id': 'a b<script>' },
    });
    assert.match(replaced.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    assert.equal(replaced.body.error.requestId, replaced.headers.get('x-request-id'));
  });

  it('logs: one JSON line per request carrying its request id, and never key material', async () => {
    const lines: string[] = [];
    const app = await serve({}, lines);
    const token = `psk_${'0'.repeat(16)}_${'S'.repeat(43)}`;
    await app.get('/v1/resource-sets', api.keys.viewer, { 'x-request-id': 'log-ok' });
    await app.get('/v1/resource-sets', token, { 'x-request-id': 'log-bad' });
    await app.get('/v1/resource-sets', undefined, { 'x-request-id': 'log-none', cookie: 'session=secret-cookie' });
    const entries = await waitFor(
      async () =>
        Promise.resolve(lines.length >= 3 ? lines.map((l) => JSON.parse(l) as Record<string, unknown>) : undefined),
      'three log lines',
    );
    const byId = Object.fromEntries(entries.map((e) => [e.requestId, e]));
    assert.deepEqual([byId['log-ok']?.status, byId['log-bad']?.status, byId['log-none']?.status], [200, 401, 401]);
    assert.equal(byId['log-ok']?.route, '/v1/resource-sets');
    assert.equal(byId['log-ok']?.principal, `key:${api.keys.viewer.split('_')[1]}`);
    const all = lines.join('\n');
    for (const secret of [secretOf(api.keys.viewer), 'S'.repeat(43), 'secret-cookie', 'authorization'])
      assert.ok(!all.includes(secret), `logs hold no ${secret.slice(0, 12)}…`);
  });

  it('/metrics: viewers and up by default, anyone with METRICS_PUBLIC; auth failures are counted', async () => {
    const locked = await serve({});
    assert.equal((await locked.get('/metrics')).status, 401);
    await locked.get('/v1/keys', api.keys.viewer);
    const text = (await locked.get('/metrics', api.keys.viewer)).body as string;
    assert.match(text, /prescale_auth_failures_total\{status="401",reason="unauthorized"\} 1/);
    assert.match(text, /prescale_auth_failures_total\{status="403",reason="forbidden"\} 1/);
    const open = await serve({ metricsPublic: true });
    assert.equal((await open.get('/metrics')).status, 200);
  });

  it('OpenAPI: names the bearer scheme and, per route, whether and which role it needs', async () => {
    const doc = (await api.request('GET', '/v1/openapi.json', undefined, { as: 'none' })).body;
    assert.equal(doc.components.securitySchemes.bearer.scheme, 'bearer');
    assert.deepEqual(doc.paths['/healthz'].get.security, []);
    assert.deepEqual(doc.paths['/v1/keys'].post.security, [{ bearer: [] }]);
    assert.match(doc.paths['/v1/keys'].post.description, /role admin/);
    assert.ok(doc.paths['/v1/keys'].post.responses['403']);
  });

  it('CLI: `prescale keys create --json`, `list`, `revoke` straight against DATABASE_URL', async () => {
    const env = { ...process.env, DATABASE_URL: api.database.url };
    const created = await run(
      process.execPath,
      [BIN, 'keys', 'create', '--role', 'viewer', '--scope', `${sharedSet},other`, '--json'],
      { env },
    );
    const { key, id } = JSON.parse(created.stdout) as { key: string; id: string };
    assert.equal(
      (await api.request('GET', `/v1/resource-sets/${sharedSet}`, undefined, { as: { token: key } })).status,
      200,
    );
    const listed = await run(process.execPath, [BIN, 'keys', 'list', '--json'], { env });
    assert.deepEqual(
      (JSON.parse(listed.stdout) as { id: string; scopes: string[] }[]).find((k) => k.id === id)?.scopes,
      [sharedSet, 'other'],
    );
    assert.match((await run(process.execPath, [BIN, 'keys', 'list'], { env })).stdout, new RegExp(`${id}\\s+viewer`));
    await run(process.execPath, [BIN, 'keys', 'revoke', id], { env });
    assert.equal(
      (await api.request('GET', `/v1/resource-sets/${sharedSet}`, undefined, { as: { token: key } })).status,
      401,
    );

    const bad = await run(process.execPath, [BIN, 'keys', 'create', '--role', 'root'], { env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(bad?.code, 2);
    assert.match(bad?.stderr ?? '', /--role: /);
    const away = await run(process.execPath, [BIN, 'keys', 'list'], {
      env: { ...env, DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/none` },
    }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(away?.code, 2);
    assert.match(away?.stderr ?? '', /cannot reach Postgres .* `prescale start`/);
  });

  it('CLI: `prescale keys rotate ID --overlap-seconds N` replaces a key; the old one works until then; audited as the API audits it', async () => {
    const env = { ...process.env, DATABASE_URL: api.database.url };
    const read = (token: string) =>
      api.request('GET', `/v1/resource-sets/${sharedSet}`, undefined, { as: { token } }).then((r) => r.status);
    const made = JSON.parse(
      (
        await run(process.execPath, [BIN, 'keys', 'create', '--role', 'operator', '--scope', sharedSet, '--json'], {
          env,
        })
      ).stdout,
    ) as { key: string; id: string };
    const before = Date.now();
    const rotated = await run(
      process.execPath,
      [BIN, 'keys', 'rotate', made.id, '--overlap-seconds', '3600', '--json'],
      { env },
    );
    const next = JSON.parse(rotated.stdout) as {
      key: string;
      id: string;
      role: string;
      scopes: string[];
      replaces: { id: string; revokedAt: string };
    };
    assert.deepEqual(
      [next.role, next.scopes, next.replaces.id],
      ['operator', [sharedSet], made.id],
      'same role and scopes',
    );
    assert.ok(Math.abs(Date.parse(next.replaces.revokedAt) - (before + 3_600_000)) < 60_000, next.replaces.revokedAt);
    assert.deepEqual([await read(made.key), await read(next.key)], [200, 200], 'both work during the overlap');

    const text = await run(process.execPath, [BIN, 'keys', 'rotate', next.id], { env });
    assert.match(text.stdout, new RegExp(`^Rotated key ${next.id}: it works until .*\\npsk_`, 's'));
    assert.equal(await read(next.key), 401, 'without --overlap-seconds the old key stops at once');
    const audited = (await api.request('GET', `/v1/audit?action=${encodeURIComponent('CLI keys rotate')}`)).body
      .items as {
      target: string;
      status: number;
      principalId: string;
      change: { after: { replaces: { id: string } } };
    }[];
    const first = audited.find((e) => e.target === made.id);
    assert.equal(first?.status, 201);
    assert.equal(first?.change.after.replaces.id, made.id);
    assert.match(first?.principalId ?? '', /^cli:/);

    const refused = (args: string[]) =>
      run(process.execPath, [BIN, 'keys', 'rotate', ...args], { env }).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
    const bad = await refused([made.id, '--overlap-seconds', String(31 * 86_400)]);
    assert.equal(bad?.code, 2);
    assert.match(bad?.stderr ?? '', /--overlap-seconds: /);
    const revoked = await refused([next.id]);
    assert.equal(revoked?.code, 1);
    assert.match(revoked?.stderr ?? '', /is revoked/);
    assert.equal((await refused(['0123456789abcdef']))?.code, 1, 'no such key');
  });
});

describe('the first admin key', () => {
  it('is made once for a fresh installation, even by starters racing each other', async () => {
    const database = await createTestDatabase();
    try {
      const made = await Promise.all([1, 2, 3].map(() => ensureFirstAdminKey(database.db)));
      const keys = made.filter((k): k is string => k !== undefined);
      assert.equal(keys.length, 1);
      assert.match(keys[0]!, /^psk_/);
      assert.equal(await ensureFirstAdminKey(database.db), undefined, 'a later start makes none');
      const { rows } = await database.db.query('SELECT role FROM api_keys');
      assert.deepEqual(rows, [{ role: 'admin' }]);
      const audit = await database.db.query(
        "SELECT principal_id, method || ' ' || route AS action, target, change->'after'->>'role' AS role FROM audit_log",
      );
      assert.deepEqual(audit.rows, [
        {
          principal_id: 'cli:prescale start',
          action: 'CLI keys create',
          target: keys[0]!.split('_')[1],
          role: 'admin',
        },
      ]);
    } finally {
      await database.drop();
    }
  });
});
