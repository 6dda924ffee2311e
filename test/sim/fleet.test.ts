import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulateFleet } from '../../src/sim/fleet.js';
import type { Policy } from '../../src/sim/policy.js';

const asking = (counts: (minute: number) => number): Policy => ({ decide: ({ minute }) => counts(minute) });
const run = (policy: Policy, minutes: number, initial: number) =>
  simulateFleet(policy, new Array<number>(minutes).fill(1), { readyDelay: 5, initial });

test('an order serves 5 minutes later and is paid from the minute it is placed', () => {
  const { supply, paid } = run(
    asking(() => 3),
    8,
    1,
  );
  assert.deepEqual([...supply], [1, 1, 1, 1, 1, 3, 3, 3]);
  assert.deepEqual([...paid], [3, 3, 3, 3, 3, 3, 3, 3]);
});

test('scale-in stops paying in the minute it is decided and serving from the next', () => {
  const { supply, paid } = run(
    asking((m) => (m < 6 ? 4 : 2)),
    8,
    4,
  );
  assert.deepEqual([...supply], [4, 4, 4, 4, 4, 4, 4, 2]);
  assert.deepEqual([...paid], [4, 4, 4, 4, 4, 4, 2, 2]);
});

test('scale-in cancels the newest orders first, then stops serving instances', () => {
  // 2 serving; +2 ordered at minute 0, +2 at minute 2; at minute 3 back to 4 cancels minute 2's.
  const wants = [4, 4, 6, 4, 4, 4, 4, 4, 1];
  const { supply, paid } = run(
    asking((m) => wants[m]!),
    wants.length,
    2,
  );
  assert.deepEqual([...paid], [4, 4, 6, 4, 4, 4, 4, 4, 1]);
  assert.deepEqual([...supply], [2, 2, 2, 2, 2, 4, 4, 4, 4]);
});

test('never fewer than one instance', () => {
  const { supply, paid } = run(
    asking(() => 0),
    3,
    1,
  );
  assert.deepEqual([...supply], [1, 1, 1]);
  assert.deepEqual([...paid], [1, 1, 1]);
});

test('a policy sees the demand up to now, never later', () => {
  const seen: number[] = [];
  const peeking: Policy = {
    decide({ minute, demand }) {
      seen.push(demand.at(minute));
      assert.throws(() => demand.at(minute + 1), RangeError);
      return 1;
    },
  };
  simulateFleet(peeking, [5, 6, 7], { readyDelay: 5, initial: 1 });
  assert.deepEqual(seen, [5, 6, 7]);
});

test('refuses a fractional count and a delay below one minute', () => {
  assert.throws(
    () =>
      run(
        asking(() => 2.5),
        3,
        1,
      ),
    /whole count/,
  );
  assert.throws(
    () =>
      simulateFleet(
        asking(() => 1),
        [1],
        { readyDelay: 0, initial: 1 },
      ),
    RangeError,
  );
});

test('reports progress up to 1', () => {
  const fractions: number[] = [];
  simulateFleet(
    asking(() => 1),
    new Array<number>(250).fill(1),
    { readyDelay: 5, initial: 1, onProgress: (f) => fractions.push(f) },
  );
  assert.ok(fractions.length > 10);
  assert.ok(fractions.every((f, i) => f > 0 && f <= 1 && (i === 0 || f >= fractions[i - 1]!)));
  assert.equal(fractions.at(-1), 1);
});
