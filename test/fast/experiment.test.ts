// The fast layer: the A/B experiment workflow on the real Temporal server with an in-memory
// fleet and a scripted judge — placement by the split, rebalancing of instances launched during
// the hold, the judged groups, and what each outcome leaves on the fleet.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { experimentRequestSchema } from '../../src/config/experiment-options.js';
import {
  abortExperimentSignal,
  experimentProgressQuery,
  type ExperimentInput,
  type ExperimentOptions,
} from '../../src/workflows/experiment-messages.js';
import type { experimentWorkflow } from '../../src/workflows/experiment.js';
import { uniqueId } from '../support/api.js';
import { waitFor } from '../support/wait.js';
import { fastWorker, FROM as A, TO as B, type FakeFleet } from './fake-fleet.js';

describe('experiment workflow, fast (real Temporal server, in-memory fleet and scripted judge)', () => {
  const w = fastWorker(fileURLToPath(new URL('../../src/workflows/experiment.ts', import.meta.url)));

  const start = (fleet: FakeFleet, options: Partial<ExperimentOptions> = {}) => {
    const {
      a: _a,
      b: _b,
      ...defaults
    } = experimentRequestSchema.parse({
      a: { template: 'web', version: 1 },
      b: { template: 'web', version: 2 },
      durationSeconds: 60,
    });
    const input: ExperimentInput = {
      id: uniqueId('experiment'),
      target: { resourceSetId: fleet.id, provider: 'local' },
      a: A,
      b: B,
      options: { ...defaults, durationSeconds: 1, warmupSeconds: 0, rebalanceSeconds: 1, ...options },
    };
    return w.client().workflow.start<typeof experimentWorkflow>('experimentWorkflow', {
      taskQueue: w.taskQueue,
      workflowId: input.id,
      args: [input],
    });
  };

  it('B judged better wins: its share of the fleet stays on it, for the set to roll out', async () => {
    const fleet = w.fleet(4, { winner: 'b' });
    const result = await (await start(fleet)).result();
    assert.equal(result.outcome, 'b-won');
    assert.equal(result.winner?.revision, B.revision);
    assert.deepEqual([fleet.count(A), fleet.count(B)], [2, 2]);
    assert.deepEqual(
      fleet.judged.map((j) => [j.a.length, j.b.length]),
      [[2, 2]],
    );
  });

  it('A kept: every instance on B goes back to A before the workflow ends', async () => {
    const fleet = w.fleet(5, { winner: 'a' });
    const result = await (await start(fleet, { split: 0.4 })).result();
    assert.equal(result.outcome, 'a-kept');
    assert.equal(fleet.count(A), 5);
    assert.deepEqual(
      fleet.judged.map((j) => [j.a.length, j.b.length]),
      [[3, 2]],
    );
  });

  it('instances launched during the hold join the side short of its share, and the judge pools every instance each side had', async () => {
    const fleet = w.fleet(2, { winner: 'a' });
    const handle = await start(fleet, { durationSeconds: 30 });
    await waitFor(
      'the groups to be placed',
      async () => (await handle.query(experimentProgressQuery)).status === 'holding',
      30_000,
      200,
    );
    fleet.launch(4, A);
    await waitFor('a rebalance to put half of six on B', () => Promise.resolve(fleet.count(B) === 3), 30_000, 200);
    await handle.signal(abortExperimentSignal, { reason: 'enough seen' });
    assert.equal((await handle.result()).outcome, 'aborted');
    assert.equal(fleet.count(A), 6, "aborted: B's instances went back to A");
    assert.deepEqual(fleet.judged, [], 'an abort judges nothing');
  });

  it('an experiment needs an instance on each side: one instance is aborted with the reason and left on A', async () => {
    const fleet = w.fleet(1);
    const result = await (await start(fleet)).result();
    assert.equal(result.outcome, 'aborted');
    assert.match(result.reason, /at least two serving instances/);
    assert.equal(fleet.count(A), 1);
  });
});
