import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tally } from '../support/faults.js';
import { temporalRestartTrial } from './temporal-restart-trial.js';

describe('the Temporal dev server restarted mid-loop (its own server, persisted database; real worker, Postgres, local cloud)', () => {
  it('every loop continues where it was: no instance launched twice or leaked, no iteration lost', async () => {
    const outcomes = await temporalRestartTrial({ loops: 2, downSeconds: 5, log: console.log });
    for (const o of outcomes) {
      assert.ok(o.completed, `${o.trial}: ${o.problems.join('; ')}`);
      assert.deepEqual(o.duplicated, [], `${o.trial}: launched twice`);
      assert.deepEqual(o.leaked, [], `${o.trial}: leaked`);
      assert.equal(o.lost, 0, `${o.trial}: iterations without a decision`);
    }
    assert.deepEqual(tally(outcomes), { trials: 2, completed: 2, leaked: 0, duplicated: 0, lost: 0 });
  });
});
