import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mannWhitney } from '../../src/canary/mann-whitney.js';

// Hollander & Wolfe (1973), p. 69, the example of R's ?wilcox.test: permeability constants of the
// human chorioamnion at term (x) and at 12–26 weeks' gestation (y).
const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
const y = [1.15, 0.88, 0.9, 0.74, 1.21];

const near = (actual: number, expected: number, digits: number) =>
  assert.ok(Math.abs(actual - expected) < 0.5 * 10 ** -digits, `${actual} ≠ ${expected} to ${digits} digits`);

test('exact one-sided p: wilcox.test(x, y, alternative = "g") gives W = 35, p = 0.1272', () => {
  const result = mannWhitney(x, y, { alternative: 'greater' });
  assert.equal(result.u, 35);
  assert.equal(result.method, 'exact');
  near(result.pValue, 0.1272, 4);
  // By enumeration of all C(15, 5) rank sets: 382 of 3003 give U ≥ 35.
  near(result.pValue, 382 / 3003, 14);
});

test('Hollander & Wolfe large-sample approximation without continuity correction gives p = 0.1103', () => {
  const result = mannWhitney(x, y, { alternative: 'greater', method: 'normal', continuity: false });
  near(result.pValue, 0.1103, 4);
});

test('swapping the samples mirrors U and the one-sided alternative', () => {
  const result = mannWhitney(y, x, { alternative: 'less' });
  assert.equal(result.u, 15);
  near(result.pValue, 382 / 3003, 14);
  near(mannWhitney(x, y).pValue, 2 * (382 / 3003), 14);
});

// R's ?wilcox.test: wilcox.test(Ozone ~ Month, data = airquality, subset = Month %in% c(5, 8))
// gives W = 127.5, p-value = 0.0001208: ties, so the normal approximation with tie and continuity
// corrections. Ozone (ppb) for May and August 1973, NA readings left out.
test('normal approximation with ties reproduces R airquality May vs August: W = 127.5, p = 0.0001208', () => {
  const may = [41, 36, 12, 18, 28, 23, 19, 8, 7, 16, 11, 14, 18, 14, 34, 6, 30, 11, 1, 11, 4, 32, 23, 45, 115, 37];
  const august = [
    39, 9, 16, 78, 35, 66, 122, 89, 110, 44, 28, 65, 22, 59, 23, 31, 44, 21, 9, 45, 168, 73, 76, 118, 84, 85,
  ];
  const result = mannWhitney(may, august);
  assert.equal(result.u, 127.5);
  assert.equal(result.method, 'normal');
  near(result.pValue * 1e4, 1.208, 3);
});

test('identical samples give p = 1; exact with ties and NaN are refused', () => {
  assert.equal(mannWhitney([3, 3, 3], [3, 3]).pValue, 1);
  assert.throws(() => mannWhitney([1, 2, 2], [3, 4], { method: 'exact' }), RangeError);
  assert.throws(() => mannWhitney([1, Number.NaN], [3, 4]), RangeError);
});
