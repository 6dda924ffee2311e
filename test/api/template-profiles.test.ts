import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';
import { profileBody, resourceSetBody, templateBody } from './route-fixtures.js';

/** A template for the shop profile of route-fixtures.ts, an app that is not the sample service. */
const shopTemplate = (profile: string) => ({
  profile: { name: profile },
  instanceType: 'local.small',
  softwareVersion: 'ghcr.io/acme/shop:1.4',
  params: { workers: 8 },
});

describe('templates against app profiles, and retiring them (real Postgres, Temporal)', () => {
  let api: TestApi;
  let shop: string;
  before(async () => {
    api = await startTestApi();
    shop = uniqueId('shop');
    assert.equal((await api.request('POST', `/v1/profiles/${shop}/versions`, profileBody)).status, 201);
  });
  after(async () => {
    await api.close();
  });

  it("validates a template against the profile it names, filling the profile's defaults", async () => {
    const name = uniqueId('shopweb');
    const made = await api.request('POST', `/v1/templates/${name}/versions`, shopTemplate(shop));
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual(made.body.body.params, { workers: 8, mode: 'safe', verbose: false });
    assert.deepEqual(
      [made.body.profile, made.body.profileVersion, made.body.image, made.body.retiredAt],
      [shop, 1, 'ghcr.io/acme/shop:1.4', null],
    );
  });

  it('refuses a template that breaks its profile with 400 naming the field, storing nothing', async () => {
    const name = uniqueId('broken');
    const cases: [unknown, string][] = [
      [{ ...shopTemplate(shop), params: { workers: 65 } }, 'body.params.workers'],
      [{ ...shopTemplate(shop), params: { workers: 'many' } }, 'body.params.workers'],
      [{ ...shopTemplate(shop), params: { mode: 'reckless' } }, 'body.params.mode'],
      [{ ...shopTemplate(shop), params: { threads: 2 } }, 'body.params'],
      [{ ...shopTemplate(shop), softwareVersion: 'ghcr.io/acme/shop:latest' }, 'body.softwareVersion'],
      [{ ...shopTemplate(shop), profile: { name: uniqueId('nope') } }, 'body.profile.name'],
      [{ ...shopTemplate(shop), profile: { name: shop, version: 9 } }, 'body.profile.version'],
      [{ ...templateBody, params: { workers: 8 } }, 'body.params'],
    ];
    for (const [body, path] of cases) {
      const res = await api.request('POST', `/v1/templates/${name}/versions`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok(
        (res.body.error.details.issues as { path: string }[]).some((i) => i.path === path),
        `${path} in ${res.body.error.message}`,
      );
    }
    assert.equal((await api.request('GET', `/v1/templates/${name}/versions`)).status, 404, 'nothing was stored');
  });

  it('refuses a set naming an unknown profile, and a template made for another profile than its set', async () => {
    const unknown = await api.request('POST', '/v1/resource-sets', {
      ...resourceSetBody(uniqueId('noprof')),
      profile: { name: uniqueId('nope') },
    });
    assert.equal(unknown.status, 400);
    assert.deepEqual(
      (unknown.body.error.details.issues as { path: string }[]).map((i) => i.path),
      ['body.profile.name'],
    );
    const noVersion = await api.request('POST', '/v1/resource-sets', {
      ...resourceSetBody(uniqueId('noprof')),
      profile: { name: shop, version: 9 },
    });
    assert.deepEqual(
      (noVersion.body.error.details.issues as { path: string }[]).map((i) => i.path),
      ['body.profile.version'],
    );

    const sampleSet = uniqueId('sampleset');
    assert.equal(
      (await api.request('POST', '/v1/resource-sets', resourceSetBody(sampleSet))).status,
      201,
      'no profile: the sample service',
    );
    const name = uniqueId('shopweb');
    assert.equal((await api.request('POST', `/v1/templates/${name}/versions`, shopTemplate(shop))).status, 201);
    const wrong = await api.request('PUT', `/v1/resource-sets/${sampleSet}/template`, { template: name, version: 1 });
    assert.equal(wrong.status, 400);
    assert.match(
      wrong.body.error.message,
      new RegExp(`made for profile "${shop}", and this set runs profile "sample-service"`),
    );

    const shopSet = uniqueId('shopset');
    const created = await api.request('POST', '/v1/resource-sets', {
      ...resourceSetBody(shopSet),
      profile: { name: shop },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const pointed = await api.request('PUT', `/v1/resource-sets/${shopSet}/template`, { template: name, version: 1 });
    assert.equal(pointed.status, 200, JSON.stringify(pointed.body));
    assert.equal(pointed.body.desired.image, 'ghcr.io/acme/shop:1.4');
  });

  it('retires a version no set uses (then it cannot be rolled out), and refuses one a set is moving to', async () => {
    const name = uniqueId('retire');
    assert.equal((await api.request('POST', `/v1/templates/${name}/versions`, templateBody)).status, 201);
    assert.equal(
      (
        await api.request('POST', `/v1/templates/${name}/versions`, {
          ...templateBody,
          params: { ...templateBody.params, poolSize: 3 },
        })
      ).status,
      201,
    );
    const set = uniqueId('retireset');
    assert.equal((await api.request('POST', '/v1/resource-sets', resourceSetBody(set))).status, 201);
    assert.equal(
      (await api.request('PUT', `/v1/resource-sets/${set}/template`, { template: name, version: 2 })).status,
      200,
    );

    assert.equal(
      (await api.request('DELETE', `/v1/templates/${name}/versions/1`, undefined, { as: 'operator' })).status,
      403,
    );
    const inUse = await api.request('DELETE', `/v1/templates/${name}/versions/2`);
    assert.equal(inUse.status, 409);
    assert.equal(inUse.body.error.code, 'template_in_use');
    assert.match(inUse.body.error.message, new RegExp(`"${set}"`));
    assert.equal(
      (await api.request('GET', `/v1/templates/${name}/versions/2`)).body.retiredAt,
      null,
      'nothing changed',
    );

    const retired = await api.request('DELETE', `/v1/templates/${name}/versions/1`);
    assert.equal(retired.status, 200, JSON.stringify(retired.body));
    assert.match(retired.body.retiredAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const again = await api.request('DELETE', `/v1/templates/${name}/versions/1`);
    assert.equal(again.body.retiredAt, retired.body.retiredAt, 'retiring twice keeps the first instant');
    const read = await api.request('GET', `/v1/templates/${name}/versions/1`, undefined, { as: 'viewer' });
    assert.equal(read.status, 200, 'a retired version stays readable');
    assert.equal(read.body.retiredAt, retired.body.retiredAt);

    const refused = await api.request('PUT', `/v1/resource-sets/${set}/template`, { template: name, version: 1 });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'template_retired');
    assert.equal((await api.request('DELETE', `/v1/templates/${name}/versions/9`)).status, 404);

    const audit = await api.request(
      'GET',
      `/v1/audit?action=${encodeURIComponent('DELETE /v1/templates/:name/versions/:version')}`,
    );
    const mine = (audit.body.items as { target: string; status: number; change: unknown }[])
      .filter((e) => e.target === name)
      .reverse();
    assert.deepEqual(
      mine.map((e) => e.status),
      [403, 409, 200, 200, 404],
    );
    assert.deepEqual((mine[2]!.change as { before: unknown }).before, { retiredAt: null });
  });
});
