import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isCutByDeadline } from '../../src/infra/temporal.js';

test("a call cut at the caller's deadline counts as cut by it even when the timer fired a moment early (a timeout, not an outage)", () => {
  const deadline = 1_000_000;
  const exceeded = Object.assign(new Error('DEADLINE_EXCEEDED'), { code: 4 });
  // grpc's timer fired 1 ms before this clock reached the deadline: once answered as temporal_unavailable.
  assert.equal(isCutByDeadline(exceeded, deadline, deadline - 1), true);
  assert.equal(isCutByDeadline(new Error('wrapped', { cause: { code: 1 } }), deadline, deadline + 5), true);
  assert.equal(isCutByDeadline(exceeded, deadline, deadline - 5_000), false, 'cut long before the deadline: not ours');
  assert.equal(isCutByDeadline(Object.assign(new Error('UNAVAILABLE'), { code: 14 }), deadline, deadline), false);
});
