import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueId } from '../support/api.js';
import { FAST_ROLLOUT, loadedFleet, type RolloutHarness, waitFor } from './support.js';

describe("the sample service's regressed versions are rolled back automatically (real workflows, fleet and agents)", () => {
  let h: RolloutHarness;
  let id: string;
  let stop: () => Promise<void>;
  before(async () => {
    ({ h, id, stop } = await loadedFleet(3));
  });
  after(() => stop());

  const rollOut = async (softwareVersion: string) => {
    const name = uniqueId(softwareVersion);
    const version = await h.template(name, {
      instanceType: 'local.small',
      softwareVersion,
      params: { poolSize: 2, cacheSize: 100, queueLimit: 32 },
    });
    const before = (await h.rollouts(id)).length;
    const pointed = await h.api.request('PUT', `/v1/resource-sets/${id}/template`, {
      template: name,
      version,
      rollout: FAST_ROLLOUT,
    });
    assert.equal(pointed.status, 200, JSON.stringify(pointed.body));
    await waitFor(async () => (await h.rollouts(id)).length > before, 30_000);
    return h.finished(id);
  };

  const assertAllOnBoot = async () => {
    await waitFor(async () => (await h.instances(id)).length === 3, 60_000);
    for (const i of await h.configured(id)) {
      assert.equal(i.image, 'sample-service:v1', `${i.id} is left on ${i.image}`);
      assert.equal(i.version, 1, i.id);
    }
    const config = (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status.config;
    assert.equal(config.stable.template, null);
    assert.equal(config.desired.template, null, 'a failed version is not tried again by itself');
  };

  it('v4 (5% errors) fails the canary step on the critical error metric, and every instance is back on v1', async () => {
    const rollout = await rollOut('v4');
    assert.equal(rollout.status, 'rolled-back', JSON.stringify(rollout.steps, null, 1));
    const [canary, ...rest] = rollout.steps;
    assert.equal(canary!.phase, 'forward');
    assert.equal(canary!.target, 1);
    const verdict = canary!.analyses.at(-1)!;
    assert.equal(verdict.verdict, 'fail');
    assert.equal(verdict.action, 'rollback');
    assert.match(verdict.reason, /critical metric failed: errorRate/);
    assert.deepEqual(
      rest.map((s) => s.phase),
      ['revert'],
      'no step after the failed one',
    );
    assert.deepEqual(rest[0]!.applied!.replaced, canary!.applied!.launched, 'the canary is the instance put back');
    await assertAllOnBoot();
  });

  it('v3 (+30% service time) fails the canary step on p95 latency, and every instance is back on v1', async () => {
    const rollout = await rollOut('v3');
    assert.equal(rollout.status, 'rolled-back', JSON.stringify(rollout.steps, null, 1));
    const verdict = rollout.steps[0]!.analyses.at(-1)!;
    assert.equal(verdict.verdict, 'fail');
    assert.equal(verdict.metrics.find((m) => m.name === 'latencyP95Ms')?.classification, 'High', verdict.reason);
    await assertAllOnBoot();
  });
});
