import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorize, type Guarded } from '../../src/auth/authorize.js';
import { generateApiKey, parseApiKey, secretMatches } from '../../src/auth/api-key.js';
import type { Principal } from '../../src/auth/principal.js';
import { RateLimiter } from '../../src/api/rate-limit.js';

const key = (role: Principal['role'], scopes?: string[]): Principal => ({
  kind: 'key',
  id: 'k',
  ...(role ? { role } : {}),
  ...(scopes ? { scopes } : {}),
});
const agent: Principal = { kind: 'agent', id: 'i-1' };
const status = (route: Guarded, p: Principal | undefined, params: Record<string, unknown> = {}) => {
  const v = authorize(route, p, params);
  return v.allow ? 'allow' : v.status;
};

describe('authorize', () => {
  it('public routes admit anyone; every other route needs a principal', () => {
    assert.equal(status({ role: 'public' }, undefined), 'allow');
    for (const role of ['agent', 'viewer', 'operator', 'admin'] as const)
      assert.equal(status({ role }, undefined), 401);
  });

  it('roles are ordered viewer < operator < admin', () => {
    assert.deepEqual(
      (['viewer', 'operator', 'admin'] as const).map((r) => status({ role: 'operator' }, key(r))),
      [403, 'allow', 'allow'],
    );
    assert.deepEqual(
      (['viewer', 'operator', 'admin'] as const).map((r) => status({ role: 'admin' }, key(r))),
      [403, 403, 'allow'],
    );
    assert.equal(status({ role: 'viewer' }, { kind: 'oidc', id: 'oidc:bob' }), 403, 'an identity without a role');
  });

  it('agents only on agent routes, and only agents there', () => {
    assert.equal(status({ role: 'agent' }, agent), 'allow');
    assert.equal(status({ role: 'agent' }, key('admin')), 403);
    assert.equal(status({ role: 'viewer' }, agent), 403);
  });

  it('scoped principals: their sets only (404 for others, as if absent), never routes that are not about one set', () => {
    const route: Guarded = { role: 'viewer', resourceSetParam: 'id' };
    assert.equal(status(route, key('viewer', ['web']), { id: 'web' }), 'allow');
    assert.equal(status(route, key('viewer', ['web']), { id: 'api' }), 404);
    assert.equal(status(route, key('viewer', ['web']), {}), 404);
    assert.equal(status({ role: 'viewer' }, key('admin', ['web'])), 403);
    assert.equal(status(route, key('viewer'), { id: 'anything' }), 'allow', 'unscoped means every set');
  });
});

describe('API keys', () => {
  it('psk_<16 hex>_<43 base64url>; the secret is checked against a salted hash', () => {
    const made = generateApiKey();
    assert.match(made.key, /^psk_[0-9a-f]{16}_[\w-]{43}$/);
    const parsed = parseApiKey(made.key);
    assert.equal(parsed?.id, made.id);
    assert.ok(secretMatches(made, parsed.secret));
    assert.ok(
      !secretMatches(
        made,
        parsed.secret.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
      ),
    );
    assert.ok(!secretMatches({ ...made, salt: generateApiKey().salt }, parsed.secret), 'the salt is part of the hash');
    assert.notDeepEqual(generateApiKey().salt, made.salt);
    for (const bad of [
      '',
      'psk_',
      `${made.key}x`,
      made.key.replace('psk_', 'psx_'),
      made.key.toUpperCase(),
      `psk_${made.id}`,
    ])
      assert.equal(parseApiKey(bad), undefined, bad);
  });
});

describe('RateLimiter', () => {
  it('allows the burst, then one request per 1/rate seconds, per caller', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 3, () => now);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.take('a')),
      [0, 0, 0, 1],
    );
    assert.equal(limiter.take('b'), 0, 'b has its own bucket');
    now += 500;
    assert.equal(limiter.take('a'), 0);
    assert.equal(limiter.take('a'), 1);
    now += 10_000;
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limiter.take('a')),
      [0, 0, 0, 1],
      'refills up to the burst, no further',
    );
    assert.equal(new RateLimiter(0, 1).take('a'), 0, 'rate 0 turns it off');
  });
});
