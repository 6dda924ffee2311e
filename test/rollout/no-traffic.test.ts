import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueId } from '../support/api.js';
import { FAST_ROLLOUT, RolloutHarness, waitFor } from './support.js';

describe('a canary with no traffic is inconclusive: it waits, then pauses for an operator (real workflows, fleet and agents)', () => {
  let h: RolloutHarness;
  let id: string;
  before(async () => {
    h = await RolloutHarness.start();
    id = await h.fleet(2);
  });
  after(() => h.close());

  it('neither rolls back nor promotes on no evidence, and judges once traffic flows after a resume', async () => {
    const name = uniqueId('web');
    const version = await h.template(name, {
      instanceType: 'local.small',
      softwareVersion: 'v2',
      params: { poolSize: 3, cacheSize: 200, queueLimit: 32 },
    });
    const rollout = {
      ...FAST_ROLLOUT,
      steps: [{ instances: 1 }, { percent: 100 }],
      inconclusiveLimit: 1,
      latencyAllowedIncrease: 1.5,
    };
    const pointed = await h.api.request('PUT', `/v1/resource-sets/${id}/template`, {
      template: name,
      version,
      rollout,
    });
    assert.equal(pointed.status, 200, JSON.stringify(pointed.body));

    await waitFor(async () => (await h.rollouts(id))[0]?.status === 'paused', 150_000);
    const paused = (await h.rollouts(id))[0]!;
    assert.deepEqual(
      paused.steps.map((s) => s.phase),
      ['forward'],
      'no revert step: nothing rolled back',
    );
    const analyses = paused.steps[0]!.analyses;
    assert.deepEqual(
      analyses.map((a) => [a.verdict, a.action]),
      [
        ['inconclusive', 'wait'],
        ['inconclusive', 'pause'],
      ],
      JSON.stringify(analyses, null, 1),
    );
    assert.match(analyses[0]!.reason, /latencyP95Ms \(NoData\)/);
    assert.ok(paused.events.some((e) => /paused for an operator/.test(e.message)));
    const images = (await h.instances(id)).map((i) => i.image).sort();
    assert.deepEqual(images, ['sample-service:v1', 'sample-service:v2'], 'the canary stays, the rest stays on v1');
    const conditions = (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.conditions as {
      type: string;
      status: string;
      reason: string;
    }[];
    const rolloutCondition = conditions.find((c) => c.type === 'Rollout')!;
    assert.deepEqual(
      [rolloutCondition.status, rolloutCondition.reason],
      ['False', 'Paused'],
      'waiting for an operator is something to alert on',
    );
    assert.equal(conditions[0]!.status, 'False');
    // Still paused a bake later: a pause waits for the operator, not for a timer.
    await new Promise((r) => setTimeout(r, FAST_ROLLOUT.bakeSeconds * 1000));
    assert.equal((await h.rollouts(id))[0]!.status, 'paused');

    const load = h.traffic(id);
    try {
      const resumed = await h.api.request('POST', `/v1/resource-sets/${id}/rollout/resume`, {}, { as: 'operator' });
      assert.equal(resumed.status, 202, JSON.stringify(resumed.body));
      const done = await h.finished(id);
      assert.equal(done.status, 'promoted', JSON.stringify(done.steps, null, 1));
      const canary = done.steps[0]!.analyses;
      assert.deepEqual(
        canary.map((a) => a.action),
        ['wait', 'pause', 'promote'],
      );
      assert.equal(canary[2]!.verdict, 'pass', canary[2]!.reason);
      assert.ok(canary[2]!.canarySamples > 0 && canary[2]!.baselineSamples > 0);
    } finally {
      await load.stop();
    }
  });
});
