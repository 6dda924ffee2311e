import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalCdf, normalQuantile, normalUpperTail } from '../../src/canary/normal.js';

const close = (actual: number, expected: number, relative: number) =>
  assert.ok(Math.abs(actual / expected - 1) <= relative, `${actual} is not within ${relative} of ${expected}`);

// Reference values: Abramowitz & Stegun table 26.1 and its tail table (Q(6), Q(10)), to the digits printed there.
test('normal tails match tabulated values in the centre and far out', () => {
  close(normalCdf(1.96), 0.9750021048517795, 1e-14);
  close(normalCdf(-1), 0.15865525393145707, 1e-14);
  close(normalUpperTail(3), 1.3498980316300946e-3, 1e-13);
  close(normalUpperTail(6), 9.865876450377e-10, 1e-12);
  close(normalUpperTail(10), 7.619853024160527e-24, 1e-12);
  assert.equal(normalCdf(0), 0.5);
});

test('normal quantile inverts the CDF, including deep tails', () => {
  close(normalQuantile(0.975), 1.959963984540054, 1e-14);
  close(normalQuantile(0.01), -2.3263478740408408, 1e-14);
  for (const p of [1e-12, 1e-4, 0.2, 0.5 + 1e-9, 0.9]) close(normalCdf(normalQuantile(p)), p, 1e-12);
  assert.throws(() => normalQuantile(1), RangeError);
});
