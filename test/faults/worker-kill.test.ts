import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RolloutHarness } from '../rollout/support.js';
import {
  describeOutcome,
  faultSeed,
  rolloutUnderKills,
  scaleOutUnderKills,
  tally,
  type KillTrialOptions,
  type TrialOutcome,
} from '../support/faults.js';

/** Two SIGKILLs, each hitting five sets at seeded random points of their change. */
async function tenTrials(
  h: RolloutHarness,
  trials: (h: RolloutHarness, options: KillTrialOptions) => Promise<TrialOutcome[]>,
): Promise<void> {
  const seed = faultSeed();
  console.log(`kill points from seed ${seed} (replay with FAULT_SEED=${seed})`);
  const outcomes = await trials(h, { rounds: 2, sets: 5, seed, log: console.log });
  const failed = outcomes.filter((o) => !o.completed || o.duplicated.length || o.leaked.length || o.lost);
  assert.deepEqual(failed.map(describeOutcome), [], `seed ${seed}`);
  assert.deepEqual(tally(outcomes), { trials: 10, completed: 10, leaked: 0, duplicated: 0, lost: 0 });
}

describe('the worker SIGKILLed at random points (real worker process, Temporal, Postgres, local cloud, agents)', () => {
  let h: RolloutHarness;
  before(async () => {
    h = await RolloutHarness.start();
  });
  after(async () => {
    await h.close();
  });

  it('during scale-outs: every set reaches its size, no instance launched twice or leaked, no decision lost', async () => {
    await tenTrials(h, scaleOutUnderKills);
  });

  it('during rollouts: every rollout is promoted, each instance replaced once, none leaked or left on the old release', async () => {
    await tenTrials(h, rolloutUnderKills);
  });
});
