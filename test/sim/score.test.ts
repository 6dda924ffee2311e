import assert from 'node:assert/strict';
import { test } from 'node:test';
import { elasticity, forecastMase, paidMinutes } from '../../src/sim/score.js';

const near = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

// Required steps 2 → 4 at minute 5 and back to 2 at minute 15; the supply follows 2 minutes late
// both ways.
const required = Int32Array.from([2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 2, 2, 2, 2, 2]);
const supply = Int32Array.from([2, 2, 2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 2, 2, 2]);

test('elasticity figures of a 20-minute series, by hand', () => {
  const e = elasticity(supply, required, 0);
  assert.equal(e.shortMinutes, 2); // minutes 5 and 6
  near(e.tauU, (100 * 2) / 20);
  near(e.thetaU, (100 * (2 / 4 + 2 / 4)) / 20); // half the required missing, twice
  near(e.thetaO, (100 * (2 / 2 + 2 / 2)) / 20); // twice the required, twice
  near(e.changesPerHour, 2 / (20 / 60)); // up at 7, down at 17
});

test('only minutes after the warm-up are scored', () => {
  const e = elasticity(supply, required, 10);
  assert.equal(e.shortMinutes, 0);
  near(e.tauU, 0);
  near(e.thetaO, (100 * 2) / 10);
  near(e.changesPerHour, 1 / (10 / 60));
  assert.equal(paidMinutes(supply, 10), 4 * 7 + 2 * 3);
  assert.throws(() => elasticity(supply, required, 20), RangeError);
});

test('forecast MASE against the same step a week earlier', () => {
  // Hourly steps: a week at 10, then two hours at 14 forecast as 12 and 13. Errors 2 + 1 against
  // the naive's 4 + 4.
  const demand = [...new Array<number>(168 * 60).fill(10), ...new Array<number>(2 * 60).fill(14)];
  const values = new Float64Array(170).fill(NaN);
  values[168] = 12;
  values[169] = 13;
  near(forecastMase({ stepMinutes: 60, values }, demand, 168 * 60)!, 3 / 8);
  values[169] = NaN;
  near(forecastMase({ stepMinutes: 60, values }, demand, 168 * 60)!, 2 / 4);
  assert.equal(forecastMase({ stepMinutes: 60, values }, demand, 170 * 60), null, 'no step scored');
  assert.throws(() => forecastMase({ stepMinutes: 11, values }, demand, 0), RangeError);
});
