import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueId } from '../support/api.js';
import { FAST_ROLLOUT, loadedFleet, type RolloutHarness, waitFor } from './support.js';

describe('the worker killed mid-rollout (real workflows, fleet and agents)', () => {
  let h: RolloutHarness;
  let id: string;
  let stop: () => Promise<void>;
  before(async () => {
    ({ h, id, stop } = await loadedFleet(3));
  });
  after(() => stop());

  it('resumes on a new worker and ends consistent: every instance on the new version, none left over', async () => {
    const name = uniqueId('restart');
    const version = await h.template(name, {
      instanceType: 'local.small',
      softwareVersion: 'v2',
      params: { poolSize: 3, cacheSize: 100, queueLimit: 32 },
    });
    const pointed = await h.api.request('PUT', `/v1/resource-sets/${id}/template`, {
      template: name,
      version,
      rollout: { ...FAST_ROLLOUT, latencyAllowedIncrease: 1.5, steps: [{ instances: 1 }, { percent: 100 }] },
    });
    assert.equal(pointed.status, 200, JSON.stringify(pointed.body));
    const revision = pointed.body.desired.revision as number;

    // Killed while the canary's replacement is under way: the surge instance exists.
    await waitFor(async () => (await h.instances(id)).length > 3, 60_000, 200);
    await h.killWorker();
    const launchedWhileDown = (await h.instances(id)).length;
    await new Promise((r) => setTimeout(r, 3_000));
    await h.startWorker();

    const rollout = await h.finished(id, 240_000);
    assert.equal(rollout.status, 'promoted', JSON.stringify(rollout.steps, null, 1));
    const canary = rollout.steps[0]!;
    assert.equal(canary.applied!.launched.length, 1, 'the retried replacement launched nothing twice');
    assert.equal(canary.analyses.at(-1)!.verdict, 'pass');
    await waitFor(async () => (await h.instances(id)).length === 3, 60_000);
    assert.ok(launchedWhileDown <= 4, `${launchedWhileDown} instances while the worker was down`);
    for (const i of await h.configured(id)) {
      assert.equal(i.image, 'sample-service:v2', i.id);
      assert.equal(i.version, revision, i.id);
    }
    const state = (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status;
    assert.equal(state.config.stable.revision, revision);
    assert.equal(state.activeRollout, null);
  });
});
