import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TuningProgress } from '../../src/workflows/tuning-messages.js';
import { uniqueId } from '../support/api.js';
import { FAST_ROLLOUT, RolloutHarness, waitFor } from '../rollout/support.js';
import { finishedSession, stableOf, tuningFleet } from './tuning-fleet.js';

/**
 * policy.configuration.mode 'auto': a tuning session's best safe configuration becomes a template
 * version that the set rolls out through its staged canary, so every instance ends on it; a
 * session in which no trial beats the running configuration rolls nothing out.
 */
describe("tuning in 'auto' mode (real workflows, fleet, agents and canary judge)", () => {
  let h: RolloutHarness;
  let traffic: { stop(): Promise<void> };
  const id = uniqueId('tuneauto');
  before(async () => {
    h = await RolloutHarness.start();
    // A judged canary step on one instance, then the rest: the winner goes through it, as any version does
    // (after 5 s of warm-up: a reconfigured instance starts with a cold cache).
    ({ traffic } = await tuningFleet(
      h,
      id,
      { mode: 'auto', minExpectedGain: 0 },
      { ...FAST_ROLLOUT, warmupSeconds: 5, bakeSeconds: 10, steps: [{ percent: 50 }] },
    ));
  });
  after(async () => {
    await traffic?.stop();
    await h.close();
  });

  const stable = () => stableOf(h, id);
  const tune = async (body: unknown): Promise<TuningProgress> => {
    const started = await h.api.request('POST', `/v1/resource-sets/${id}/tuning`, body);
    assert.equal(started.status, 202, JSON.stringify(started.body));
    return finishedSession(h, id, started.body.id as string, 240_000);
  };

  it('rolls the best safe configuration out through the staged canary, and every instance ends on it', async () => {
    const before = await stable();
    const rolloutsBefore = (await h.rollouts(id)).length;
    const session = await tune({ parameters: [{ name: 'poolSize', min: 8, max: 16 }], trials: 2, bakeSeconds: 15 });
    assert.equal(session.status, 'completed', JSON.stringify(session, null, 1));
    const best = session.best;
    assert.ok(
      best && best.gain > 0,
      `eight or more workers beat two under queueing: ${JSON.stringify(session.trials.map((t) => [t.params, t.canaryP95Ms, t.baselineP95Ms, t.verdict?.verdict]))}`,
    );
    const applied = session.recommendation?.applied;
    assert.ok(applied, `in 'auto' the recommendation is applied: ${session.reason}`);
    assert.equal(session.recommendation!.status, 'applied');
    assert.deepEqual(applied.params, { ...before.params, poolSize: best.params.poolSize });

    await waitFor(async () => (await h.rollouts(id)).length > rolloutsBefore, 60_000);
    const rollout = await h.finished(id);
    assert.equal(rollout.status, 'promoted', JSON.stringify(rollout.steps, null, 1));
    assert.deepEqual([rollout.to.template, rollout.to.version], [applied.template, applied.version]);
    // A judged canary step on one instance, then the rest.
    assert.deepEqual(
      rollout.steps.map((s) => [s.phase, s.target, s.analyses.at(-1)?.verdict ?? null]),
      [
        ['forward', 1, 'pass'],
        ['promote', 2, null],
      ],
    );
    const now = await stable();
    assert.deepEqual([now.template, now.version], [applied.template, applied.version]);
    for (const i of await h.configured(id))
      assert.equal(i.version, now.revision, `${i.id} runs the tuned configuration`);
  });

  it('rolls nothing out when no trial beats the running configuration', async () => {
    const before = await stable();
    const rolloutsBefore = (await h.rollouts(id)).length;
    // One or two workers against the eight or more that now run: never better under this load.
    const session = await tune({ parameters: [{ name: 'poolSize', min: 1, max: 2 }], trials: 1, bakeSeconds: 15 });
    assert.equal(session.status, 'completed', JSON.stringify(session, null, 1));
    assert.equal(session.best, null, JSON.stringify(session.trials));
    assert.equal(session.recommendation, null);
    await waitFor(
      async () => (await h.api.request('GET', `/v1/resource-sets/${id}`)).body.status.activeRollout === null,
      30_000,
    );
    assert.equal((await h.rollouts(id)).length, rolloutsBefore, 'no rollout');
    assert.deepEqual(await stable(), before);
    for (const i of await h.configured(id))
      assert.equal(i.version, before.revision, `${i.id} is back on the stable release`);
  });
});
