import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, localUrl } from '../src/config.js';

describe('configuration', () => {
  it('has documented defaults: embedded everything under .prescale', () => {
    const c = loadConfig({});
    assert.equal(c.dataDir, path.resolve('.prescale'));
    assert.equal(c.PORT, 3000);
    assert.equal(c.HOST, '127.0.0.1', 'the API listens on the loopback only unless told otherwise');
    assert.equal(c.TEMPORAL_UI_PORT, 8233);
    assert.equal(c.TEMPORAL_NAMESPACE, 'default');
    assert.equal(c.TEMPORAL_ADDRESS, undefined);
    assert.equal(c.DATABASE_URL, undefined);
    assert.equal(c.S3_ENDPOINT, undefined);
  });

  it('treats empty values as unset', () => {
    assert.equal(loadConfig({ TEMPORAL_ADDRESS: '', PORT: '' }).PORT, 3000);
  });

  it('reads real values', () => {
    const c = loadConfig({
      PORT: '8080',
      TEMPORAL_ADDRESS: 'temporal:7233',
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      S3_ENDPOINT: 'http://minio:9000',
      S3_BUCKET: 'prescale',
      S3_FORCE_PATH_STYLE: 'false',
    });
    assert.equal(c.PORT, 8080);
    assert.equal(c.S3_FORCE_PATH_STYLE, false);
    assert.deepEqual(
      ['0.0.0.0', '::', '10.1.2.3', 'fd00::2', 'api.internal'].map((HOST) => loadConfig({ HOST }).HOST),
      ['0.0.0.0', '::', '10.1.2.3', 'fd00::2', 'api.internal'],
    );
  });

  it('reaches a server on its listening address, through the loopback for a wildcard', () => {
    assert.deepEqual(
      [
        ['127.0.0.1', 3000],
        ['0.0.0.0', 3000],
        ['::', 80],
        ['fd00::2', 80],
        ['api.internal', 8080],
      ].map(([h, p]) => localUrl(String(h), Number(p))),
      [
        'http://127.0.0.1:3000',
        'http://127.0.0.1:3000',
        'http://[::1]:80',
        'http://[fd00::2]:80',
        'http://api.internal:8080',
      ],
    );
  });

  for (const [env, variable] of [
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ TEMPORAL_ADDRESS: 'no-port' }, 'TEMPORAL_ADDRESS'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ S3_ENDPOINT: 'not a url', S3_BUCKET: 'b' }, 'S3_ENDPOINT'],
    [{ S3_ENDPOINT: 'http://minio:9000' }, 'S3_BUCKET'],
    [{ S3_FORCE_PATH_STYLE: 'maybe' }, 'S3_FORCE_PATH_STYLE'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ HOST: 'http://0.0.0.0' }, 'HOST'],
    [{ HOST: '127.0.0.1 ' }, 'HOST'],
  ] as const) {
    it(`rejects ${JSON.stringify(env)} naming ${variable} in one line`, () => {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.equal(err.variable, variable);
          assert.match(err.message, new RegExp(`^${variable}: `));
          assert.ok(!err.message.includes('\n'));
          return true;
        },
      );
    });
  }
});
