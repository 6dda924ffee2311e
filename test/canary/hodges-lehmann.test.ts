import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hodgesLehmann } from '../../src/canary/hodges-lehmann.js';

const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const y = [1.15, 0.88, 0.9, 0.74, 1.21];

const near = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);

// Hollander & Wolfe (1973) p. 69 data, as in R's ?wilcox.test. Checked from first principles: the
// 50 differences x − y have median (0.29 + 0.32)/2 = 0.305; the exact law of U for 10 and 5 (all
// C(15, 5) = 3003 rank sets) gives qwilcox(0.025) = 9 with P(U ≤ 8) = 60/3003, so the interval is
// the 9th smallest and 9th largest difference, −0.15 and 0.76, with coverage 1 − 120/3003 = 96.0%.
// R's wilcox.test(x, y, conf.int = TRUE) applies the same rule; for y against x it prints the
// mirror image, −0.305 and −0.76 .. 0.15.
test('estimate and exact 95% interval on the Hollander & Wolfe data', () => {
  const shift = hodgesLehmann(x, y);
  near(shift.estimate, 0.305);
  near(shift.lower, -0.15);
  near(shift.upper, 0.76);
  near(shift.achievedConfidence, 1 - 120 / 3003);
  assert.equal(shift.method, 'exact');

  const mirrored = hodgesLehmann(y, x);
  near(mirrored.estimate, -0.305);
  near(mirrored.lower, -0.76);
  near(mirrored.upper, 0.15);
});

test('other levels on the same data: 90% is the 12th order statistics, 99% the 5th', () => {
  const ninety = hodgesLehmann(x, y, { confidence: 0.9 });
  near(ninety.lower, -0.08);
  near(ninety.upper, 0.72);
  const ninetyNine = hodgesLehmann(x, y, { confidence: 0.99 });
  near(ninetyNine.lower, -0.35);
  near(ninetyNine.upper, 1.01);
});

test('large samples: k from the normal approximation, and 300 a side is handled', () => {
  // 60 a side, no ties: k = 1427 (see u-distribution.test.ts). With x = y + 0.5 on the grid 0..59
  // the differences are 0.5 + d, d = i − j taking each value 60 − |d| times, so (60 − t)(61 − t)/2
  // of them have d ≤ −t: 1378 for t = 8, 1431 for t = 7. The 1427th smallest is therefore
  // 0.5 − 7 = −6.5, and by symmetry the 1427th largest is 7.5.
  const base = Array.from({ length: 60 }, (_, i) => i);
  const shift = hodgesLehmann(
    base.map((v) => v + 0.5),
    base,
  );
  assert.equal(shift.method, 'normal');
  near(shift.estimate, 0.5);
  near(shift.lower, -6.5);
  near(shift.upper, 7.5);
  assert.ok(shift.achievedConfidence >= 0.95);

  const big = Array.from({ length: 300 }, (_, i) => Math.sin(i) * 10);
  const shift300 = hodgesLehmann(
    big.map((v) => v + 2),
    big,
  );
  near(shift300.estimate, 2);
  assert.ok(shift300.lower < 2 && shift300.upper > 2);
});

test('too few samples for the level: widest interval, and the coverage it really has', () => {
  const shift = hodgesLehmann([2, 3], [1]);
  near(shift.lower, 1);
  near(shift.upper, 2);
  near(shift.achievedConfidence, 1 - 2 / 3);
});
