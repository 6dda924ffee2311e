import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueId } from '../support/api.js';
import { FAST_ROLLOUT, loadedFleet, type RolloutHarness, waitFor } from './support.js';

const DEFAULT_PARAMS = { poolSize: 2, cacheSize: 100, queueLimit: 32 };
/** Short holds and few samples (and a one-step promotion): the production defaults hold for longer than a test should run. */
const FAST_EXPERIMENT = {
  durationSeconds: 45,
  warmupSeconds: 5,
  rebalanceSeconds: 10,
  sampleIntervalSeconds: 5,
  confidence: 0.9,
  promotion: { ...FAST_ROLLOUT, steps: [{ percent: 100 }] },
};

interface ExperimentView {
  id: string;
  status: string;
  groups: { a: string[]; b: string[] };
  verdict: { winner: 'a' | 'b'; reason: string; metrics: { name: string; classification: string }[] } | null;
  finishedAt: string | null;
  reason: string | null;
}

describe('A/B experiments on a resource set (real workflows, fleet and agents)', () => {
  let h: RolloutHarness;
  let id: string;
  let stop: () => Promise<void>;
  // Enough load that two workers queue now and then: a bigger pool and cache show in p95 latency.
  before(async () => {
    ({ h, id, stop } = await loadedFleet(2, { concurrency: 6, pauseMs: 25, maxSeconds: 600 }));
  });
  after(() => stop());

  const version = async (softwareVersion: string, params = DEFAULT_PARAMS) => {
    const template = uniqueId(softwareVersion);
    return { template, version: await h.template(template, { instanceType: 'local.small', softwareVersion, params }) };
  };
  const experiment = async (expId: string): Promise<ExperimentView> =>
    (await h.api.request('GET', `/v1/resource-sets/${id}/experiments/${expId}`)).body as ExperimentView;
  /** Runs an experiment to its end and then waits for the rollout of its winner. */
  const run = async (a: unknown, b: unknown) => {
    const rolloutsBefore = (await h.rollouts(id)).length;
    const started = await h.api.request('POST', `/v1/resource-sets/${id}/experiments`, { a, b, ...FAST_EXPERIMENT });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const expId = started.body.id as string;
    await waitFor(async () => (await experiment(expId)).status === 'holding', 90_000);
    const holding = await experiment(expId);
    assert.equal(holding.groups.a.length, 1, JSON.stringify(holding.groups));
    assert.equal(holding.groups.b.length, 1, JSON.stringify(holding.groups));
    const second = await h.api.request('POST', `/v1/resource-sets/${id}/experiments`, { a, b, ...FAST_EXPERIMENT });
    assert.equal(second.status, 409, 'one experiment or rollout at a time');
    await waitFor(async () => (await experiment(expId)).finishedAt !== null, 180_000);
    const done = await experiment(expId);
    await waitFor(async () => (await h.rollouts(id)).length > rolloutsBefore, 60_000);
    return { done, rollout: await h.finished(id) };
  };
  const stable = async () =>
    (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status.config.stable as {
      template: string;
      revision: number;
    };

  it('v1 against v4 (5% errors): A is kept and no instance is left on B', async () => {
    const a = await version('v1');
    const b = await version('v4');
    const { done, rollout } = await run(a, b);
    assert.equal(done.status, 'a-kept', JSON.stringify(done, null, 1));
    assert.equal(done.verdict!.winner, 'a');
    assert.equal(
      done.verdict!.metrics.find((m) => m.name === 'errorRate')?.classification,
      'High',
      done.verdict!.reason,
    );
    // A is a template version the set did not run before: as the winner, it is rolled out.
    assert.equal(rollout.status, 'promoted', JSON.stringify(rollout.steps, null, 1));
    assert.equal((await stable()).template, a.template);
    await waitFor(async () => (await h.instances(id)).length === 2, 60_000);
    for (const i of await h.configured(id)) {
      assert.equal(i.image, 'sample-service:v1', `${i.id} is left on ${i.image}`);
      assert.equal(i.version, (await stable()).revision, i.id);
    }
    const listed = await h.api.request('GET', `/v1/resource-sets/${id}/experiments`);
    assert.equal(listed.body.items[0].id, done.id);
  });

  it('v1 against a better version (v2 with a bigger pool and cache): B wins and is rolled out to every instance', async () => {
    const a = await version('v1');
    const b = await version('v2', { poolSize: 8, cacheSize: 5000, queueLimit: 32 });
    const { done, rollout } = await run(a, b);
    assert.equal(done.status, 'b-won', JSON.stringify(done, null, 1));
    assert.equal(
      done.verdict!.metrics.find((m) => m.name === 'latencyP95Ms')?.classification,
      'Low',
      done.verdict!.reason,
    );
    assert.equal(rollout.status, 'promoted', JSON.stringify(rollout.steps, null, 1));
    assert.equal(rollout.to.template, b.template);
    const config = await stable();
    assert.equal(config.template, b.template);
    await waitFor(async () => (await h.instances(id)).length === 2, 60_000);
    for (const i of await h.configured(id)) {
      assert.equal(i.image, 'sample-service:v2', `${i.id} runs ${i.image}`);
      assert.equal(i.version, config.revision, i.id);
    }
  });
});
