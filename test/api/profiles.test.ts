import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';
import { profileBody as shopProfile } from './route-fixtures.js';

describe('app profiles API (real Postgres)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  it('ships the sample service as a profile', async () => {
    const list = await api.request('GET', '/v1/profiles', undefined, { as: 'viewer' });
    assert.equal(list.status, 200);
    assert.ok((list.body.items as { profile: string }[]).some((p) => p.profile === 'sample-service'));
    const shipped = await api.request('GET', '/v1/profiles/sample-service/versions/1', undefined, { as: 'viewer' });
    assert.equal(shipped.status, 200);
    assert.equal(shipped.body.body.config.method, 'http');
  });

  it('creates immutable numbered versions, lists, reads and diffs them; an identical profile is the same version', async () => {
    const name = uniqueId('shop');
    const first = await api.request('POST', `/v1/profiles/${name}/versions`, shopProfile);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.version, 1);
    assert.equal(first.body.profile, name);
    assert.equal(first.body.body.parameters.workers.apply, 'hot', 'defaults are filled in');
    assert.equal((await api.request('POST', `/v1/profiles/${name}/versions`, shopProfile)).status, 200);

    const changed = {
      ...shopProfile,
      parameters: { ...shopProfile.parameters, workers: { ...shopProfile.parameters.workers, maximum: 128 } },
    };
    const second = await api.request('POST', `/v1/profiles/${name}/versions`, changed);
    assert.equal(second.status, 201);
    assert.equal(second.body.version, 2);

    const versions = await api.request('GET', `/v1/profiles/${name}/versions`, undefined, { as: 'viewer' });
    assert.deepEqual(
      (versions.body.items as { version: number }[]).map((v) => v.version),
      [1, 2],
    );
    assert.equal(versions.body.items[0].body, undefined, 'the list carries no documents');
    const one = await api.request('GET', `/v1/profiles/${name}/versions/2`, undefined, { as: 'viewer' });
    assert.equal(one.body.body.parameters.workers.maximum, 128);
    const diff = await api.request('GET', `/v1/profiles/${name}/diff?from=1&to=2`, undefined, { as: 'viewer' });
    assert.deepEqual(diff.body.changes, [{ path: 'parameters.workers.maximum', from: 64, to: 128 }]);
    const list = await api.request('GET', '/v1/profiles');
    assert.deepEqual(
      (list.body.items as { profile: string; latestVersion: number }[]).find((p) => p.profile === name)?.latestVersion,
      2,
    );

    assert.equal((await api.request('GET', `/v1/profiles/${name}/versions/3`)).status, 404);
    assert.equal((await api.request('GET', `/v1/profiles/${uniqueId('none')}/versions`)).status, 404);

    const audit = await api.request(
      'GET',
      `/v1/audit?action=${encodeURIComponent('POST /v1/profiles/:name/versions')}`,
    );
    const mine = (audit.body.items as { target: string; status: number; change: unknown }[])
      .filter((e) => e.target === name)
      .reverse();
    assert.deepEqual(
      mine.map((e) => e.status),
      [201, 200, 201],
    );
    const change = mine[2]!.change as {
      before: { version: number; parameters: any };
      after: { version: number; parameters: any };
    };
    assert.deepEqual(Object.keys(change.after).sort(), ['parameters', 'version'], 'only the fields that changed');
    assert.deepEqual([change.before.parameters.workers.maximum, change.after.parameters.workers.maximum], [64, 128]);
  });

  it('refuses a bad profile with 400 naming the field, storing nothing', async () => {
    const name = uniqueId('bad');
    const bad = await api.request('POST', `/v1/profiles/${name}/versions`, {
      ...shopProfile,
      parameters: { ...shopProfile.parameters, workers: { type: 'integer', minimum: 10, maximum: 1 } },
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      (bad.body.error.details.issues as { path: string }[]).map((i) => i.path),
      ['body.parameters.workers.maximum'],
    );
    const method = await api.request('POST', `/v1/profiles/${name}/versions`, {
      ...shopProfile,
      config: { method: 'ftp' },
    });
    assert.equal(method.status, 400);
    assert.match(method.body.error.message, /^body\.config\.method: /);
    assert.equal((await api.request('GET', `/v1/profiles/${name}/versions`)).status, 404, 'nothing was stored');
  });

  it('only an admin creates versions; a viewer reads them', async () => {
    const name = uniqueId('roles');
    assert.equal(
      (await api.request('POST', `/v1/profiles/${name}/versions`, shopProfile, { as: 'operator' })).status,
      403,
    );
    assert.equal((await api.request('POST', `/v1/profiles/${name}/versions`, shopProfile)).status, 201);
    assert.equal((await api.request('GET', `/v1/profiles/${name}/versions/1`, undefined, { as: 'none' })).status, 401);
  });
});
