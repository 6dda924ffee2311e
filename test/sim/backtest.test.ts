import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBacktest } from '../../src/sim/backtest.js';
import type { PolicySpec } from '../../src/sim/policy.js';

const near = (actual: number, expected: number, tolerance = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} ≠ ${expected} ± ${tolerance}`);

const fixed = (count: number): PolicySpec => ({ name: `fixed-${count}`, create: () => ({ decide: () => count }) });

// p99 of this demand is 40 (its two largest values), so c = 2 and r = d / 2:
//   r      = 2 2 2 2 2 4 4 4 4 4 4 4 4 20 20 2 2 2 2 2
//   oracle = 4 4 4 4 4 4 4 4 20 20 20 20 20 20 20 2 2 2 2 2   paid (max of r over t..t+5), 182 in all
// and serves what is required but for minute 15, when its scale-in to 2 is paid for, not yet felt.
// A fixed 4 starts from r[0] = 2 and orders 2 more, serving from minute 5; it pays 4 × 20 = 80.
const demand = [4, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 40, 40, 4, 4, 4, 4, 4];

test('figures of a 20-minute backtest, by hand', () => {
  const result = runBacktest({ demand, policies: [fixed(4)], target: 0.7, warmupDays: 0 });
  assert.equal(result.capacity, 2);
  assert.deepEqual([...result.required], [2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 20, 20, 2, 2, 2, 2, 2]);
  const [baseline, four] = result.runs;
  assert.equal(baseline!.name, 'oracle');
  assert.deepEqual([...baseline!.paid], [4, 4, 4, 4, 4, 4, 4, 4, 20, 20, 20, 20, 20, 20, 20, 2, 2, 2, 2, 2]);
  assert.deepEqual([...baseline!.supply], [2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 20, 20, 20, 2, 2, 2, 2]);
  assert.deepEqual(baseline!.figures, {
    shortMinutes: 0,
    tauU: 0,
    thetaU: 0,
    thetaO: (100 * (18 / 2)) / 20,
    cost: 1,
    instanceHours: 182 / 60,
    changesPerHour: 3 / (20 / 60),
    mase: null,
  });
  assert.deepEqual([...four!.supply], [2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]);
  const f = four!.figures;
  assert.equal(f.shortMinutes, 2); // minutes 13 and 14: 4 of 20
  near(f.tauU, (100 * 2) / 20);
  near(f.thetaU, (100 * 2 * (16 / 20)) / 20);
  near(f.thetaO, (100 * 5 * (2 / 2)) / 20); // minutes 15-19: 4 of 2
  near(f.cost, 80 / 182);
  near(f.instanceHours, 80 / 60);
  near(f.changesPerHour, 1 / (20 / 60));
  assert.equal(f.mase, null);
});

test('refuses a bad target, a warm-up longer than the trace and clashing names', () => {
  assert.throws(() => runBacktest({ demand, policies: [], target: 0, warmupDays: 0 }), RangeError);
  assert.throws(() => runBacktest({ demand, policies: [], target: 0.7, warmupDays: 1 }), /nothing of 20 minutes/);
  assert.throws(() => runBacktest({ demand, policies: [fixed(1), fixed(1)], target: 0.7, warmupDays: 0 }), /unique/);
  assert.throws(
    () => runBacktest({ demand, policies: [{ ...fixed(1), name: 'oracle' }], target: 0.7, warmupDays: 0 }),
    /unique/,
  );
});

test('reports progress over every policy up to 1', () => {
  const fractions: number[] = [];
  runBacktest({
    demand,
    policies: [fixed(4), fixed(9)],
    target: 0.7,
    warmupDays: 0,
    onProgress: (f) => fractions.push(f),
  });
  assert.ok(fractions.every((f, i) => i === 0 || f >= fractions[i - 1]!));
  assert.ok(fractions.some((f) => f > 0.3 && f < 0.7));
  assert.equal(fractions.at(-1), 1);
});
