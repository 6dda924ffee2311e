import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { appendAudit } from '../../src/store/audit.js';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';
import { resourceSetBody, templateBody } from './route-fixtures.js';

const run = promisify(execFile);
const BIN = new URL('../../bin/prescale.js', import.meta.url).pathname;

interface Entry {
  id: string;
  at: string;
  requestId: string;
  principalKind: string;
  principalId: string | null;
  method: string;
  route: string;
  target: string | null;
  resourceSet: string | null;
  status: number;
  change: { before: unknown; after: unknown } | null;
}

describe('audit log: numeric order, lossless paging, filters, what changed, CLI keys (real Postgres, Temporal)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  /** Every entry the query matches, page by page; entries are written once the response is sent, so it waits for `atLeast`. */
  async function entries(query: string, atLeast = 1, limit = 100): Promise<Entry[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const all: Entry[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.request(
          'GET',
          `/v1/audit?limit=${limit}${query ? `&${query}` : ''}${cursor ? `&cursor=${cursor}` : ''}`,
        );
        assert.equal(page.status, 200, JSON.stringify(page.body));
        all.push(...(page.body.items as Entry[]));
        cursor = page.body.next as string | undefined;
      } while (cursor);
      if (all.length >= atLeast || Date.now() > deadline) return all;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('pages newest first by numeric id through hundreds of entries without losing or repeating one', async () => {
    for (let i = 0; i < 150; i++) {
      await appendAudit(api.database.db, {
        requestId: `bulk-${i}`,
        principalKind: 'anonymous',
        principalId: null,
        method: 'POST',
        route: '/v1/keys',
        target: null,
        status: 401,
      });
    }
    const { rows } = await api.database.db.query<{ id: string }>('SELECT id::text FROM audit_log');
    const expected = rows.map((r) => Number(r.id)).sort((a, b) => b - a);
    assert.ok(
      expected.length >= 150 && expected.at(-1)! < 10,
      'the ids cross 10 and 100, where text order and number order part',
    );

    const first = await api.request('GET', '/v1/audit?limit=20');
    assert.match(first.body.next, /^[\w-]+$/, 'a URL-safe cursor');
    assert.doesNotMatch(first.body.next, /^\d+$/, 'an opaque one, not an id');
    const paged = (await entries('', expected.length, 20)).map((e) => Number(e.id));
    assert.deepEqual(paged, expected);
  });

  it('records what policy, template and key writes changed, never a key secret', async () => {
    const set = uniqueId('changes');
    assert.equal((await api.request('POST', '/v1/resource-sets', resourceSetBody(set))).status, 201);
    assert.equal((await api.request('PATCH', `/v1/resource-sets/${set}/policy`, { maxInstances: 8 })).status, 200);
    const policy = await entries(
      `resourceSet=${set}&action=${encodeURIComponent('PATCH /v1/resource-sets/:id/policy')}`,
    );
    assert.deepEqual(
      policy.map((e) => e.change),
      [{ before: { maxInstances: 10 }, after: { maxInstances: 8 } }],
    );

    const name = uniqueId('tpl');
    assert.equal((await api.request('POST', `/v1/templates/${name}/versions`, templateBody)).status, 201);
    assert.equal((await api.request('POST', `/v1/templates/${name}/versions`, templateBody)).status, 200);
    assert.equal(
      (
        await api.request('POST', `/v1/templates/${name}/versions`, {
          ...templateBody,
          params: { ...templateBody.params, poolSize: 4 },
        })
      ).status,
      201,
    );
    const versions = await entries(`action=${encodeURIComponent('POST /v1/templates/:name/versions')}`, 3);
    const mine = versions.filter((e) => e.target === name).reverse();
    assert.deepEqual(
      mine.map((e) => [e.status, e.change]),
      [
        [201, { before: null, after: { version: 1, ...templateBody } }],
        [200, null],
        [
          201,
          {
            before: { version: 1, params: templateBody.params },
            after: { version: 2, params: { ...templateBody.params, poolSize: 4 } },
          },
        ],
      ],
    );

    const pointed = await api.request('PUT', `/v1/resource-sets/${set}/template`, { template: name, version: 2 });
    assert.equal(pointed.status, 200, JSON.stringify(pointed.body));
    const [release] = await entries(
      `resourceSet=${set}&action=${encodeURIComponent('PUT /v1/resource-sets/:id/template')}`,
    );
    const change = release!.change as { before: Record<string, unknown>; after: Record<string, unknown> };
    assert.deepEqual(
      [change.before.template, change.before.version, change.after.template, change.after.version],
      [null, null, name, 2],
    );
    assert.deepEqual(change.after.params, { ...templateBody.params, poolSize: 4 });

    const created = await api.request('POST', '/v1/keys', { role: 'viewer', name: 'audited' });
    const keyId = created.body.id as string;
    assert.equal((await api.request('POST', `/v1/keys/${keyId}/rotate`)).status, 201);
    assert.equal((await api.request('DELETE', `/v1/keys/${keyId}`)).status, 200, 'revoking a rotated key again');
    // The last of the three is written once its response is sent: wait for it, not for any entry.
    await entries(`action=${encodeURIComponent('DELETE /v1/keys/:id')}`);
    const keyEntries = (await entries('', 1))
      .filter((e) => e.target === keyId || (e.change?.after as { id?: string } | null)?.id === keyId)
      .reverse();
    assert.deepEqual(
      keyEntries.map((e) => `${e.method} ${e.route}`),
      ['POST /v1/keys', 'POST /v1/keys/:id/rotate', 'DELETE /v1/keys/:id'],
    );
    assert.deepEqual((keyEntries[0]!.change!.after as { id: string; role: string }).role, 'viewer');
    assert.equal((keyEntries[1]!.change!.before as { id: string }).id, keyId);
    assert.equal((keyEntries[1]!.change!.after as { rotatedFrom: string }).rotatedFrom, keyId);
    assert.equal(keyEntries[2]!.change, null, 'already revoked by the rotation: nothing changed');
    const secret = (created.body.key as string).split('_').slice(2).join('_');
    assert.ok(!JSON.stringify(await entries('', 1)).includes(secret), 'no key secret in the log');
  });

  it('filters by principal, resource set, action and time; refuses bad filters with 400 naming the field', async () => {
    const set = uniqueId('filtered');
    assert.equal((await api.request('POST', '/v1/resource-sets', resourceSetBody(set))).status, 201);
    await api.request('POST', `/v1/resource-sets/${set}/pause`, undefined, { as: 'viewer' });
    await api.request('POST', `/v1/resource-sets/${set}/pause`, undefined, { as: 'none' });
    assert.equal(
      (await api.request('POST', `/v1/resource-sets/${set}/pause`, undefined, { as: 'operator' })).status,
      202,
    );

    const forSet = await entries(`resourceSet=${set}`, 4);
    assert.deepEqual(
      forSet.map((e) => [e.route, e.status, e.resourceSet]).sort((a, b) => Number(a[1]) - Number(b[1])),
      [
        ['/v1/resource-sets', 201, set],
        ['/v1/resource-sets/:id/pause', 202, set],
        ['/v1/resource-sets/:id/pause', 401, set],
        ['/v1/resource-sets/:id/pause', 403, set],
      ],
    );
    const viewer = api.keys.viewer.split('_')[1]!;
    const byViewer = await entries(`principal=${viewer}`);
    assert.ok(byViewer.length >= 1 && byViewer.every((e) => e.principalId === viewer));
    const anonymous = await entries('principal=anonymous');
    assert.ok(anonymous.some((e) => e.resourceSet === set) && anonymous.every((e) => e.principalKind === 'anonymous'));
    const pauses = await entries(
      `action=${encodeURIComponent('POST /v1/resource-sets/:id/pause')}&resourceSet=${set}`,
      3,
    );
    assert.equal(pauses.length, 3);

    const newest = forSet[0]!;
    const since = await entries(`resourceSet=${set}&since=${encodeURIComponent(newest.at)}`);
    assert.ok(
      since.some((e) => e.id === newest.id),
      'since is inclusive',
    );
    const until = await entries(`resourceSet=${set}&until=${encodeURIComponent(newest.at)}`, 0);
    assert.ok(!until.some((e) => e.id === newest.id), 'until is exclusive');
    assert.deepEqual(
      await entries(
        `resourceSet=${set}&since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
        0,
      ),
      [],
    );

    const bad: Record<string, string> = {
      principal: 'principal=bob',
      resourceSet: 'resourceSet=Not%20A%20Set!',
      action: `action=${encodeURIComponent('FETCH /v1/everything')}`,
      since: 'since=yesterday',
      until: `since=${encodeURIComponent('2026-01-02T00:00:00Z')}&until=${encodeURIComponent('2026-01-01T00:00:00Z')}`,
      cursor: 'cursor=12345',
    };
    for (const [field, query] of Object.entries(bad)) {
      const res = await api.request('GET', `/v1/audit?${query}`);
      assert.equal(res.status, 400, `${field}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'invalid_request');
      assert.match(res.body.error.message, new RegExp(`query\\.${field}: `));
    }
    const forged = Buffer.from(JSON.stringify({ before: '1 OR 1=1' })).toString('base64url');
    assert.equal((await api.request('GET', `/v1/audit?cursor=${forged}`)).status, 400);
  });

  it('keys made and revoked with the CLI are audited, with who ran it and what changed', async () => {
    const env = { ...process.env, DATABASE_URL: api.database.url };
    const made = await run(
      process.execPath,
      [BIN, 'keys', 'create', '--role', 'operator', '--name', 'from the shell', '--json'],
      { env },
    );
    const { id, key } = JSON.parse(made.stdout) as { id: string; key: string };
    await run(process.execPath, [BIN, 'keys', 'revoke', id], { env });
    const missing = randomUUID().replace(/-/g, '').slice(0, 16);
    await run(process.execPath, [BIN, 'keys', 'revoke', missing], { env }).catch(() => undefined);

    const created = await entries(`action=${encodeURIComponent('CLI keys create')}`);
    const mine = created.find((e) => e.target === id);
    assert.ok(mine, 'the create is in the log');
    assert.equal(mine.principalKind, 'cli');
    assert.match(mine.principalId ?? '', /^cli:./);
    assert.deepEqual(
      [
        (mine.change?.after as { role: string }).role,
        (mine.change?.after as { name: string }).name,
        mine.change?.before,
      ],
      ['operator', 'from the shell', null],
    );
    assert.ok(!JSON.stringify(mine).includes(key.split('_').slice(2).join('_')), 'not the secret');
    const byOperator = await entries(`principal=${encodeURIComponent(mine.principalId!)}`, 3);
    const revokes = byOperator.filter((e) => e.route === 'keys revoke');
    assert.deepEqual(
      revokes.map((e) => [e.target, e.status]),
      [
        [missing, 404],
        [id, 200],
      ],
    );
    assert.equal((revokes[1]!.change?.before as { revokedAt: null }).revokedAt, null);
    assert.ok(Date.parse((revokes[1]!.change?.after as { revokedAt: string }).revokedAt) > Date.now() - 60_000);
  });
});
