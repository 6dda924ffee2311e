import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { workflowIdFor } from '../../src/domain/resource-set.js';
import { STALE_SPEC } from '../../src/domain/policy-change.js';
import { changeResourceSetSpec } from '../../src/store/resource-sets.js';
import { policySpecSignal, setPolicyUpdate, stateQuery } from '../../src/workflows/resource-set-messages.js';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';
import { waitFor } from '../support/wait.js';

describe('PATCH …/policy stores the desired spec and signals the loop (real dev server, real Postgres)', () => {
  let api: TestApi;
  // No worker at first: the loop is as far behind as it can be.
  before(async () => {
    api = await startTestApi({ workers: false });
  });
  after(async () => {
    await api.close();
  });
  const loop = (id: string) => api.ctx.temporal.client.workflow.getHandle(workflowIdFor(id));

  it("concurrent PATCHes while no worker runs are all answered 200, none loses another's field, and the loop ends on the newest spec", async () => {
    const id = uniqueId('desired');
    assert.equal(
      (await api.request('POST', '/v1/resource-sets', { id, provider: 'local', minInstances: 0, maxInstances: 2 }))
        .status,
      201,
    );
    // Each writer changes its own field: a lost write would leave one at its default.
    const patches = [
      { maxInstances: 7 },
      { targetUtilization: 0.55 },
      { leadTimeSeconds: 120 },
      { scaleInStabilizationSeconds: 600 },
      { maxScaleInStep: 3 },
      { intervalSeconds: 30 },
      { mode: 'forecast-only' },
      { minInstances: 1 },
    ];
    const started = Date.now();
    const answers = await Promise.all(patches.map((p) => api.request('PATCH', `/v1/resource-sets/${id}/policy`, p)));
    assert.deepEqual(
      answers.map((a) => a.status),
      patches.map(() => 200),
      JSON.stringify(answers.map((a) => a.body as unknown)),
    );
    assert.ok(Date.now() - started < 10_000, "answered without a worker, well within the API's deadline on Temporal");
    const versions = answers.map((a) => a.body.specVersion as number).sort((a, b) => a - b);
    assert.deepEqual(
      versions,
      patches.map((_, k) => k + 2),
      'one version per write, from 2 (1 is the create)',
    );

    const { rows } = await api.database.db.query<{ spec: Record<string, any>; v: number }>(
      'SELECT spec, spec_version::int AS v FROM resource_sets WHERE id = $1',
      [id],
    );
    const stored = rows[0]!;
    assert.equal(stored.v, patches.length + 1);
    assert.deepEqual(
      { ...stored.spec.policy, minInstances: stored.spec.minInstances, maxInstances: stored.spec.maxInstances },
      { ...stored.spec.policy, ...Object.assign({}, ...patches) },
      "every writer's field is in the stored spec",
    );

    await api.startWorkers();
    const state = await waitFor(
      'the loop on the newest spec',
      async () => {
        const s = await loop(id).query(stateQuery);
        return s.specVersion === stored.v ? s : undefined;
      },
      60_000,
    );
    assert.deepEqual(state.spec, stored.spec);
    const history = await loop(id).fetchHistory();
    const signals = history.events!.filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'policySpec',
    );
    assert.equal(signals.length, patches.length, 'one signal per write');
    assert.equal(
      history.events!.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes).length,
      0,
      'no update: nothing waited on a worker',
    );
  });

  it('a stale or repeated signal is ignored; a newer one applies', async () => {
    const id = uniqueId('stale');
    assert.equal(
      (await api.request('POST', '/v1/resource-sets', { id, provider: 'local', minInstances: 0, maxInstances: 2 }))
        .status,
      201,
    );
    const patched = await api.request('PATCH', `/v1/resource-sets/${id}/policy`, { maxInstances: 5 });
    assert.equal(patched.status, 200);
    const { spec, specVersion } = patched.body;
    await waitFor(
      'the patch applied',
      async () => (await loop(id).query(stateQuery)).specVersion === specVersion,
      30_000,
    );

    await loop(id).signal(policySpecSignal, { spec: { ...spec, maxInstances: 9 }, version: specVersion - 1 });
    await loop(id).signal(policySpecSignal, { spec: { ...spec, maxInstances: 9 }, version: specVersion });
    const after = await loop(id).query(stateQuery);
    assert.equal(after.spec.maxInstances, 5, 'an older or the same version changes nothing');
    assert.equal(after.specVersion, specVersion);

    await loop(id).signal(policySpecSignal, { spec: { ...spec, maxInstances: 6 }, version: specVersion + 1 });
    assert.equal((await loop(id).query(stateQuery)).spec.maxInstances, 6);
  });

  it('a spec stored without its signal (the API died in between) is adopted at the next iteration, even one that fails', async () => {
    const id = uniqueId('unsignalled');
    const created = await api.request('POST', '/v1/resource-sets', {
      id,
      provider: 'local',
      minInstances: 0,
      maxInstances: 2,
      policy: { intervalSeconds: 5 },
    });
    assert.equal(created.status, 201);
    // No local cloud runs here: every iteration fails on observing the fleet (after its local
    // retries, about a minute), the case where a fixed spec matters most.
    assert.equal((await loop(id).query(stateQuery)).specVersion, undefined);
    // What PATCH does before it signals: the row alone.
    const changed = await changeResourceSetSpec(api.database.db, id, ({ spec }) => ({ ...spec, maxInstances: 4 }));
    const version = changed!.after.specVersion;
    const state = await waitFor(
      'the loop on the stored spec',
      async () => {
        const s = await loop(id).query(stateQuery);
        return s.specVersion === version ? s : undefined;
      },
      150_000,
    );
    assert.equal(state.spec.maxInstances, 4);
    const signals = (await loop(id).fetchHistory()).events!.filter(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'policySpec',
    );
    assert.equal(signals.length, 0, 'read from the store, not signalled');
  });

  it("the update of API processes from before still changes the loop's spec, refusing a stale If-Match the same way", async () => {
    const id = uniqueId('legacy');
    assert.equal(
      (await api.request('POST', '/v1/resource-sets', { id, provider: 'local', minInstances: 0, maxInstances: 2 }))
        .status,
      201,
    );
    const spec = await loop(id).executeUpdate(setPolicyUpdate, { args: [{ maxInstances: 3 }] });
    assert.equal(spec.maxInstances, 3);
    const stale = await loop(id)
      .executeUpdate(setPolicyUpdate, { args: [{ maxInstances: 4 }, { ifMatch: '"0000000000000000"' }] })
      .then(
        () => '',
        (err: Error) => (err.cause as Error | undefined)?.message ?? err.message,
      );
    assert.ok(stale.startsWith(STALE_SPEC), stale);
    const invalid = await loop(id)
      .executeUpdate(setPolicyUpdate, { args: [{ minInstances: 9 }] })
      .then(
        () => '',
        (err: Error) => (err.cause as Error | undefined)?.message ?? err.message,
      );
    assert.match(invalid, /maxInstances: must be at least minInstances/);
  });

  it('a repeat of the same PATCH writes nothing and keeps the version; If-Match still guards the stored spec', async () => {
    const id = uniqueId('repeat');
    assert.equal(
      (await api.request('POST', '/v1/resource-sets', { id, provider: 'local', minInstances: 0, maxInstances: 2 }))
        .status,
      201,
    );
    const first = await api.request('PATCH', `/v1/resource-sets/${id}/policy`, { maxInstances: 4 });
    const again = await api.request('PATCH', `/v1/resource-sets/${id}/policy`, { maxInstances: 4 });
    assert.equal(again.status, 200);
    assert.equal(again.body.specVersion, first.body.specVersion);
    assert.equal(again.headers.get('etag'), first.headers.get('etag'));
    const stale = await api.request(
      'PATCH',
      `/v1/resource-sets/${id}/policy`,
      { maxInstances: 3 },
      { headers: { 'if-match': '"0000000000000000"' } },
    );
    assert.equal(stale.status, 412);
    const current = await api.request(
      'PATCH',
      `/v1/resource-sets/${id}/policy`,
      { maxInstances: 3 },
      { headers: { 'if-match': first.headers.get('etag')! } },
    );
    assert.equal(current.status, 200);
    assert.equal(current.body.specVersion, first.body.specVersion + 1);
  });
});
