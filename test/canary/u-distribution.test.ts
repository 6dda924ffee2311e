import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lowerQuantile, lowerTail, uNullDistribution, upperTail } from '../../src/canary/u-distribution.js';

test('exact law of U for 3 and 3 is the textbook 1,1,2,3,3,3,3,2,1,1 over C(6,3) = 20', () => {
  const law = uNullDistribution(3, 3, 'exact', 0, true);
  const counts = [1, 1, 2, 3, 3, 3, 3, 2, 1, 1];
  let cumulative = 0;
  counts.forEach((count, u) => {
    cumulative += count;
    assert.ok(Math.abs(lowerTail(law, u) - cumulative / 20) < 1e-15);
  });
  assert.ok(Math.abs(upperTail(law, 7) - 4 / 20) < 1e-15);
});

// Critical values of U for a two-sided test at α = 0.05 (the largest u with P(U ≤ u) ≤ 0.025) from
// the standard Mann–Whitney tables (e.g. Zar, Biostatistical Analysis, table B.11); 10/10 was also
// checked by enumerating all C(20, 10) rank sets.
test('exact lower quantiles reproduce published critical values of U', () => {
  for (const [m, n, critical] of [
    [5, 5, 2],
    [8, 8, 13],
    [5, 10, 8],
    [10, 10, 23],
    [20, 20, 127],
  ] as const) {
    const law = uNullDistribution(m, n, 'exact', 0, true);
    assert.equal(lowerQuantile(law, 0.025) - 1, critical, `${m}/${n}`);
    assert.ok(lowerTail(law, critical) <= 0.025 && lowerTail(law, critical + 1) > 0.025);
  }
});

test('normal approximation: smallest q with Φ((q + ½ − mn/2)/σ) ≥ p', () => {
  // m = n = 60 without ties: σ = √(60·60·121/12) = 190.53, z(0.025) = −1.95996, so
  // q = ⌈1800 − 0.5 − 373.42⌉ = 1427.
  const law = uNullDistribution(60, 60, 'normal', 0, true);
  assert.equal(lowerQuantile(law, 0.025), 1427);
  assert.ok(lowerTail(law, 1426) < 0.025 && lowerTail(law, 1427) >= 0.025);
});
