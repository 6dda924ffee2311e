import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reactiveDesired, stabilise } from '../../src/planner/reactive.js';

// Values are binary-exact (0.75 / 0.5 = 1.5) so ceil() is not at the mercy of rounding.
test('scales up to ceil(ready × metric / target)', () => {
  assert.deepEqual(reactiveDesired({ ready: 4, current: 4, metric: 0.75, target: 0.5 }), {
    desired: 6,
    ratio: 1.5,
    reason: 'above-target',
  });
  assert.equal(
    reactiveDesired({ ready: 3, current: 3, metric: 0.625, target: 0.5 }).desired,
    4,
    'ceil(3 × 1.25) = ceil(3.75)',
  );
});

test('scales down the same way', () => {
  assert.deepEqual(reactiveDesired({ ready: 10, current: 10, metric: 0.25, target: 0.5 }), {
    desired: 5,
    ratio: 0.5,
    reason: 'below-target',
  });
});

test('the ratio is taken over the ready instances, whatever the current count', () => {
  assert.equal(reactiveDesired({ ready: 4, current: 7, metric: 0.75, target: 0.5 }).desired, 6);
});

test('works on a per-instance metric as well as a utilisation', () => {
  assert.equal(reactiveDesired({ ready: 3, current: 3, metric: 150, target: 100 }).desired, 5, 'ceil(3 × 1.5)');
});

test('within the tolerance keeps the current count', () => {
  assert.deepEqual(reactiveDesired({ ready: 4, current: 5, metric: 0.525, target: 0.5 }), {
    desired: 5,
    ratio: 1.05,
    reason: 'within-tolerance',
  });
  assert.equal(reactiveDesired({ ready: 4, current: 5, metric: 0.475, target: 0.5 }).reason, 'within-tolerance');
  assert.equal(
    reactiveDesired({ ready: 4, current: 4, metric: 0.6, target: 0.5 }).reason,
    'above-target',
    '20% over is outside 10%',
  );
  assert.equal(
    reactiveDesired({ ready: 4, current: 4, metric: 0.6, target: 0.5, tolerance: 0.25 }).reason,
    'within-tolerance',
  );
});

test('without a ready instance or a reading, keeps the current count', () => {
  assert.deepEqual(reactiveDesired({ ready: 0, current: 3, metric: 0.9, target: 0.5 }), {
    desired: 3,
    ratio: NaN,
    reason: 'no-metric',
  });
  assert.equal(reactiveDesired({ ready: 2, current: 3, metric: NaN, target: 0.5 }).reason, 'no-metric');
  assert.throws(() => reactiveDesired({ ready: 2, current: 2, metric: 0.5, target: 0 }), RangeError);
});

test('stabilisation: scale-up at once, scale-down only to the highest recommendation of the window', () => {
  assert.deepEqual(stabilise(5, 8, [3, 8]), { count: 8, reason: 'scale-up' });
  assert.deepEqual(stabilise(10, 6, [9, 7, 6]), { count: 9, reason: 'scale-down' });
  assert.deepEqual(stabilise(10, 6, [12, 6]), { count: 10, reason: 'held-by-stabilisation' });
  assert.deepEqual(stabilise(10, 4, [4, 4, 4]), { count: 4, reason: 'scale-down' });
  assert.deepEqual(stabilise(5, 5, [5]), { count: 5, reason: 'unchanged' });
});
