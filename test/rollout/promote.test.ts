import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueId } from '../support/api.js';
import { FAST_ROLLOUT, loadedFleet, type RolloutHarness, waitFor } from './support.js';

describe('a good version through every step, then a manual rollback (real workflows, fleet and agents)', () => {
  let h: RolloutHarness;
  let id: string;
  let stop: () => Promise<void>;
  before(async () => {
    ({ h, id, stop } = await loadedFleet(3));
  });
  after(() => stop());

  it('promotes v2 through canary → 25% → 50% → 100%, judged at each step', async () => {
    const name = uniqueId('web');
    const version = await h.template(name, {
      instanceType: 'local.small',
      softwareVersion: 'v2',
      params: { poolSize: 3, cacheSize: 200, queueLimit: 32 },
    });
    const pointed = await h.api.request('PUT', `/v1/resource-sets/${id}/template`, {
      template: name,
      version,
      rollout: { ...FAST_ROLLOUT, latencyAllowedIncrease: 1.5 },
    });
    assert.equal(pointed.status, 200, JSON.stringify(pointed.body));
    const revision = pointed.body.desired.revision as number;

    await waitFor(
      async () => (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status.activeRollout !== null,
      30_000,
    );
    const rollout = await h.finished(id);
    assert.equal(rollout.status, 'promoted', JSON.stringify(rollout.steps, null, 1));
    const forward = rollout.steps.filter((s) => s.phase === 'forward');
    assert.deepEqual(
      forward.map((s) => s.target),
      [1, 1, 2, 3],
    );
    for (const step of forward) {
      assert.equal(step.analyses.length >= 1, true);
      const last = step.analyses.at(-1)!;
      assert.equal(last.verdict, 'pass', last.reason);
      assert.equal(last.action, 'promote');
      assert.ok(last.canary.length >= 1);
    }
    assert.ok(
      forward[0]!.applied!.replaced.length === 1 && forward[0]!.applied!.launched.length === 1,
      'a software change replaces the instance',
    );
    assert.equal(forward[3]!.analyses[0]!.baseline.length, 0, 'at 100% no baseline is left: the SLO judges');

    const state = (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status;
    assert.equal(state.config.stable.revision, revision);
    assert.equal(state.config.previous.template, null);
    await waitFor(async () => (await h.instances(id)).length === 3, 60_000);
    for (const i of await h.configured(id)) {
      assert.equal(i.image, 'sample-service:v2', i.id);
      assert.equal(i.version, revision, i.id);
    }

    const rollback = await h.api.request(
      'POST',
      `/v1/resource-sets/${id}/rollback`,
      { mode: 'immediate' },
      { as: 'operator' },
    );
    assert.equal(rollback.status, 202);
    await waitFor(async () => (await h.rollouts(id))[0]?.kind === 'rollback', 30_000);
    const back = await h.finished(id);
    assert.equal(back.status, 'promoted');
    assert.equal(back.to.template, null);
    await waitFor(async () => (await h.instances(id)).length === 3, 60_000);
    for (const i of await h.configured(id)) {
      assert.equal(i.image, 'sample-service:v1', i.id);
      assert.equal(i.version, 1, i.id);
    }
    const after = (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status.config;
    assert.equal(after.stable.template, null);
    assert.equal(after.desired.template, null, 'the set points at what runs');
  });
});
