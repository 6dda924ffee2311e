import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueId } from '../support/api.js';
import { FAST_ROLLOUT, RolloutHarness, waitFor } from '../rollout/support.js';

interface RecommendationView {
  id: number;
  baseRevision: number;
  kind: string;
  proposal: { instanceType?: string; expectedSavingPerHour?: number };
  expectedGain: number;
  reason: string;
  status: string;
  template: string | null;
  updatedAt: string;
}

/**
 * A set on local.medium at low demand, held at two instances: two local.small serve it for half
 * the price, which is what the right-sizer should find from the capacity model.
 */
describe('configuration recommendations wired into the loop, per policy.configuration (real workflows, fleet and agents)', () => {
  let h: RolloutHarness;
  let traffic: { stop(): Promise<void> };
  const id = uniqueId('reco');
  before(async () => {
    h = await RolloutHarness.start();
    const created = await h.api.request('POST', '/v1/resource-sets', {
      id,
      provider: 'local',
      minInstances: 2,
      maxInstances: 2,
      instanceType: 'local.medium',
      policy: { intervalSeconds: 5, configuration: { mode: 'recommend', everySeconds: 30 } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await waitFor(
      async () => (await h.instances(id)).filter((i) => i.state === 'running' && i.healthy).length === 2,
      90_000,
    );
    // The canary judge needs traffic to judge anything.
    traffic = h.traffic(id, { concurrency: 2, pauseMs: 50, maxSeconds: 600 });
    // The set's rollout options are the ones it was last given: short bakes, a canary step then all.
    // A type half as fast serves each request in about twice the time: the bar for such a move is
    // the SLO the last step holds the fleet to, so the canary may run up to 3× the baseline's p95.
    const template = uniqueId('medium');
    const version = await h.template(template, {
      instanceType: 'local.medium',
      softwareVersion: 'v1',
      params: { poolSize: 2, cacheSize: 100, queueLimit: 32 },
    });
    const pointed = await h.api.request('PUT', `/v1/resource-sets/${id}/template`, {
      template,
      version,
      rollout: { ...FAST_ROLLOUT, latencyAllowedIncrease: 3, steps: [{ instances: 1 }, { percent: 100 }] },
    });
    assert.equal(pointed.status, 200, JSON.stringify(pointed.body));
    await waitFor(async () => (await h.rollouts(id)).length > 0, 30_000);
    assert.equal((await h.finished(id)).status, 'promoted');
  });
  after(async () => {
    await traffic?.stop();
    await h.close();
  });

  const config = async () =>
    (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status.config as {
      stable: { revision: number; instanceType: string; template: string };
      desired: { revision: number };
    };
  const openProposal = async (): Promise<RecommendationView | undefined> => {
    const { revision } = (await config()).stable;
    const listed = await h.api.request('GET', `/v1/resource-sets/${id}/recommendations?status=open`);
    return (listed.body.items as RecommendationView[]).find((r) => r.baseRevision === revision);
  };

  it("in 'recommend' mode lists the right-sizing proposal with its expected gain and rolls nothing out", async () => {
    await waitFor(async () => (await openProposal()) !== undefined, 120_000);
    const first = (await openProposal())!;
    assert.equal(first.kind, 'instance-type');
    assert.equal(first.proposal.instanceType, 'local.small');
    assert.ok(first.expectedGain >= 0.4 && first.expectedGain <= 0.6, `expected gain ${first.expectedGain}`);
    assert.match(first.reason, /2 × local\.small .* instead of 2 × local\.medium/);
    const rollouts = (await h.rollouts(id)).length;
    // The recommender runs again (the same proposal is refreshed, not listed twice) and still nothing moves.
    await waitFor(async () => (await openProposal())?.updatedAt !== first.updatedAt, 90_000);
    assert.equal((await openProposal())!.id, first.id);
    assert.equal((await h.rollouts(id)).length, rollouts, 'no rollout in recommend mode');
    const now = await config();
    assert.equal(now.stable.instanceType, 'local.medium');
    assert.equal(now.desired.revision, now.stable.revision);
    for (const i of await h.instances(id)) assert.equal(i.instanceType, 'local.medium');
  });

  it("in 'auto' mode rolls the proposal out through the canary steps, and every instance ends on the new type", async () => {
    const proposal = (await openProposal())!;
    const rollouts = (await h.rollouts(id)).length;
    const patched = await h.api.request('PATCH', `/v1/resource-sets/${id}/policy`, {
      configuration: { mode: 'auto', everySeconds: 30 },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await waitFor(async () => (await h.rollouts(id)).length > rollouts, 90_000);
    const rollout = await h.finished(id, 240_000);
    assert.equal(rollout.status, 'promoted', JSON.stringify(rollout.steps, null, 1));
    assert.equal(rollout.to.instanceType, 'local.small');
    assert.equal(rollout.steps[0]!.target, 1, 'a canary step first');
    assert.equal(rollout.steps[0]!.analyses.at(-1)?.verdict, 'pass');
    const applied = (await h.api.request('GET', `/v1/resource-sets/${id}/recommendations?status=applied`)).body
      .items as RecommendationView[];
    const mine = applied.find((r) => r.id === proposal.id);
    assert.ok(mine, 'the proposal is marked applied');
    assert.equal(mine.template, `${id}-recommended`);
    assert.equal((await config()).stable.instanceType, 'local.small');
    await waitFor(async () => (await h.instances(id)).length === 2, 60_000);
    for (const i of await h.instances(id)) assert.equal(i.instanceType, 'local.small');
    const again = await h.api.request(
      'POST',
      `/v1/resource-sets/${id}/recommendations/${proposal.id}/apply`,
      undefined,
      { as: 'operator' },
    );
    assert.equal(again.status, 409, 'an applied recommendation is not applied twice');
  });
});
