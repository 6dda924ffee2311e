import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { diffTemplates } from '../../src/config/diff.js';
import { stepTarget } from '../../src/config/rollout-options.js';
import { templateBodyUnder, type TemplateBody } from '../../src/config/template.js';
import { appProfileSchema } from '../../src/domain/app-profile.js';
import { findInstanceType } from '../../src/providers/local/instance-types.js';
import { createObjectStore, type ObjectStore } from '../../src/store/objects/index.js';
import { putProfileVersion } from '../../src/store/profiles.js';
import { loadShippedProfiles } from '../../src/store/shipped-profiles.js';
import {
  putTemplateVersion,
  readTemplateVersion,
  TemplateIntegrityError,
  UnknownProfileError,
} from '../../src/store/template-versions.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

const body: TemplateBody = {
  instanceType: 'local.small',
  softwareVersion: 'v1',
  params: { poolSize: 2, cacheSize: 100, queueLimit: 32 },
};
const sampleProfile = (await loadShippedProfiles()).find((p) => p.name === 'sample-service')!.profile;
const issues = (value: unknown): string[] => {
  const result = templateBodyUnder(sampleProfile, findInstanceType).safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe("template validation against the sample service's profile", () => {
  it('accepts a valid body', () => assert.deepEqual(issues(body), []));

  it('names the path and the reason of each problem: out of range, wrong type, unknown name', () => {
    assert.deepEqual(
      issues({ ...body, params: { ...body.params, poolSize: 513 } }).map((i) => i.split(':')[0]),
      ['params.poolSize'],
    );
    assert.match(issues({ ...body, params: { ...body.params, poolSize: 0 } })[0] ?? '', /^params\.poolSize: .*>=1/);
    assert.match(
      issues({ ...body, params: { ...body.params, queueLimit: 'many' } })[0] ?? '',
      /^params\.queueLimit: .*number/,
    );
    assert.match(issues({ ...body, params: { ...body.params, threads: 4 } })[0] ?? '', /^params: .*threads/);
    assert.match(
      issues({ ...body, softwareVersion: 'v9' })[0] ?? '',
      /^softwareVersion: "v9" is not a software version of this app: must match v\[1-4\]/,
    );
    assert.match(
      issues({ ...body, instanceType: 'local.huge' })[0] ?? '',
      /^instanceType: "local.huge" is not a local instance type/,
    );
  });

  it("refuses a cache too big for the instance type's memory, as the app would", () => {
    const big = { ...body, params: { ...body.params, cacheSize: 400_000 } };
    assert.match(issues(big)[0] ?? '', /^params\.cacheSize: does not fit this instance type \(at most 250000\)/);
    assert.deepEqual(issues({ ...big, instanceType: 'local.medium' }), []);
  });
});

describe('template diff and rollout steps', () => {
  it('lists changed fields and says when instances must be replaced', () => {
    const params = diffTemplates(body, { ...body, params: { ...body.params, poolSize: 4 } });
    assert.deepEqual(params, { changes: [{ path: 'params.poolSize', from: 2, to: 4 }], replacesInstances: false });
    const software = diffTemplates(body, { ...body, softwareVersion: 'v2' });
    assert.deepEqual(software.changes, [{ path: 'softwareVersion', from: 'v1', to: 'v2' }]);
    assert.equal(software.replacesInstances, true);
    assert.deepEqual(diffTemplates(body, body).changes, []);
  });

  it('turns steps into instance counts: at least one, never more than the fleet', () => {
    assert.deepEqual(
      [1, 3, 4, 10].map((n) => stepTarget({ instances: 1 }, n)),
      [1, 1, 1, 1],
    );
    assert.deepEqual(
      [1, 3, 4, 10].map((n) => stepTarget({ percent: 25 }, n)),
      [1, 1, 1, 3],
    );
    assert.deepEqual(
      [1, 3, 4, 10].map((n) => stepTarget({ percent: 100 }, n)),
      [1, 3, 4, 10],
    );
    assert.equal(stepTarget({ instances: 5 }, 2), 2);
    assert.equal(stepTarget({ percent: 50 }, 0), 0);
  });
});

describe('template versions in Postgres and object storage', () => {
  let database: TestDatabase;
  let objects: ObjectStore;
  let dir: string;
  before(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-templates-'));
    objects = await createObjectStore({ dataDir: dir, S3_REGION: 'us-east-1', S3_FORCE_PATH_STYLE: true });
  });
  after(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('numbers versions per template, keeps bodies by content hash, and an identical body is the same version', async () => {
    const first = await putTemplateVersion(database.db, objects, 'web', body);
    assert.equal(first.created, true);
    assert.equal(first.version.version, 1);
    assert.match(first.version.contentHash, /^[0-9a-f]{64}$/);
    assert.ok(first.version.revision >= 2, 'revision 1 is the boot configuration');

    const again = await putTemplateVersion(database.db, objects, 'web', structuredClone(body));
    assert.equal(again.created, false);
    assert.equal(again.version.version, 1);

    const changed = { ...body, params: { ...body.params, poolSize: 3 } };
    const concurrent = await Promise.all([
      putTemplateVersion(database.db, objects, 'web', changed),
      putTemplateVersion(database.db, objects, 'web', { ...body, softwareVersion: 'v2' }),
    ]);
    assert.deepEqual(concurrent.map((c) => c.version.version).sort(), [2, 3]);
    const other = await putTemplateVersion(database.db, objects, 'api', body);
    assert.equal(other.version.version, 1, 'each template numbers its own versions');
    const revisions = [first, ...concurrent, other].map((v) => v.version.revision);
    assert.equal(new Set(revisions).size, revisions.length, 'revisions are unique across templates');

    const read = await readTemplateVersion(database.db, objects, 'web', 1);
    assert.deepEqual(read?.body, body);
    assert.deepEqual(
      [read?.profile, read?.profileVersion, read?.image, read?.retiredAt],
      ['sample-service', 1, 'sample-service:v1', null],
    );
    assert.equal(await readTemplateVersion(database.db, objects, 'web', 9), undefined);
  });

  it('validates against the profile a body names, fills its defaults and names the image by it', async () => {
    await putProfileVersion(
      database.db,
      'shop',
      appProfileSchema.parse({
        parameters: {
          workers: { type: 'integer', minimum: 1, maximum: 64, default: 4 },
          mode: { type: 'string', enum: ['fast', 'safe'] },
        },
        software: { repository: 'ghcr.io/acme/shop', pattern: '\\d+\\.\\d+' },
        config: { method: 'restart' },
      }),
    );
    const shop = {
      profile: { name: 'shop' },
      instanceType: 'local.small',
      softwareVersion: '1.4',
      params: { mode: 'fast' },
    };
    const { version } = await putTemplateVersion(database.db, objects, 'shop-web', shop);
    assert.deepEqual(version.body.params, { workers: 4, mode: 'fast' });
    assert.equal(version.image, 'ghcr.io/acme/shop:1.4');
    assert.deepEqual([version.profile, version.profileVersion], ['shop', 1]);
    await assert.rejects(
      putTemplateVersion(database.db, objects, 'shop-web', { ...shop, params: { mode: 'reckless' } }),
      (err: Error) => /mode/.test(err.message),
    );
    await assert.rejects(
      putTemplateVersion(database.db, objects, 'shop-web', { ...shop, profile: { name: 'nope' } }),
      UnknownProfileError,
    );
  });

  it('refuses a body whose content no longer matches its hash', async () => {
    const { version } = await putTemplateVersion(database.db, objects, 'tampered', body);
    await objects.put(version.objectKey, JSON.stringify({ ...body, softwareVersion: 'v4' }));
    await assert.rejects(readTemplateVersion(database.db, objects, 'tampered', 1), TemplateIntegrityError);
  });
});
