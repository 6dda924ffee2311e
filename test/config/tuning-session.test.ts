import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TuningProgress } from '../../src/workflows/tuning-messages.js';
import { uniqueId } from '../support/api.js';
import { FAST_ROLLOUT, RolloutHarness, waitFor } from '../rollout/support.js';
import { finishedSession, tuningFleet } from './tuning-fleet.js';

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
    // The set's rollout options (short bakes, 5 s samples) are what trials are judged with.
    const fleet = await tuningFleet(h, id, { mode: 'recommend' }, { ...FAST_ROLLOUT, steps: [{ percent: 100 }] });
    traffic = fleet.traffic;
    stableRevision = fleet.stable.revision;
  });
  after(async () => {
    await traffic?.stop();
    await h.close();
  });

  it('refuses unknown parameters and bounds outside the schema with 400', async () => {
    for (const parameters of [
      ['threads'],
      [{ name: 'poolSize', min: 0, max: 8 }],
      [{ name: 'poolSize', min: 4, max: 600 }],
      ['poolSize', 'poolSize'],
    ]) {
      const res = await h.api.request('POST', `/v1/resource-sets/${id}/tuning`, { parameters, trials: 2 });
      assert.equal(res.status, 400, `${JSON.stringify(parameters)}: ${JSON.stringify(res.body)}`);
    }
    const tooMany = await h.api.request('POST', `/v1/resource-sets/${id}/tuning`, { trials: 21 });
    assert.equal(tooMany.status, 400);
    assert.equal(
      (await h.api.request('GET', `/v1/resource-sets/${id}/tuning`)).body.items.length,
      0,
      'nothing started',
    );
  });

  it('runs three canary trials, the third by expected improvement, puts every canary back, and lists the best safe pool size with its measured gain', async (t) => {
    // The running pool size (2) lies in the space: its measurement in the first safe trial's window
    // is the tuner's first point, so two trials fill the space and the third is the surrogate's pick.
    const started = await h.api.request('POST', `/v1/resource-sets/${id}/tuning`, {
      parameters: [{ name: 'poolSize', min: 2, max: 16 }],
      trials: 3,
      bakeSeconds: 15,
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const sessionId = started.body.id as string;
    const again = await h.api.request('POST', `/v1/resource-sets/${id}/tuning`, { trials: 1 });
    assert.equal(again.status, 409, 'one configuration change at a time');

    const session = await finishedSession(h, id, sessionId);
    assert.equal(session.status, 'completed', JSON.stringify(session, null, 1));
    assert.equal(session.trials.length, 3);
    for (const trial of session.trials) {
      assert.ok(
        Number(trial.params.poolSize) >= 2 && Number(trial.params.poolSize) <= 16,
        `trial ${trial.index}: ${JSON.stringify(trial.params)}`,
      );
      assert.ok(trial.verdict, `trial ${trial.index} was judged: ${trial.note}`);
      assert.ok(trial.release && trial.canary && trial.baseline.length === 1, JSON.stringify(trial));
      if (trial.safe) assert.ok(trial.canaryP95Ms! > 0 && trial.baselineP95Ms! > 0);
    }
    // Every canary is back on the stable release; nothing else was rolled out in recommend mode.
    await waitFor(
      async () => h.api.request('GET', `/v1/resource-sets/${id}`).then((r) => r.body.status.activeRollout === null),
      30_000,
    );
    for (const i of await h.configured(id))
      assert.equal(i.version, stableRevision, `${i.id} is back on the stable release`);
    assert.equal((await h.rollouts(id)).length, 1, 'no rollout in recommend mode');

    for (const trial of session.trials) {
      t.diagnostic(
        `trial ${trial.index + 1}: ${JSON.stringify(trial.params)} (${trial.basis}) ${trial.verdict?.verdict}, p95 ${trial.canaryP95Ms?.toFixed(1)} vs ${trial.baselineP95Ms?.toFixed(1)} ms, gain ${trial.gain?.toFixed(3)}`,
      );
    }
    // The GP fit and acquisition ran (in the local activity): a point chosen by expected improvement, none tried before.
    const trials = session.trials.map((x) => [x.params.poolSize, x.basis, x.safe]);
    assert.deepEqual(
      session.trials.map((x) => x.basis),
      ['space-filling', 'space-filling', 'expected-improvement'],
      JSON.stringify(trials),
    );
    const third = session.trials[2]!;
    assert.ok(third.predictedGain !== null && third.predictedGain >= 0, JSON.stringify(third));
    assert.ok(
      ![2, ...session.trials.slice(0, 2).map((x) => x.params.poolSize)].includes(third.params.poolSize),
      JSON.stringify(trials),
    );
    const best = session.best;
    assert.ok(
      best,
      `some pool size beat two workers under queueing: ${JSON.stringify(session.trials.map((t) => [t.params, t.canaryP95Ms, t.baselineP95Ms, t.verdict?.verdict]))}`,
    );
    assert.equal(best.gain, Math.max(...session.trials.filter((t) => t.safe).map((t) => t.gain ?? -Infinity)));
    const listed = (await h.api.request('GET', `/v1/resource-sets/${id}/recommendations?status=open`)).body.items as {
      id: number;
      kind: string;
      expectedGain: number;
      baseRevision: number;
      proposal: { params: Record<string, number> };
    }[];
    const mine = listed.find((r) => r.id === session.recommendation?.id);
    assert.ok(mine, JSON.stringify(listed));
    assert.equal(mine.kind, 'app-params');
    assert.equal(mine.baseRevision, stableRevision);
    assert.equal(mine.expectedGain, best.gain);
    assert.deepEqual(mine.proposal.params, { poolSize: best.params.poolSize, cacheSize: 100, queueLimit: 32 });
    const all = (await h.api.request('GET', `/v1/resource-sets/${id}/tuning`)).body.items as TuningProgress[];
    assert.deepEqual(
      all.map((s) => s.id),
      [sessionId],
    );
  });
});
