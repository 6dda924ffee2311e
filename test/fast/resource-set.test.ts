// The fast layer: the resource set's control loop on the real Temporal server with its activities
// replaced by an in-memory fleet and a scripted forecaster, iterating once a second, so its
// decisions, messages, continue-as-new and child rollout are checked in seconds. The real fleet,
// store and forecaster are the system suite's (test/control-loop/).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import { workflowIdFor } from '../../src/domain/resource-set.js';
import type { Decision } from '../../src/planner/decision.js';
import {
  pauseSignal,
  policySpecSignal,
  resumeSignal,
  scaleToUpdate,
  setReleaseUpdate,
  stateQuery,
} from '../../src/workflows/resource-set-messages.js';
import type { resourceSetWorkflow } from '../../src/workflows/resource-set.js';
import { waitFor } from '../support/wait.js';
import { FROM, TO } from './fake-fleet.js';
import { fastLoopWorker, type FakeSet } from './fake-loop.js';

type Loop = WorkflowHandle<typeof resourceSetWorkflow>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const epochSeconds = (iso: string): number => Date.parse(iso) / 1000;

describe('resource set loop, fast (real Temporal server, in-memory fleet and scripted forecaster)', () => {
  // The bundle's entry, not resource-set.ts alone: the loop's child rollouts run on this worker too.
  const w = fastLoopWorker(fileURLToPath(new URL('../../src/workflows/index.ts', import.meta.url)));

  /** Runs `body` against a new loop for `set`, and ends the loop whatever happens. */
  const withLoop = async (set: FakeSet, body: (loop: Loop) => Promise<void>, iterationsPerRun?: number) => {
    const loop = await w.client().workflow.start<typeof resourceSetWorkflow>('resourceSetWorkflow', {
      taskQueue: w.taskQueue,
      workflowId: workflowIdFor(set.spec.id),
      args: [{ spec: set.spec, ...(iterationsPerRun ? { iterationsPerRun } : {}) }],
    });
    try {
      await body(loop);
    } finally {
      await loop.terminate('test over').catch(() => undefined);
    }
  };

  /** The first decision recorded from index `from` on that satisfies `test`. */
  const decision = (set: FakeSet, what: string, test: (d: Decision) => boolean, from = 0): Promise<Decision> =>
    waitFor(
      () => `${what}; decisions so far: ${JSON.stringify(set.decisions.slice(from).map(brief))}`,
      () => Promise.resolve(set.decisionsAfter(from).find(test)),
      15_000,
      100,
    );
  const brief = (d: Decision) => ({
    i: d.iteration,
    current: d.currentInstances,
    desired: d.desiredInstances,
    rule: d.rule,
    paused: d.paused,
    actions: d.actions.map((a) => `${a.kind} ${a.count}`),
  });
  const provisioned = (d: Decision): number => d.actions.find((a) => a.kind === 'provision')?.count ?? 0;
  const deprovisioned = (d: Decision): number => d.actions.find((a) => a.kind === 'deprovision')?.count ?? 0;

  describe('decisions', () => {
    it('rising demand provisions up to the planned count, in one provision call', async () => {
      // Five req/s per instance at the target: 10 req/s is what two instances are for.
      const set = w.set(2, 10, {});
      await withLoop(set, async () => {
        await decision(set, 'a steady decision', (d) => d.desiredInstances === 2);
        assert.equal(set.provisions.length, 0, 'a steady load provisions nothing');
        set.demand = 30;
        const up = await decision(set, 'a scale-out to 6', (d) => d.desiredInstances === 6);
        assert.equal(up.rule, 'reactive');
        assert.equal(provisioned(up), 4);
        assert.deepEqual(
          set.provisions.map((p) => p.count),
          [4],
        );
        assert.equal(set.instances.length, 6);
        // The next decisions find the fleet at its planned size and leave it.
        await decision(set, 'a steady decision at 6', (d) => d.currentInstances === 6 && d.desiredInstances === 6);
        assert.equal(set.provisions.length, 1);
      });
    });

    it('a trusted forecast above the current load provisions ahead of it (the predictive rule)', async () => {
      const set = w.set(2, 10, {});
      set.forecast = { kind: 'peak', demand: 40 };
      await withLoop(set, async () => {
        const ahead = await decision(set, 'a predictive scale-out', (d) => d.rule === 'predictive');
        assert.equal(ahead.desiredInstances, 8, '40 req/s forecast ÷ 5 per instance');
        assert.equal(ahead.inputs.reactive, 2, 'the current load alone keeps two');
        assert.equal(provisioned(ahead), 6);
        assert.equal(ahead.forecast?.model, 'scripted');
      });
    });

    it('falling demand deprovisions only once the scale-in stabilisation window has passed', async () => {
      const windowSeconds = 3;
      const set = w.set(6, 30, { policy: { scaleInStabilizationSeconds: windowSeconds } });
      await withLoop(set, async () => {
        await decision(set, 'a steady decision at 6', (d) => d.desiredInstances === 6);
        set.demand = 10;
        const dropSeenAt = set.decisions.length;
        const held = await decision(set, 'scale-in held', (d) => d.inputs.reactive === 2, dropSeenAt);
        assert.equal(held.rule, 'stabilisation');
        assert.equal(held.desiredInstances, 6);
        assert.equal(deprovisioned(held), 0);
        const down = await decision(set, 'a scale-in', (d) => deprovisioned(d) > 0, dropSeenAt);
        assert.equal(down.desiredInstances, 2);
        assert.equal(deprovisioned(down), 4);
        assert.equal(set.instances.length, 2);
        // The window counts from the last decision that still recommended six.
        const lastAtSix = set.decisions.filter((d) => d.iteration < down.iteration && d.inputs.reactive === 6).at(-1)!;
        assert.ok(
          epochSeconds(down.decidedAt) - epochSeconds(lastAtSix.decidedAt) >= windowSeconds,
          `scale-in at ${down.decidedAt}, ${windowSeconds} s or more after six was last recommended at ${lastAtSix.decidedAt}`,
        );
      });
    });

    it('clamps to maxInstances on the way up and to minInstances on the way down', async () => {
      const set = w.set(2, 10, { minInstances: 2, maxInstances: 5 });
      await withLoop(set, async () => {
        await decision(set, 'a steady decision', (d) => d.desiredInstances === 2);
        set.demand = 100; // 20 instances' worth
        const capped = await decision(set, 'a scale-out capped at 5', (d) => provisioned(d) > 0);
        assert.equal(capped.rule, 'maximum');
        assert.equal(capped.inputs.reactive, 20);
        assert.deepEqual([capped.desiredInstances, provisioned(capped)], [5, 3]);
        set.demand = 0;
        const floored = await decision(set, 'a scale-in floored at 2', (d) => deprovisioned(d) > 0);
        assert.equal(floored.rule, 'minimum');
        assert.deepEqual([floored.desiredInstances, deprovisioned(floored)], [2, 3]);
        assert.equal(set.instances.length, 2);
      });
    });
  });

  describe('messages', () => {
    it('pause plans without provisioning; resume provisions what was planned', async () => {
      const set = w.set(2, 10, {});
      await withLoop(set, async (loop) => {
        await decision(set, 'a first decision', () => true);
        await loop.signal(pauseSignal, { reason: 'maintenance' });
        const pausedFrom = set.decisions.length;
        // Demand rises only once a paused iteration is on record: none started before the pause sees it.
        await decision(set, 'a paused decision', (d) => d.paused, pausedFrom);
        set.demand = 30;
        const planned = set.decisions.length;
        const held = await decision(set, 'a paused decision wanting 6', (d) => d.desiredInstances === 6, planned);
        assert.equal(held.paused, true);
        assert.ok(held.reasons.includes('paused: planned, not acted'), held.reasons.join('; '));
        await sleep(2_000); // two more paused iterations
        assert.equal(set.provisions.length, 0, 'nothing provisioned while paused');
        assert.equal((await loop.query(stateQuery)).state, 'paused');
        await loop.signal(resumeSignal);
        const resumed = await decision(set, 'a scale-out after resume', (d) => provisioned(d) > 0, planned);
        assert.equal(resumed.paused, false);
        assert.equal(provisioned(resumed), 4);
      });
    });

    it('a newer policy spec replaces the policy; an older version arriving later is ignored', async () => {
      const set = w.set(2, 10, { maxInstances: 20 });
      await withLoop(set, async (loop) => {
        await decision(set, 'a first decision', () => true);
        await loop.signal(policySpecSignal, { spec: { ...set.spec, maxInstances: 4 }, version: 2 });
        // Late or reordered: version 1 must not put maxInstances back to 20.
        await loop.signal(policySpecSignal, { spec: { ...set.spec, maxInstances: 20 }, version: 1 });
        const state = await loop.query(stateQuery);
        assert.equal(state.specVersion, 2);
        assert.equal(state.spec.maxInstances, 4);
        const changedFrom = set.decisions.length;
        set.demand = 30; // six instances' worth
        const capped = await decision(set, 'a scale-out', (d) => provisioned(d) > 0, changedFrom);
        assert.equal(capped.rule, 'maximum');
        assert.deepEqual([capped.desiredInstances, provisioned(capped)], [4, 2]);
      });
    });

    it('a manual scale holds the count for its TTL, then the plan takes over again', async () => {
      const set = w.set(2, 10, { maxInstances: 6 });
      await withLoop(set, async (loop) => {
        await decision(set, 'a first decision', () => true);
        await assert.rejects(
          loop.executeUpdate(scaleToUpdate, { args: [{ count: 7, ttlSeconds: 3 }] }),
          (err: Error) => /within minInstances\.\.maxInstances \(1\.\.6\)/.test(String(err.cause)),
          'a count above maxInstances is refused by the validator',
        );
        const { expiresAt } = await loop.executeUpdate(scaleToUpdate, { args: [{ count: 5, ttlSeconds: 3 }] });
        const from = set.decisions.length;
        const manual = await decision(set, 'the manual scale-out', (d) => provisioned(d) > 0, from);
        assert.equal(manual.rule, 'manual');
        assert.deepEqual([manual.desiredInstances, provisioned(manual)], [5, 3]);
        // The load (10 req/s) wants two: only the override keeps five until it expires.
        const back = await decision(set, 'the scale-in after expiry', (d) => deprovisioned(d) > 0, from);
        assert.equal(back.desiredInstances, 2);
        assert.notEqual(back.rule, 'manual');
        assert.ok(
          epochSeconds(back.decidedAt) >= epochSeconds(expiresAt),
          `scale-in at ${back.decidedAt}, not before the override expired at ${expiresAt}`,
        );
        const during = set.decisions.filter((d) => d.iteration >= manual.iteration && d.iteration < back.iteration);
        assert.ok(
          during.every((d) => d.rule === 'manual' && d.desiredInstances === 5),
          'every decision while the override lasted is manual at 5',
        );
        assert.equal((await loop.query(stateQuery)).override, null, 'the expired override is dropped');
      });
    });
  });

  it('continue-as-new carries the iteration, the override and every signal sent around it', async () => {
    const set = w.set(2, 10, {});
    await withLoop(
      set,
      async (loop) => {
        await decision(set, 'a first decision', () => true);
        const { expiresAt } = await loop.executeUpdate(scaleToUpdate, { args: [{ count: 4, ttlSeconds: 600 }] });
        await decision(set, 'the manual scale-out', (d) => provisioned(d) > 0);
        const runIds = new Set<string>();
        // Alternate pause and resume at uneven spacings while the loop continues as new every two iterations.
        for (let i = 0; i < 12; i++) {
          await loop.signal(i % 2 === 0 ? pauseSignal : resumeSignal);
          runIds.add((await loop.describe()).runId);
          await sleep(250 + (i % 3) * 250);
        }
        await loop.signal(pauseSignal); // the last word
        const state = await waitFor('the pause to land', async () => {
          const s = await loop.query(stateQuery);
          return s.paused && s;
        });
        runIds.add((await loop.describe()).runId);
        assert.ok(runIds.size >= 3, `continued as new several times (${runIds.size} runs seen)`);
        const iterations = set.decisions.map((d) => d.iteration);
        assert.deepEqual(
          iterations,
          iterations.map((_, k) => k + 1),
          'one decision per iteration, numbered on across runs',
        );
        // Each finished run had two iterations: a counter reset by continue-as-new would be two at most.
        assert.ok(state.iteration >= 2 * (runIds.size - 1), `iteration ${state.iteration} after ${runIds.size} runs`);
        assert.deepEqual(state.override, { count: 4, expiresAt: epochSeconds(expiresAt) });
        const afterOverride = set.decisions.filter((d) => d.rule === 'manual');
        assert.ok(afterOverride.length >= 4, 'several decisions under the override');
        assert.ok(
          afterOverride.every((d) => d.desiredInstances === 4),
          'the override holds in every run',
        );
        assert.equal(set.decisions.at(-1)?.rule, 'manual');
        assert.equal(set.instances.length, 4);
        // And resume as the last word, whichever run it lands in.
        await loop.signal(resumeSignal);
        await waitFor('the resume to land', async () => !(await loop.query(stateQuery)).paused);
      },
      2,
    );
  });

  it('a forecast that fails leaves a reactive decision that names the failure', async () => {
    const set = w.set(2, 30, {});
    set.forecast = { kind: 'fail', message: 'model store unreachable' };
    await withLoop(set, async () => {
      const failed = await decision(set, 'a decision', () => true);
      assert.equal(failed.forecast, null);
      assert.equal(failed.rule, 'reactive');
      // A local activity's failure reaches the workflow unwrapped (no ActivityFailure naming the activity).
      assert.ok(
        failed.reasons.some((r) => /^forecast failed: .*model store unreachable$/.test(r)),
        failed.reasons.join('; '),
      );
      assert.deepEqual([failed.desiredInstances, provisioned(failed)], [6, 4], 'it still acted on the load');
    });
  });

  it('a new release starts a child rollout; its promotion becomes the stable release', async () => {
    const set = w.set(3, 15, {});
    await withLoop(set, async (loop) => {
      await decision(set, 'a first decision', () => true);
      await loop.executeUpdate(setReleaseUpdate, {
        args: [{ release: TO, rollout: { bakeSeconds: 0, warmupSeconds: 0 } }],
      });
      const started = await decision(set, 'the rollout to start', (d) =>
        d.reasons.some((r) => r.startsWith('rollout rollout-')),
      );
      const childId = /^rollout (\S+) started/.exec(started.reasons.find((r) => r.startsWith('rollout '))!)![1]!;
      const promoted = await waitFor('the promotion to be taken', async () => {
        const s = await loop.query(stateQuery);
        return s.activeRollout === null && s.config.stable.revision === TO.revision && s;
      });
      assert.deepEqual(promoted.config.previous, FROM);
      assert.deepEqual(promoted.config.desired, TO);
      assert.equal((await w.client().workflow.getHandle(childId).result()).outcome, 'promoted');
      assert.equal(set.rollouts.at(-1)?.status, 'promoted');
      assert.equal(set.count(TO), 3, 'every instance runs the new release');
    });
  });
});
