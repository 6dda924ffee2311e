import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulateFleet } from '../../src/sim/fleet.js';
import { requiredInstances } from '../../src/sim/fleet-model.js';
import { AwsPredictivePolicy } from '../../src/sim/policies/aws.js';
import { HpaPolicy } from '../../src/sim/policies/hpa.js';
import { oracle } from '../../src/sim/policies/oracle.js';
import type { PolicyEnv } from '../../src/sim/policy.js';

const env = (minutes: number): PolicyEnv => ({ capacity: 1, target: 0.5, readyDelay: 5, startTime: 0, minutes });

test('the oracle is never short and pays exactly max(r[t..t+5])', () => {
  // Spiky, deterministic demand: sudden steps up and down, the oracle's hard case.
  const demand = Array.from({ length: 2000 }, (_, i) => ((i * 7919) % 97) * (i % 300 < 40 ? 5 : 1));
  const required = requiredInstances(demand, 10);
  // Started with what it would have ordered by then, as it is after any warm-up.
  const initial = Math.max(...required.subarray(0, 6));
  const { supply, paid } = simulateFleet(oracle(required, 5), demand, { readyDelay: 5, initial });
  for (let t = 0; t < demand.length; t++) {
    assert.ok(supply[t]! >= required[t]!, `short at minute ${t}`);
    assert.equal(paid[t], Math.max(...required.subarray(t, t + 6)), `paid at minute ${t}`);
  }
});

test('HPA within tolerance keeps the fleet', () => {
  // 10 ready at capacity 1 serving 5.25: utilisation 0.525, 5% over the 0.5 target.
  const { supply, paid } = simulateFleet(new HpaPolicy(env(30)), new Array<number>(30).fill(5.25), {
    readyDelay: 5,
    initial: 10,
  });
  assert.ok(supply.every((s) => s === 10) && paid.every((p) => p === 10));
});

test('HPA scales up at once and the instances serve 5 minutes later', () => {
  // 4 ready; from minute 2 the demand doubles to utilisation 1: ceil(4 × 2) = 8.
  const demand = [2, 2, 4, 4, 4, 4, 4, 4, 4, 4];
  const { supply, paid } = simulateFleet(new HpaPolicy(env(10)), demand, { readyDelay: 5, initial: 4 });
  assert.deepEqual([...paid], [4, 4, 8, 8, 8, 8, 8, 8, 8, 8]);
  assert.deepEqual([...supply], [4, 4, 4, 4, 4, 4, 4, 8, 8, 8]);
});

test('HPA scale-down waits until the 5-minute window holds only lower recommendations', () => {
  // 10 ready at the target until minute 9; from minute 10 half the demand recommends 5. The
  // window of the last 5 recommendations still holds a 10 until minute 14, whose scale-in serves
  // from minute 15.
  const demand = [...new Array<number>(10).fill(5), ...new Array<number>(10).fill(2.5)];
  const { supply } = simulateFleet(new HpaPolicy(env(20)), demand, { readyDelay: 5, initial: 10 });
  assert.deepEqual([...supply.subarray(9, 17)], [10, 10, 10, 10, 10, 10, 5, 5]);
});

test('HPA counts only ready instances as current, so a scale-up in flight is cancelled when their utilisation is back within tolerance', () => {
  // Minute 1: utilisation 1 → order 4 more. Minute 2: utilisation 0.525 is within tolerance of
  // the ready 4, which is what HPA asks for: the orders are cancelled.
  const { supply, paid } = simulateFleet(new HpaPolicy(env(8)), [2, 4, 2.1, 2, 2, 2, 2, 2], {
    readyDelay: 5,
    initial: 4,
  });
  assert.deepEqual([...paid], [4, 8, 4, 4, 4, 4, 4, 4]);
  assert.ok(supply.every((s) => s === 4));
});

test('AWS schedules capacity for the mean of the same hour over the last 7 days, ready when the hour starts', () => {
  const day = 24 * 60;
  // Hour 3 of each of days 0-6 runs at 10, or 30 on day 6 (mean 90/7 → 26 instances at 0.5 target).
  const demand = Array.from({ length: 8 * day }, (_, i) => {
    const d = Math.floor(i / day);
    return d < 7 && Math.floor((i % day) / 60) === 3 ? (d === 6 ? 30 : 10) : 1;
  });
  const policy = new AwsPredictivePolicy(env(demand.length));
  const { supply, paid } = simulateFleet(policy, demand, { readyDelay: 5, initial: 2 });
  const hourStart = 7 * day + 3 * 60;
  assert.equal(policy.forecasts().values[7 * 24 + 3], 90 / 7);
  assert.equal(paid[hourStart - 6], 2, 'nothing ordered before the schedule');
  assert.equal(paid[hourStart - 5], 26, 'ordered 5 minutes ahead');
  assert.equal(supply[hourStart - 1], 2);
  assert.equal(supply[hourStart], 26, 'ready when the hour starts');
  assert.equal(supply[hourStart + 55], 26, 'held through the hour');
  assert.equal(
    supply[hourStart + 56],
    2,
    'the next hour: load 1 forecast, 2 instances at the target; HPA asks for 2 as well',
  );
});

test('AWS averages the days it has until it has seven', () => {
  const day = 24 * 60;
  const demand = Array.from({ length: 3 * day }, (_, i) => (i < day ? 4 : 8));
  const policy = new AwsPredictivePolicy(env(demand.length));
  simulateFleet(policy, demand, { readyDelay: 5, initial: 8 });
  const { stepMinutes, values } = policy.forecasts();
  assert.equal(stepMinutes, 60);
  assert.ok(Number.isNaN(values[5]), 'no forecast on the first day');
  assert.equal(values[24 + 5], 4);
  assert.equal(values[48 + 5], 6);
});
