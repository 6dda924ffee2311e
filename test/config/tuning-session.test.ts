import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TuningProgress } from '../../src/workflows/tuning-messages.js';
import { uniqueId } from '../support/api.js';
import { FAST_ROLLOUT, RolloutHarness, waitFor } from '../rollout/support.js';

/**
 * A two-instance set under steady traffic that queues on its two workers: a tuning session over
 * the pool size runs each trial as a canary judged against the other instance, puts the canary
 * back, and lists the best safe pool size as an `app-params` recommendation with its measured gain.
 */
describe('app-parameter tuning session (real workflows, fleet, agents and canary judge)', () => {
  let h: RolloutHarness;
  let traffic: { stop(): Promise<void> };
  const id = uniqueId('tune');
  let stableRevision = 0;
  before(async () => {
    h = await RolloutHarness.start();
    const created = await h.api.request('POST', '/v1/resource-sets', {
      id, provider: 'local', minInstances: 2, maxInstances: 2, policy: { intervalSeconds: 5, configuration: { mode: 'recommend', everySeconds: 3600 } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await waitFor(async () => (await h.instances(id)).filter((i) => i.state === 'running' && i.healthy).length === 2, 90_000);
    // About three requests at a time per instance: two workers queue, more do not.
    traffic = h.traffic(id, { concurrency: 6, pauseMs: 20, maxSeconds: 900 });
    // The set's rollout options (short bakes, 5 s samples) are what trials are judged with.
    const template = uniqueId('base');
    const version = await h.template(template, { instanceType: 'local.small', softwareVersion: 'v1', params: { poolSize: 2, cacheSize: 100, queueLimit: 32 } });
    const pointed = await h.api.request('PUT', `/v1/resource-sets/${id}/template`, { template, version, rollout: { ...FAST_ROLLOUT, steps: [{ percent: 100 }] } });
    assert.equal(pointed.status, 200, JSON.stringify(pointed.body));
    await waitFor(async () => (await h.rollouts(id)).length > 0, 30_000);
    assert.equal((await h.finished(id)).status, 'promoted');
    stableRevision = (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status.config.stable.revision as number;
  });
  after(async () => {
    await traffic?.stop();
    await h.close();
  });

  it('refuses unknown parameters and bounds outside the schema with 400', async () => {
    for (const parameters of [['threads'], [{ name: 'poolSize', min: 0, max: 8 }], [{ name: 'poolSize', min: 4, max: 600 }], ['poolSize', 'poolSize']]) {
      const res = await h.api.request('POST', `/v1/resource-sets/${id}/tuning`, { parameters, trials: 2 });
      assert.equal(res.status, 400, `${JSON.stringify(parameters)}: ${JSON.stringify(res.body)}`);
    }
    const tooMany = await h.api.request('POST', `/v1/resource-sets/${id}/tuning`, { trials: 21 });
    assert.equal(tooMany.status, 400);
    assert.equal((await h.api.request('GET', `/v1/resource-sets/${id}/tuning`)).body.items.length, 0, 'nothing started');
  });

  it('runs three canary trials, puts every canary back, and lists the best safe pool size with its measured gain', async (t) => {
    const started = await h.api.request('POST', `/v1/resource-sets/${id}/tuning`, { parameters: [{ name: 'poolSize', min: 3, max: 16 }], trials: 3, bakeSeconds: 15 });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const sessionId = started.body.id as string;
    const again = await h.api.request('POST', `/v1/resource-sets/${id}/tuning`, { trials: 1 });
    assert.equal(again.status, 409, 'one configuration change at a time');

    let session: TuningProgress | undefined;
    await waitFor(async () => {
      const res = await h.api.request('GET', `/v1/resource-sets/${id}/tuning/${sessionId}`);
      session = res.status === 200 ? res.body as TuningProgress : undefined;
      return session?.finishedAt != null;
    }, 360_000, 2_000);
    assert.equal(session!.status, 'completed', JSON.stringify(session, null, 1));
    assert.equal(session!.trials.length, 3);
    for (const trial of session!.trials) {
      assert.ok(trial.params.poolSize! >= 3 && trial.params.poolSize! <= 16, `trial ${trial.index}: ${JSON.stringify(trial.params)}`);
      assert.ok(trial.verdict, `trial ${trial.index} was judged: ${trial.note}`);
      assert.ok(trial.release && trial.canary && trial.baseline.length === 1, JSON.stringify(trial));
      if (trial.safe) assert.ok(trial.canaryP95Ms! > 0 && trial.baselineP95Ms! > 0);
    }
    // Every canary is back on the stable release; nothing else was rolled out in recommend mode.
    await waitFor(async () => h.api.request('GET', `/v1/resource-sets/${id}`).then((r) => r.body.status.activeRollout === null), 30_000);
    for (const i of await h.configured(id)) assert.equal(i.version, stableRevision, `${i.id} is back on the stable release`);
    assert.equal((await h.rollouts(id)).length, 1, 'no rollout in recommend mode');

    for (const trial of session!.trials) {
      t.diagnostic(`trial ${trial.index + 1}: ${JSON.stringify(trial.params)} (${trial.basis}) ${trial.verdict?.verdict}, p95 ${trial.canaryP95Ms?.toFixed(1)} vs ${trial.baselineP95Ms?.toFixed(1)} ms, gain ${trial.gain?.toFixed(3)}`);
    }
    const best = session!.best;
    assert.ok(best, `some pool size beat two workers under queueing: ${JSON.stringify(session!.trials.map((t) => [t.params, t.canaryP95Ms, t.baselineP95Ms, t.verdict?.verdict]))}`);
    assert.equal(best.gain, Math.max(...session!.trials.filter((t) => t.safe).map((t) => t.gain ?? -Infinity)));
    const listed = (await h.api.request('GET', `/v1/resource-sets/${id}/recommendations?status=open`)).body.items as {
      id: number; kind: string; expectedGain: number; baseRevision: number; proposal: { params: Record<string, number> };
    }[];
    const mine = listed.find((r) => r.id === session!.recommendation?.id);
    assert.ok(mine, JSON.stringify(listed));
    assert.equal(mine.kind, 'app-params');
    assert.equal(mine.baseRevision, stableRevision);
    assert.equal(mine.expectedGain, best.gain);
    assert.deepEqual(mine.proposal.params, { poolSize: best.params.poolSize, cacheSize: 100, queueLimit: 32 });
    const all = (await h.api.request('GET', `/v1/resource-sets/${id}/tuning`)).body.items as TuningProgress[];
    assert.deepEqual(all.map((s) => s.id), [sessionId]);
  });
});
