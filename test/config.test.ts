import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('has documented defaults: embedded everything under .prescale', () => {
    const c = loadConfig({});
    assert.equal(c.dataDir, path.resolve('.prescale'));
    assert.equal(c.PORT, 3000);
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
    const c = loadConfig({ PORT: '8080', TEMPORAL_ADDRESS: 'temporal:7233', DATABASE_URL: 'postgres://u:p@db:5432/x', S3_ENDPOINT: 'http://minio:9000', S3_BUCKET: 'prescale', S3_FORCE_PATH_STYLE: 'false' });
    assert.equal(c.PORT, 8080);
    assert.equal(c.S3_FORCE_PATH_STYLE, false);
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
  ] as const) {
    it(`rejects ${JSON.stringify(env)} naming ${variable} in one line`, () => {
      assert.throws(() => loadConfig(env), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.variable, variable);
        assert.match(err.message, new RegExp(`^${variable}: `));
        assert.ok(!err.message.includes('\n'));
        return true;
      });
    });
  }
});
