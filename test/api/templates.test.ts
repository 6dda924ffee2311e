import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';

const body = {
  instanceType: 'local.small',
  softwareVersion: 'v1',
  params: { poolSize: 2, cacheSize: 100, queueLimit: 32 },
};

describe('templates API (real Postgres, object storage, Temporal)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  it('creates immutable numbered versions; an identical body creates none', async () => {
    const name = uniqueId('tpl');
    const first = await api.request('POST', `/v1/templates/${name}/versions`, body);
    assert.equal(first.status, 201);
    assert.equal(first.body.version, 1);
    assert.deepEqual(first.body.body, body);
    assert.equal(first.body.objectKey, undefined, 'storage details stay inside');

    const same = await api.request('POST', `/v1/templates/${name}/versions`, body);
    assert.equal(same.status, 200);
    assert.equal(same.body.version, 1);

    const second = await api.request('POST', `/v1/templates/${name}/versions`, {
      ...body,
      softwareVersion: 'v2',
      params: { ...body.params, poolSize: 4 },
    });
    assert.equal(second.status, 201);
    assert.equal(second.body.version, 2);

    const list = await api.request('GET', `/v1/templates/${name}/versions`, undefined, { as: 'viewer' });
    assert.equal(list.status, 200);
    assert.deepEqual(
      (list.body.items as { version: number }[]).map((v) => v.version),
      [1, 2],
    );
    const one = await api.request('GET', `/v1/templates/${name}/versions/2`, undefined, { as: 'viewer' });
    assert.equal(one.body.body.softwareVersion, 'v2');

    const diff = await api.request('GET', `/v1/templates/${name}/diff?from=1&to=2`, undefined, { as: 'viewer' });
    assert.equal(diff.status, 200);
    assert.deepEqual(diff.body.changes, [
      { path: 'params.poolSize', from: 2, to: 4 },
      { path: 'softwareVersion', from: 'v1', to: 'v2' },
    ]);
    assert.equal(diff.body.replacesInstances, true);

    assert.equal((await api.request('GET', `/v1/templates/${name}/versions/3`)).status, 404);
    assert.equal((await api.request('GET', `/v1/templates/${name}/diff?from=1&to=3`)).status, 404);
    assert.equal((await api.request('GET', `/v1/templates/${uniqueId('none')}/versions`)).status, 404);
  });

  it('rejects an out-of-range parameter with 400 naming its path and the reason, storing nothing', async () => {
    const name = uniqueId('bad');
    const res = await api.request('POST', `/v1/templates/${name}/versions`, {
      ...body,
      params: { ...body.params, poolSize: 10_000 },
    });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /body\.params\.poolSize: .*512/);
    assert.deepEqual(
      (res.body.error.details.issues as { path: string }[]).map((i) => i.path),
      ['body.params.poolSize'],
    );
    const unknown = await api.request('POST', `/v1/templates/${name}/versions`, {
      ...body,
      params: { ...body.params, threads: 4 },
    });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /threads/);
    assert.equal((await api.request('GET', `/v1/templates/${name}/versions`)).status, 404, 'nothing was stored');
  });

  it('only an admin creates versions; a viewer reads them', async () => {
    const name = uniqueId('roles');
    assert.equal((await api.request('POST', `/v1/templates/${name}/versions`, body, { as: 'operator' })).status, 403);
    assert.equal((await api.request('POST', `/v1/templates/${name}/versions`, body)).status, 201);
    assert.equal((await api.request('GET', `/v1/templates/${name}/versions/1`, undefined, { as: 'none' })).status, 401);
  });

  it('points a resource set at a version; rollback and rollout steering need something to act on', async () => {
    const id = uniqueId('tplset');
    assert.equal(
      (await api.request('POST', '/v1/resource-sets', { id, provider: 'local', minInstances: 1, maxInstances: 3 }))
        .status,
      201,
    );
    const name = uniqueId('web');
    const version = await api.request('POST', `/v1/templates/${name}/versions`, {
      ...body,
      params: { ...body.params, poolSize: 3 },
    });

    const before = await api.request('GET', `/v1/resource-sets/${id}`, undefined, { as: 'viewer' });
    assert.equal(before.body.status.config.stable.template, null, 'a new set runs the boot configuration');
    assert.equal(before.body.status.activeRollout, null);

    const pointed = await api.request('PUT', `/v1/resource-sets/${id}/template`, {
      template: name,
      version: 1,
      rollout: { bakeSeconds: 5 },
    });
    assert.equal(pointed.status, 200);
    assert.equal(pointed.body.desired.template, name);
    assert.equal(pointed.body.desired.params.poolSize, 3);
    assert.equal(pointed.body.desired.revision, version.body.revision);
    assert.equal(pointed.body.rolloutOptions.bakeSeconds, 5);
    assert.deepEqual(pointed.body.rolloutOptions.steps, [
      { instances: 1 },
      { percent: 25 },
      { percent: 50 },
      { percent: 100 },
    ]);
    const state = await api.request('GET', `/v1/resource-sets/${id}`);
    assert.equal(state.body.status.config.desired.version, 1);

    assert.equal(
      (await api.request('PUT', `/v1/resource-sets/${id}/template`, { template: name, version: 7 })).status,
      404,
    );
    const badSteps = await api.request('PUT', `/v1/resource-sets/${id}/template`, {
      template: name,
      version: 1,
      rollout: { steps: [{ percent: 150 }] },
    });
    assert.equal(badSteps.status, 400);
    assert.match(badSteps.body.error.message, /body\.rollout\.steps\.0/);
    const aws = uniqueId('awsset');
    assert.equal(
      (
        await api.request('POST', '/v1/resource-sets', {
          id: aws,
          provider: 'aws',
          providerRef: 'web-asg',
          minInstances: 0,
          maxInstances: 1,
          policy: { mode: 'forecast-only' },
        })
      ).status,
      201,
    );
    const mismatch = await api.request('PUT', `/v1/resource-sets/${aws}/template`, { template: name, version: 1 });
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.body.error.message, /exists only on the local cloud/);

    const rollback = await api.request(
      'POST',
      `/v1/resource-sets/${id}/rollback`,
      { mode: 'staged' },
      { as: 'operator' },
    );
    assert.equal(rollback.status, 409);
    assert.equal(rollback.body.error.code, 'nothing_to_roll_back');
    const same = await api.request('POST', `/v1/resource-sets/${id}/rollback`, { toRevision: 1 }, { as: 'operator' });
    assert.equal(same.status, 409, 'revision 1 (the boot configuration) is what runs');
    assert.match(same.body.error.message, /already runs revision 1/);
    const unknown = await api.request(
      'POST',
      `/v1/resource-sets/${id}/rollback`,
      { toRevision: 7 },
      { as: 'operator' },
    );
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /^toRevision: revision 7 is not one this set has run/);
    assert.equal(
      (await api.request('POST', `/v1/resource-sets/${id}/rollback`, { toRevision: 'v1' }, { as: 'operator' })).status,
      400,
    );
    assert.equal(
      (await api.request('POST', `/v1/resource-sets/${id}/rollout/promote`, undefined, { as: 'operator' })).status,
      409,
    );
    assert.equal((await api.request('POST', `/v1/resource-sets/${id}/rollback`, {}, { as: 'viewer' })).status, 403);
    assert.equal((await api.request('POST', `/v1/resource-sets/${id}/rollback`, { mode: 'sideways' })).status, 400);

    const rollouts = await api.request('GET', `/v1/resource-sets/${id}/rollouts`, undefined, { as: 'viewer' });
    assert.equal(rollouts.status, 200);
    assert.deepEqual(rollouts.body.items, []);
  });
});
