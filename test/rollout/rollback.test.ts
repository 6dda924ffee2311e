import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueId } from '../support/api.js';
import { RolloutHarness, waitFor } from './support.js';

// Unjudged, two steps, a short bake: each version change takes seconds, and a staged rollback (which bakes as long) stays under way long enough to be asked again.
const QUICK = { steps: [{ instances: 1 }, { percent: 100 }], bakeSeconds: 10, warmupSeconds: 0, analysis: false };
const params = (poolSize: number) => ({
  instanceType: 'local.small',
  softwareVersion: 'v1',
  params: { poolSize, cacheSize: 100, queueLimit: 32 },
});

describe('rollback is explicit and idempotent (real workflows, fleet and agents)', () => {
  let h: RolloutHarness;
  let id: string;
  before(async () => {
    h = await RolloutHarness.start();
    id = await h.fleet(2);
  });
  after(() => h.close());

  const rollback = (body: unknown) =>
    h.api.request('POST', `/v1/resource-sets/${id}/rollback`, body, { as: 'operator' });
  const promote = async (poolSize: number): Promise<number> => {
    const name = uniqueId('rb');
    const version = await h.template(name, params(poolSize));
    const pointed = await h.api.request('PUT', `/v1/resource-sets/${id}/template`, {
      template: name,
      version,
      rollout: QUICK,
    });
    assert.equal(pointed.status, 200, JSON.stringify(pointed.body));
    const revision = pointed.body.desired.revision as number;
    await waitFor(async () => (await h.rollouts(id))[0]?.to.revision === revision, 30_000);
    assert.equal((await h.finished(id)).status, 'promoted');
    return revision;
  };
  /** The rollout with this id, once finished. */
  const finished = async (workflowId: string) => {
    await waitFor(async () => (await h.rollouts(id))[0]?.id === workflowId, 30_000);
    const done = await h.finished(id);
    assert.equal(done.id, workflowId);
    return done;
  };
  const allOn = async (revision: number) => {
    await waitFor(async () => (await h.configured(id)).every((i) => i.version === revision), 60_000);
    const state = (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status;
    assert.equal(state.config.stable.revision, revision);
  };

  it('twice in a row rolls back once; a third time does not roll forward; an explicit revision goes there', async () => {
    const good = await promote(3);
    const bad = await promote(4);
    const before = (await h.rollouts(id)).length;

    const first = await rollback({ mode: 'staged' });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.toRevision, good, 'the default is the release that was stable before');
    assert.equal(first.body.from.revision, bad);
    assert.equal(first.body.status, 'under-way');
    assert.equal(first.body.repeated, false);
    assert.match(first.body.workflowId, /^rollout-/);
    const second = await rollback({});
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.deepEqual(
      { ...second.body, repeated: false },
      first.body,
      'a repeat answers the rollback already decided, whatever its mode',
    );
    assert.equal(second.body.repeated, true);
    const elsewhere = await rollback({ toRevision: bad });
    assert.equal(elsewhere.status, 409, 'another target while one rollback runs');
    assert.match(elsewhere.body.error.message, new RegExp(`rollback to .*revision ${good}.* is under way`));

    const done = await finished(first.body.workflowId);
    assert.equal(done.kind, 'rollback');
    assert.equal(done.status, 'promoted');
    await allOn(good);

    const third = await rollback({});
    assert.equal(third.status, 200, JSON.stringify(third.body));
    assert.equal(third.body.status, 'done');
    assert.equal(third.body.toRevision, good, 'not a toggle: it does not roll forward to the bad version');
    const same = await rollback({ toRevision: good });
    assert.equal(same.status, 200);
    assert.equal(same.body.workflowId, first.body.workflowId);
    // Two loop intervals: a rollout the repeats had started would be listed by now.
    await new Promise((r) => setTimeout(r, 11_000));
    assert.equal((await h.rollouts(id)).length, before + 1, 'one rollback, however often asked');
    await allOn(good);

    const unknown = await rollback({ toRevision: 424242 });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /^toRevision: revision 424242 is not one this set has run \(known: /);
    assert.equal((await rollback({ toRevision: -1 })).status, 400);

    const boot = await rollback({ toRevision: 1, mode: 'staged' });
    assert.equal(boot.status, 202, JSON.stringify(boot.body));
    assert.equal(boot.body.to.template, null, 'revision 1 is the boot configuration');
    assert.equal(boot.body.from.revision, good);
    const back = await finished(boot.body.workflowId);
    assert.equal(back.status, 'promoted');
    await allOn(1);
    const already = await rollback({ toRevision: 1 });
    assert.equal(already.status, 200);
    assert.equal(already.body.status, 'done');
  });

  it('during a rollout, twice in a row aborts it once and answers the same both times', async () => {
    const stable = (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status.config.stable.revision as number;
    const name = uniqueId('rb');
    const version = await h.template(name, params(5));
    const pointed = await h.api.request('PUT', `/v1/resource-sets/${id}/template`, {
      template: name,
      version,
      rollout: { ...QUICK, bakeSeconds: 60 },
    });
    assert.equal(pointed.status, 200);
    await waitFor(
      async () => (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status.activeRollout !== null,
      30_000,
    );
    const running = (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status.activeRollout
      .workflowId as string;

    const [first, second] = [await rollback({}), await rollback({})];
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body.abortedRollout, running);
    assert.equal(first.body.toRevision, stable, 'aborting brings the fleet back to stable');
    assert.equal(first.body.workflowId, null, 'no rollback rollout is needed for that');
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.abortedRollout, running);
    assert.equal(second.body.repeated, true);

    const done = await finished(running);
    assert.equal(done.status, 'aborted');
    await allOn(stable);
    const after = await rollback({});
    assert.equal(after.status, 200);
    assert.equal(after.body.status, 'done');
  });
});
