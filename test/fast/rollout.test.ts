// The fast layer: the rollout workflow on the real Temporal server with its activities replaced
// by an in-memory fleet and a scripted judge, so steps, verdicts, signals and rollback are
// checked in seconds. The real agents, cloud and judge are the system suite's (test/rollout/).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { rolloutOptionsSchema, type RolloutOptionsInput } from '../../src/config/rollout-options.js';
import {
  abortRolloutSignal,
  progressQuery,
  promoteRolloutSignal,
  type RolloutInput,
  type RolloutProgress,
} from '../../src/workflows/rollout-messages.js';
import type { rolloutWorkflow } from '../../src/workflows/rollout.js';
import { uniqueId } from '../support/api.js';
import { waitFor } from '../support/wait.js';
import { fastWorker, FROM, TO, type FakeFleet } from './fake-fleet.js';

describe('rollout workflow, fast (real Temporal server, in-memory fleet and scripted judge)', () => {
  const w = fastWorker(fileURLToPath(new URL('../../src/workflows/rollout.ts', import.meta.url)));

  const start = (fleet: FakeFleet, options: RolloutOptionsInput = {}) => {
    const input: RolloutInput = {
      id: uniqueId('rollout'),
      target: { resourceSetId: fleet.id, provider: 'local' },
      kind: 'rollout',
      from: FROM,
      to: TO,
      options: rolloutOptionsSchema.parse({ bakeSeconds: 0, warmupSeconds: 0, ...options }),
      slo: { latencyP95Ms: 250, errorRate: 0.01 },
    };
    return w.client().workflow.start<typeof rolloutWorkflow>('rolloutWorkflow', {
      taskQueue: w.taskQueue,
      workflowId: input.id,
      args: [input],
    });
  };
  const forwardTargets = (fleet: FakeFleet): number[] =>
    fleet
      .lastProgress<RolloutProgress>()
      .steps.filter((s) => s.phase === 'forward')
      .map((s) => s.target);

  it('passes every step (1 canary, 25 %, 50 %, 100 %) and promotes: every instance runs the new version', async () => {
    const fleet = w.fleet(8);
    const result = await (await start(fleet)).result();
    assert.equal(result.outcome, 'promoted', result.reason);
    assert.deepEqual(forwardTargets(fleet), [1, 2, 4, 8]);
    assert.equal(fleet.count(TO), 8);
    const keys = fleet.applied.map((a) => a.idempotencyKey);
    assert.equal(new Set(keys).size, keys.length, 'each step applies under its own idempotency key');
  });

  it('a failed verdict at the second step rolls every instance back to the previous version', async () => {
    const fleet = w.fleet(8, { verdict: (canary) => (canary >= 2 ? 'fail' : 'pass') });
    const result = await (await start(fleet)).result();
    assert.equal(result.outcome, 'rolled-back');
    assert.match(result.reason, /step 2 \(25%\) judged fail/);
    assert.deepEqual(forwardTargets(fleet), [1, 2]);
    assert.equal(fleet.count(FROM), 8, 'every instance is back on the boot release');
  });

  it('no evidence neither promotes nor rolls back: past the inconclusive limit it pauses for an operator, and promote finishes it', async () => {
    const fleet = w.fleet(4, { verdict: () => 'inconclusive' });
    const handle = await start(fleet, { inconclusiveLimit: 1, bakeSeconds: 1 });
    const paused = await waitFor(
      'the rollout to pause',
      async () => {
        const p = await handle.query(progressQuery);
        return p.paused && p;
      },
      30_000,
      200,
    );
    assert.equal(paused.status, 'running');
    assert.deepEqual(
      paused.steps[0]!.analyses.map((a) => a.action),
      ['wait', 'pause'],
    );
    assert.equal(fleet.count(TO), 1, 'only the canary runs the new version meanwhile');
    await handle.signal(promoteRolloutSignal);
    assert.equal((await handle.result()).outcome, 'promoted');
    assert.equal(fleet.count(TO), 4);
  });

  it('abort during a bake reverts every touched instance and answers aborted with the reason', async () => {
    const fleet = w.fleet(4);
    const handle = await start(fleet, { bakeSeconds: 600 });
    await waitFor('the canary to be applied', () => Promise.resolve(fleet.count(TO) === 1), 30_000, 200);
    await handle.signal(abortRolloutSignal, { mode: 'immediate', reason: 'operator saw errors' });
    assert.deepEqual(await handle.result(), { outcome: 'aborted', reason: 'operator saw errors' });
    assert.equal(fleet.count(FROM), 4);
  });

  it("an apply that fails ends the rollout rolled back, with the activity's error on its step", async () => {
    const fleet = w.fleet(3, { refuse: TO });
    const result = await (await start(fleet)).result();
    assert.equal(result.outcome, 'rolled-back');
    assert.match(
      fleet.lastProgress<RolloutProgress>().steps[0]!.error ?? '',
      /applyRelease: the agent refused the configuration/,
    );
    assert.equal(fleet.count(FROM), 3);
  });
});
