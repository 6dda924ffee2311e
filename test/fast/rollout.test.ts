// The fast layer: the rollout workflow on the real Temporal server with its activities replaced
// by an in-memory fleet and a scripted judge, so steps, verdicts, signals and rollback are
// checked in seconds. The real agents, cloud and judge are the system suite's (test/rollout/).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { ApplyReleaseInput, ObservedInstance, RolloutActivities, StepVerdict } from '../../src/activities/types.js';
import type { Verdict } from '../../src/canary/judge.js';
import { bootRelease, runsRelease, type Release } from '../../src/config/release.js';
import { rolloutOptionsSchema, type RolloutOptionsInput } from '../../src/config/rollout-options.js';
import { abortRolloutSignal, progressQuery, promoteRolloutSignal, type RolloutInput, type RolloutProgress, type RolloutResult } from '../../src/workflows/rollout-messages.js';
import type { rolloutWorkflow } from '../../src/workflows/rollout.js';
import { TEMPORAL_ADDRESS, uniqueId } from '../support/api.js';
import { waitFor } from '../support/wait.js';

const ROLLOUT_WORKFLOW = fileURLToPath(new URL('../../src/workflows/rollout.ts', import.meta.url));
const FROM: Release = bootRelease('local.small');
const TO: Release = { ...FROM, template: 'web', version: 2, revision: 1_000_002 };

/** One set's instances, and what each analysis of it answers (by the canary's size: the step). */
class FakeFleet {
  readonly instances: ObservedInstance[];
  readonly applied: ApplyReleaseInput[] = [];
  readonly records: RolloutProgress[] = [];
  constructor(readonly id: string, size: number, readonly judge: (canary: number) => Verdict, readonly failApply = false) {
    this.instances = Array.from({ length: size }, (_, k) => ({
      id: `${id}-i${k}`, instanceType: FROM.instanceType, image: FROM.image, configVersion: FROM.revision,
      state: 'running', healthy: true, launchedAt: new Date(Date.UTC(2026, 0, 1, 0, k)).toISOString(),
    }));
  }
  count(release: Release): number { return this.instances.filter((i) => runsRelease(i, release)).length; }
}

const fleets = new Map<string, FakeFleet>();
const fleetOf = (resourceSetId: string): FakeFleet => fleets.get(resourceSetId)!;

const activities: RolloutActivities = {
  observeInstances: ({ resourceSetId }) => Promise.resolve(fleetOf(resourceSetId).instances.map((i) => ({ ...i }))),
  applyRelease: (input) => {
    const fleet = fleetOf(input.resourceSetId);
    if (fleet.failApply && input.release.revision === TO.revision) throw ApplicationFailure.nonRetryable('the agent refused the configuration');
    fleet.applied.push(input);
    for (const i of fleet.instances.filter((x) => input.instanceIds.includes(x.id))) Object.assign(i, { image: input.release.image, configVersion: input.release.revision });
    return Promise.resolve({ configured: input.instanceIds, replaced: [], launched: [], skipped: [] });
  },
  analyseStep: ({ resourceSetId, canary }): Promise<StepVerdict> => {
    const verdict = fleetOf(resourceSetId).judge(canary.length);
    return Promise.resolve({ verdict, score: verdict === 'pass' ? 100 : 0, reason: `scripted ${verdict}`, metrics: [], canarySamples: 10, baselineSamples: 10 });
  },
  recordRollout: (record) => { fleetOf(record.resourceSetId).records.push(record.progress as RolloutProgress); return Promise.resolve(); },
};

describe('rollout workflow, fast (real Temporal server, in-memory fleet and scripted judge)', () => {
  const taskQueue = uniqueId('fast-rollout');
  let connection: Connection;
  let client: Client;
  let nativeConnection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;

  before(async () => {
    nativeConnection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS });
    worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath: ROLLOUT_WORKFLOW, activities });
    running = worker.run();
    connection = await Connection.connect({ address: TEMPORAL_ADDRESS });
    client = new Client({ connection });
  });
  after(async () => {
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
  });

  const start = (fleet: FakeFleet, options: RolloutOptionsInput = {}) => {
    fleets.set(fleet.id, fleet);
    const input: RolloutInput = {
      id: uniqueId('rollout'), target: { resourceSetId: fleet.id, provider: 'local' }, kind: 'rollout', from: FROM, to: TO,
      options: rolloutOptionsSchema.parse({ bakeSeconds: 0, warmupSeconds: 0, ...options }), slo: { latencyP95Ms: 250, errorRate: 0.01 },
    };
    return client.workflow.start<typeof rolloutWorkflow>('rolloutWorkflow', { taskQueue, workflowId: input.id, args: [input] });
  };
  const forwardTargets = (fleet: FakeFleet): number[] => fleet.records.at(-1)!.steps.filter((s) => s.phase === 'forward').map((s) => s.target);

  it('passes every step (1 canary, 25 %, 50 %, 100 %) and promotes: every instance runs the new version', async () => {
    const fleet = new FakeFleet(uniqueId('pass'), 8, () => 'pass');
    const result: RolloutResult = await (await start(fleet)).result();
    assert.equal(result.outcome, 'promoted', result.reason);
    assert.deepEqual(forwardTargets(fleet), [1, 2, 4, 8]);
    assert.equal(fleet.count(TO), 8);
    const keys = fleet.applied.map((a) => a.idempotencyKey);
    assert.equal(new Set(keys).size, keys.length, 'each step applies under its own idempotency key');
  });

  it('a failed verdict at the second step rolls every instance back to the previous version', async () => {
    const fleet = new FakeFleet(uniqueId('fail'), 8, (canary) => (canary >= 2 ? 'fail' : 'pass'));
    const result = await (await start(fleet)).result();
    assert.equal(result.outcome, 'rolled-back');
    assert.match(result.reason, /step 2 \(25%\) judged fail/);
    assert.deepEqual(forwardTargets(fleet), [1, 2]);
    assert.equal(fleet.count(FROM), 8, 'every instance is back on the boot release');
  });

  it('no evidence neither promotes nor rolls back: past the inconclusive limit it pauses for an operator, and promote finishes it', async () => {
    const fleet = new FakeFleet(uniqueId('quiet'), 4, () => 'inconclusive');
    const handle = await start(fleet, { inconclusiveLimit: 1, bakeSeconds: 1 });
    const paused = await waitFor('the rollout to pause', async () => { const p = await handle.query(progressQuery); return p.paused && p; }, 30_000, 200);
    assert.equal(paused.status, 'running');
    assert.deepEqual(paused.steps[0]!.analyses.map((a) => a.action), ['wait', 'pause']);
    assert.equal(fleet.count(TO), 1, 'only the canary runs the new version meanwhile');
    await handle.signal(promoteRolloutSignal);
    assert.equal((await handle.result()).outcome, 'promoted');
    assert.equal(fleet.count(TO), 4);
  });

  it('abort during a bake reverts every touched instance and answers aborted with the reason', async () => {
    const fleet = new FakeFleet(uniqueId('abort'), 4, () => 'pass');
    const handle = await start(fleet, { bakeSeconds: 600 });
    await waitFor('the canary to be applied', () => Promise.resolve(fleet.count(TO) === 1), 30_000, 200);
    await handle.signal(abortRolloutSignal, { mode: 'immediate', reason: 'operator saw errors' });
    const result = await handle.result();
    assert.deepEqual(result, { outcome: 'aborted', reason: 'operator saw errors' });
    assert.equal(fleet.count(FROM), 4);
  });

  it('an apply that fails ends the rollout rolled back, with the activity\'s error on its step', async () => {
    const fleet = new FakeFleet(uniqueId('refused'), 3, () => 'pass', true);
    const result = await (await start(fleet)).result();
    assert.equal(result.outcome, 'rolled-back');
    assert.match(fleet.records.at(-1)!.steps[0]!.error ?? '', /applyRelease: the agent refused the configuration/);
    assert.equal(fleet.count(FROM), 3);
  });
});
