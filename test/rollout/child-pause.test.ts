import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ExperimentProgress } from '../../src/workflows/experiment-messages.js';
import type { TuningProgress } from '../../src/workflows/tuning-messages.js';
import { uniqueId } from '../support/api.js';
import { FAST_ROLLOUT, loadedFleet, type RolloutHarness, waitFor } from './support.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * POST /v1/resource-sets/:id/rollout/:action steers whichever child of the set runs, as it steers
 * a rollout: a pause holds an experiment's hold and a tuning trial's bake (their clocks stand
 * still, and the progress says paused), resume carries on, and an action the child cannot take
 * is refused with 409 rather than dropped.
 */
describe('pause and resume of experiments and tuning sessions (real workflows, fleet and agents)', () => {
  let h: RolloutHarness;
  let id: string;
  let stop: () => Promise<void>;
  before(async () => {
    ({ h, id, stop } = await loadedFleet(2, { concurrency: 6, pauseMs: 25, maxSeconds: 600 }));
  });
  after(() => stop());

  const steer = (action: string, body?: unknown) =>
    h.api.request('POST', `/v1/resource-sets/${id}/rollout/${action}`, body, { as: 'operator' });
  const version = async (softwareVersion: string, params: Record<string, number>) => {
    const template = uniqueId(softwareVersion);
    return { template, version: await h.template(template, { instanceType: 'local.small', softwareVersion, params }) };
  };
  const stableRevision = async () =>
    (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status.config.stable.revision as number;
  const idle = () =>
    waitFor(
      async () => (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status.activeRollout === null,
      60_000,
    );

  it('an experiment: the hold clock stands still while paused, and the judged hold is as much longer', async () => {
    const a = await version('v1', { poolSize: 2, cacheSize: 100, queueLimit: 32 });
    const b = await version('v2', { poolSize: 8, cacheSize: 5000, queueLimit: 32 });
    const durationSeconds = 20;
    const started = await h.api.request('POST', `/v1/resource-sets/${id}/experiments`, {
      a,
      b,
      durationSeconds,
      warmupSeconds: 0,
      rebalanceSeconds: 5,
      sampleIntervalSeconds: 5,
      confidence: 0.9,
      // The winner's rollout is one unjudged step: this test is about the hold, not the promotion.
      promotion: { ...FAST_ROLLOUT, analysis: false, steps: [{ percent: 100 }] },
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const expId = started.body.id as string;
    const experiment = async () =>
      (await h.api.request('GET', `/v1/resource-sets/${id}/experiments/${expId}`)).body as ExperimentProgress;
    await waitFor(async () => (await experiment()).status === 'holding', 90_000);
    const plannedEnd = Date.parse((await experiment()).holdUntil!);

    const paused = await steer('pause');
    assert.equal(paused.status, 202, JSON.stringify(paused.body));
    assert.deepEqual(paused.body, { accepted: 'pause', rollout: expId, kind: 'experiment' });
    const pausedAt = Date.now();
    await waitFor(async () => (await experiment()).paused, 30_000);
    // Well past the end the hold had when paused: a running clock would have judged by now.
    await sleep(Math.max(0, plannedEnd - Date.now()) + 8_000);
    const held = await experiment();
    assert.equal(held.status, 'holding', JSON.stringify(held.events));
    assert.equal(held.paused, true);
    assert.equal(held.holdUntil, null, 'no end while paused');
    assert.equal(held.verdict, null);

    const resumed = await steer('resume');
    assert.equal(resumed.status, 202, JSON.stringify(resumed.body));
    const pausedMs = Date.now() - pausedAt;
    await waitFor(async () => !(await experiment()).paused, 30_000);
    await waitFor(async () => (await experiment()).finishedAt !== null, 120_000);
    const done = await experiment();
    assert.ok(done.status === 'a-kept' || done.status === 'b-won', JSON.stringify(done, null, 1));
    assert.ok(done.verdict, done.reason ?? '');
    // The judged window spans the hold, which the pause lengthened by its own length (a second of signal latency either way).
    const judgedMs = Date.parse(done.verdict.to) - Date.parse(done.verdict.from);
    assert.ok(
      judgedMs >= durationSeconds * 1000 + pausedMs - 2_000,
      `judged ${judgedMs} ms; hold ${durationSeconds} s, paused ${pausedMs} ms`,
    );
    assert.deepEqual(
      done.events
        .map((e) => e.message)
        .filter((m) => /^(paused|resumed)/.test(m))
        .map((m) => m.split(':')[0]),
      ['paused', 'resumed'],
    );
    await waitFor(async () => (await h.rollouts(id)).length > 0, 60_000);
    assert.equal((await h.finished(id)).status, 'promoted');
  });

  it('a tuning session: the trial bakes on once resumed, promote is refused with 409, abort ends the session with the canary back', async () => {
    await idle();
    const stable = await stableRevision();
    const bakeSeconds = 10;
    const started = await h.api.request('POST', `/v1/resource-sets/${id}/tuning`, {
      parameters: [{ name: 'poolSize', min: 3, max: 16 }],
      trials: 3,
      bakeSeconds,
    });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const sessionId = started.body.id as string;
    const view = () => h.api.request('GET', `/v1/resource-sets/${id}/tuning/${sessionId}`);
    const session = async () => (await view()).body as TuningProgress;
    // 404 until the session's first progress is recorded.
    await waitFor(
      async () => view().then((res) => res.status === 200 && (res.body as TuningProgress).trials[0]?.canary != null),
      60_000,
    );

    const paused = await steer('pause');
    assert.deepEqual(paused.body, { accepted: 'pause', rollout: sessionId, kind: 'tuning' });
    const pausedAt = Date.now();
    await waitFor(async () => (await session()).paused, 30_000);
    const promote = await steer('promote');
    assert.equal(promote.status, 409, JSON.stringify(promote.body));
    assert.equal(promote.body.error.code, 'not_applicable');
    // Twice the bake: an unpaused trial would have been judged long since.
    await sleep(2 * bakeSeconds * 1000);
    const held = await session();
    assert.equal(held.trials.length, 1);
    assert.equal(held.trials[0]!.finishedAt, null, JSON.stringify(held.trials[0]));

    assert.equal((await steer('resume')).status, 202);
    const pausedMs = Date.now() - pausedAt;
    await waitFor(async () => (await session()).trials[0]?.finishedAt != null, 90_000);
    const first = (await session()).trials[0]!;
    assert.ok(first.verdict, `judged once resumed: ${first.note}`);
    const trialMs = Date.parse(first.finishedAt!) - Date.parse(first.startedAt);
    assert.ok(
      trialMs >= bakeSeconds * 1000 + pausedMs - 2_000,
      `trial took ${trialMs} ms; bake ${bakeSeconds} s, paused ${pausedMs} ms`,
    );

    const aborted = await steer('abort');
    assert.equal(aborted.status, 202, JSON.stringify(aborted.body));
    await waitFor(async () => (await session()).finishedAt != null, 90_000);
    const done = await session();
    assert.equal(done.status, 'aborted', JSON.stringify(done, null, 1));
    assert.ok(done.trials.length < 3, 'the session ended early');
    await idle();
    for (const i of await h.configured(id)) assert.equal(i.version, stable, `${i.id} is back on the stable release`);
  });
});
