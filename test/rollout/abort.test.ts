import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueId } from '../support/api.js';
import { FAST_ROLLOUT, loadedFleet, type RolloutHarness, waitFor, type RolloutView } from './support.js';

describe('abort mid-step puts every touched instance back (real workflows, fleet and agents)', () => {
  let h: RolloutHarness;
  let id: string;
  let stop: () => Promise<void>;
  before(async () => {
    ({ h, id, stop } = await loadedFleet(3));
  });
  after(() => stop());

  const start = async (body: unknown, steps: unknown): Promise<number> => {
    const name = uniqueId('abort');
    const version = await h.template(name, body);
    const before = (await h.rollouts(id)).length;
    const pointed = await h.api.request('PUT', `/v1/resource-sets/${id}/template`, {
      template: name,
      version,
      rollout: { ...FAST_ROLLOUT, steps },
    });
    assert.equal(pointed.status, 200, JSON.stringify(pointed.body));
    await waitFor(async () => (await h.rollouts(id)).length > before, 30_000);
    return pointed.body.desired.revision as number;
  };
  const current = async (): Promise<RolloutView> => (await h.rollouts(id))[0]!;
  const assertAllOnBoot = async () => {
    await waitFor(async () => (await h.instances(id)).length === 3, 60_000);
    for (const i of await h.configured(id)) {
      assert.equal(i.image, 'sample-service:v1', i.id);
      assert.equal(i.version, 1, `${i.id} runs configuration ${i.version}`);
    }
  };

  it('a rollback requested during the bake reverts the reconfigured instances, step by step', async () => {
    const revision = await start(
      { instanceType: 'local.small', softwareVersion: 'v1', params: { poolSize: 3, cacheSize: 100, queueLimit: 32 } },
      [{ instances: 2 }, { percent: 100 }],
    );
    await waitFor(
      async () => (await current()).steps[0]?.applied !== null && (await current()).steps[0]?.applied !== undefined,
      60_000,
    );
    const touched = (await current()).steps[0]!.applied!.configured;
    assert.equal(touched.length, 2, 'parameters apply in place');
    const onNew = (await h.configured(id)).filter((i) => i.version === revision).map((i) => i.id);
    assert.deepEqual(onNew.sort(), [...touched].sort());

    const rollback = await h.api.request(
      'POST',
      `/v1/resource-sets/${id}/rollback`,
      { mode: 'staged' },
      { as: 'operator' },
    );
    assert.equal(rollback.status, 202);
    assert.match(rollback.body.abortedRollout, /^rollout-/);
    const done = await h.finished(id);
    assert.equal(done.status, 'aborted');
    assert.equal(done.steps[0]!.analyses.length, 0, 'aborted before the verdict');
    const reverts = done.steps.filter((s) => s.phase === 'revert');
    assert.deepEqual(
      reverts.map((s) => s.target),
      [2, 3],
      'staged: the same steps back',
    );
    assert.ok(done.events.some((e) => /abort requested \(staged\)/.test(e.message)));
    await assertAllOnBoot();
  });

  it('an abort while instances are being replaced reverts them once the replacement is done', async () => {
    await start(
      { instanceType: 'local.small', softwareVersion: 'v2', params: { poolSize: 2, cacheSize: 100, queueLimit: 32 } },
      [{ percent: 50 }, { percent: 100 }],
    );
    // The replacement surges first: a fourth instance means the step is under way.
    await waitFor(async () => (await h.instances(id)).length > 3, 60_000, 200);
    const abort = await h.api.request(
      'POST',
      `/v1/resource-sets/${id}/rollout/abort`,
      { mode: 'immediate' },
      { as: 'operator' },
    );
    assert.equal(abort.status, 202);
    const done = await h.finished(id);
    assert.equal(done.status, 'aborted', JSON.stringify(done.steps, null, 1));
    const [forward, revert] = done.steps;
    assert.equal(forward!.applied!.launched.length, 2);
    assert.deepEqual(
      [...revert!.applied!.replaced].sort(),
      [...forward!.applied!.launched].sort(),
      'exactly the touched instances went back',
    );
    await assertAllOnBoot();
  });
});
