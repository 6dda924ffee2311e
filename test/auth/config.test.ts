import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { apiSecurity } from '../../src/api/auth-config.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { temporalTls } from '../../src/workers/system.js';

describe('security configuration', () => {
  it('defaults: no OIDC, no CORS, /metrics behind a key, a rate limit per key, a write budget per resource set, 10 s on Temporal', () => {
    assert.deepEqual(apiSecurity(loadConfig({})), {
      rateLimit: { perSecond: 50, burst: 100 },
      resourceSetWrites: { perSecond: 5, burst: 20 },
      temporalTimeoutSeconds: 10,
      corsOrigins: [],
      metricsPublic: false,
      trustProxy: false,
    });
  });

  it('reads OIDC, CORS, metrics and rate limits; OIDC needs issuer, audience and JWKS together', () => {
    const s = apiSecurity(
      loadConfig({
        OIDC_ISSUER: 'https://login.example.com/',
        OIDC_AUDIENCE: 'prescale',
        OIDC_JWKS_URL: 'https://login.example.com/jwks',
        CORS_ORIGINS: 'https://a.example.com,http://localhost:5173',
        METRICS_PUBLIC: 'true',
        RATE_LIMIT_PER_SECOND: '5',
        RATE_LIMIT_BURST: '20',
        RESOURCE_SET_WRITES_PER_SECOND: '0.5',
        RESOURCE_SET_WRITES_BURST: '3',
        TEMPORAL_REQUEST_TIMEOUT_SECONDS: '30',
      }),
    );
    assert.equal(s.oidc?.roleClaim, 'prescale_role');
    assert.deepEqual(s.corsOrigins, ['https://a.example.com', 'http://localhost:5173']);
    assert.deepEqual(
      [s.metricsPublic, s.rateLimit, s.resourceSetWrites, s.temporalTimeoutSeconds],
      [true, { perSecond: 5, burst: 20 }, { perSecond: 0.5, burst: 3 }, 30],
    );
    assert.throws(
      () => loadConfig({ TEMPORAL_REQUEST_TIMEOUT_SECONDS: '0' }),
      (e: unknown) => e instanceof ConfigError && e.variable === 'TEMPORAL_REQUEST_TIMEOUT_SECONDS',
    );
    assert.throws(
      () => apiSecurity(loadConfig({ OIDC_ISSUER: 'https://login.example.com/' })),
      (e: unknown) => e instanceof ConfigError && e.variable === 'OIDC_AUDIENCE',
    );
    assert.throws(
      () => loadConfig({ CORS_ORIGINS: '*' }),
      (e: unknown) => e instanceof ConfigError && e.variable === 'CORS_ORIGINS',
    );
  });

  it('TRUST_PROXY: off by default; a hop count, addresses and subnets, or true; anything else names the variable', () => {
    const trust = (TRUST_PROXY: string) => apiSecurity(loadConfig({ TRUST_PROXY })).trustProxy;
    assert.deepEqual(
      [trust('1'), trust('true'), trust('false'), trust('10.0.0.0/8, loopback,fd00::/8,192.0.2.7')],
      [1, true, false, ['10.0.0.0/8', 'loopback', 'fd00::/8', '192.0.2.7']],
    );
    for (const bad of ['yes', '10.0.0.0/33', '999.1.1.1', 'fd00::/129', '10.0.0.1/8/1', 'loopback,', '-1']) {
      assert.throws(
        () => loadConfig({ TRUST_PROXY: bad }),
        (e: unknown) => e instanceof ConfigError && e.variable === 'TRUST_PROXY',
        bad,
      );
    }
  });

  it('Temporal TLS: off by default; CA and client certificate read from files; cert and key go together', async () => {
    assert.equal(await temporalTls(loadConfig({})), undefined);
    assert.deepEqual(
      await temporalTls(loadConfig({ TEMPORAL_TLS: 'true' })),
      {},
      'TLS with the system roots (e.g. Temporal Cloud)',
    );
    const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-tls-'));
    try {
      for (const f of ['ca.pem', 'client.pem', 'client.key']) await writeFile(path.join(dir, f), `${f} contents`);
      const tls = await temporalTls(
        loadConfig({
          TEMPORAL_TLS_CA: path.join(dir, 'ca.pem'),
          TEMPORAL_TLS_CERT: path.join(dir, 'client.pem'),
          TEMPORAL_TLS_KEY: path.join(dir, 'client.key'),
          TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
        }),
      );
      assert.equal(tls?.serverNameOverride, 'temporal.internal');
      assert.equal(Buffer.from(tls.serverRootCACertificate!).toString(), 'ca.pem contents');
      assert.equal(Buffer.from(tls.clientCertPair!.key).toString(), 'client.key contents');
      await assert.rejects(
        temporalTls(loadConfig({ TEMPORAL_TLS_CERT: path.join(dir, 'client.pem') })),
        (e: unknown) => e instanceof ConfigError && e.variable === 'TEMPORAL_TLS_KEY',
      );
      await assert.rejects(
        temporalTls(loadConfig({ TEMPORAL_TLS_CA: path.join(dir, 'missing.pem') })),
        (e: unknown) => e instanceof ConfigError && e.variable === 'TEMPORAL_TLS_CA',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
