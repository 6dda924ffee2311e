import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { poissonArrivals } from '../../src/load/arrivals.js';
import { seededRandom } from '../../src/domain/random.js';

/** Kolmogorov–Smirnov distance between the sample and the Exponential(rate) distribution. */
function ksExponential(gaps: number[], rate: number): number {
  const sorted = [...gaps].sort((a, b) => a - b);
  const n = sorted.length;
  return sorted.reduce((d, x, i) => {
    const cdf = 1 - Math.exp(-rate * x);
    return Math.max(d, cdf - i / n, (i + 1) / n - cdf);
  }, 0);
}

// Counts are Poisson: within 4 standard deviations of the mean unless the generator is wrong
// (a seeded run is either inside or not, the same every time).
const withinPoissonBounds = (count: number, expected: number) =>
  assert.ok(
    Math.abs(count - expected) <= 4 * Math.sqrt(expected),
    `${count} arrivals, expected ${expected} ± ${(4 * Math.sqrt(expected)).toFixed(0)}`,
  );

describe('Poisson arrivals', () => {
  it('at a constant rate: the expected count, exponential inter-arrival times', () => {
    const rate = 200;
    const times = [...poissonArrivals({ stepSeconds: 1, rates: new Array<number>(50).fill(rate) }, seededRandom(42))];
    withinPoissonBounds(times.length, rate * 50);
    const gaps = times.map((t, i) => t - (times[i - 1] ?? 0));
    assert.ok(
      gaps.every((g) => g > 0),
      'strictly increasing',
    );
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    assert.ok(Math.abs(mean - 1 / rate) < 0.05 / rate, `mean gap ${mean}`);
    // Critical value of the KS test at the 1% level.
    const d = ksExponential(gaps, rate);
    assert.ok(d < 1.628 / Math.sqrt(gaps.length), `KS distance ${d.toFixed(4)} from Exponential(${rate})`);
    // The coefficient of variation of exponential gaps is 1 (0 for a metronome, ~0.58 for uniform gaps).
    const sd = Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / (gaps.length - 1));
    assert.ok(Math.abs(sd / mean - 1) < 0.05, `coefficient of variation ${sd / mean}`);
  });

  it('follows a rate that changes per step, with none where the rate is zero, and ends with the schedule', () => {
    const rates = [0, 50, 400, 0, 100, 5];
    const stepSeconds = 10;
    const times = [...poissonArrivals({ stepSeconds, rates }, seededRandom(7))];
    const perStep = rates.map((_, i) => times.filter((t) => t >= i * stepSeconds && t < (i + 1) * stepSeconds).length);
    assert.equal(perStep[0], 0);
    assert.equal(perStep[3], 0);
    rates.forEach((rate, i) => withinPoissonBounds(perStep[i]!, rate * stepSeconds));
    assert.ok(times.every((t) => t < rates.length * stepSeconds));
  });

  it('repeats with a seed and differs across seeds', () => {
    const schedule = { stepSeconds: 1, rates: [100, 100] };
    assert.deepEqual([...poissonArrivals(schedule, seededRandom(1))], [...poissonArrivals(schedule, seededRandom(1))]);
    assert.notDeepEqual(
      [...poissonArrivals(schedule, seededRandom(1))],
      [...poissonArrivals(schedule, seededRandom(2))],
    );
  });

  it('over many seeded runs of short steps, the count per step averages its expectation (no bias at step boundaries)', () => {
    // Steps of 10 ms at 100/s: one arrival expected per step, most gaps cross a boundary.
    const schedule = { stepSeconds: 0.01, rates: new Array<number>(100).fill(100) };
    const runs = 200;
    let total = 0;
    for (let seed = 1; seed <= runs; seed++) total += [...poissonArrivals(schedule, seededRandom(seed))].length;
    withinPoissonBounds(total, runs * 100);
  });
});
