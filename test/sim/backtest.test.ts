import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runBacktest } from '../../src/sim/backtest.js';
import { aws } from '../../src/sim/policies/aws.js';
import { hpa } from '../../src/sim/policies/hpa.js';
import type { PolicySpec } from '../../src/sim/policy.js';
import { readTraceFile } from '../../src/sim/trace-file.js';

const near = (actual: number, expected: number, tolerance = 1e-9) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} ≠ ${expected} ± ${tolerance}`);

const fixed = (count: number): PolicySpec => ({ name: `fixed-${count}`, create: () => ({ decide: () => count }) });

// p99 of this demand is 40 (its two largest values), so c = 2 and r = d / 2:
//   r      = 2 2 2 2 2 4 4 4 4 4 4 4 4 20 20 2 2 2 2 2
//   oracle = 4 4 4 4 4 4 4 4 20 20 20 20 20 20 20 2 2 2 2 2   paid (max of r over t..t+5), 182 in all
// A fixed 4 starts from r[0] = 2 and orders 2 more, serving from minute 5; it pays 4 × 20 = 80.
const demand = [4, 4, 4, 4, 4, 8, 8, 8, 8, 8, 8, 8, 8, 40, 40, 4, 4, 4, 4, 4];

test('figures of a 20-minute backtest, by hand', () => {
  const result = runBacktest({ demand, policies: [fixed(4)], target: 0.7, warmupDays: 0 });
  assert.equal(result.capacity, 2);
  assert.deepEqual([...result.required], [2, 2, 2, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 20, 20, 2, 2, 2, 2, 2]);
  const [baseline, four] = result.runs;
  assert.equal(baseline!.name, 'oracle');
  assert.deepEqual([...baseline!.paid], [4, 4, 4, 4, 4, 4, 4, 4, 20, 20, 20, 20, 20, 20, 20, 2, 2, 2, 2, 2]);
  assert.deepEqual(baseline!.supply, result.required, 'serves exactly what is required here');
  assert.deepEqual(baseline!.figures, { shortMinutes: 0, tauU: 0, thetaU: 0, thetaO: 0, cost: 1, instanceHours: 182 / 60, changesPerHour: 3 / (20 / 60), mase: null });
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
  assert.throws(() => runBacktest({ demand, policies: [{ ...fixed(1), name: 'oracle' }], target: 0.7, warmupDays: 0 }), /unique/);
});

test('reports progress over every policy up to 1', () => {
  const fractions: number[] = [];
  runBacktest({ demand, policies: [fixed(4), fixed(9)], target: 0.7, warmupDays: 0, onProgress: (f) => fractions.push(f) });
  assert.ok(fractions.every((f, i) => i === 0 || f >= fractions[i - 1]!));
  assert.ok(fractions.some((f) => f > 0.3 && f < 0.7));
  assert.equal(fractions.at(-1), 1);
});

const taxi = fileURLToPath(new URL('../../../shared/traces/nab-nyc-taxi.csv', import.meta.url));

// The reference figures for NYC taxi at target 0.7: τU ± 0.05 pp, cost ± 0.01.
test('reproduces the reference figures on the NYC taxi trace', { skip: !existsSync(taxi) && `no trace at ${taxi}` }, async () => {
  const series = await readTraceFile(taxi);
  const { runs } = runBacktest({ demand: series.values, startTime: series.start, policies: [hpa, aws], target: 0.7, warmupDays: 7 });
  const byName = Object.fromEntries(runs.map((r) => [r.name, r.figures]));
  near(byName.oracle!.tauU, 0);
  near(byName.hpa!.tauU, 0, 0.05);
  near(byName.hpa!.cost, 1.38, 0.01);
  near(byName.aws!.tauU, 0, 0.05);
  near(byName.aws!.cost, 1.52, 0.01);
  assert.ok(byName.aws!.mase !== null && byName.aws!.mase > 0);
});
