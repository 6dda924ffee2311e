import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../src/load/random.js';
import { runBacktest } from '../../src/sim/backtest.js';
import { calibrate, type Objective } from '../../src/sim/calibrate.js';
import { capacityPerInstance } from '../../src/sim/fleet-model.js';
import { CANDIDATE_POINTS } from '../../src/sim/operating-points.js';
import { calibrated, CalibratedPolicy, CALIBRATED_DEFAULTS } from '../../src/sim/policies/calibrated.js';
import { simulateFleet } from '../../src/sim/fleet.js';
import { hpa } from '../../src/sim/policies/hpa.js';
import type { PolicyEnv } from '../../src/sim/policy.js';

const DAY = 1440;

/** 100 at night, 400 from 09:00 to 18:00: a rise of 4× in a minute that only a schedule meets in time. */
const seasonal = Array.from({ length: 14 * DAY }, (_, i) => (i % DAY >= 540 && i % DAY < 1080 ? 400 : 100));

/** A flat 100 with bursts to 300–500 lasting 5–30 minutes at random times, about four a day: nothing recurs. */
function flashCrowds(days: number, seed: number): number[] {
  const random = seededRandom(seed);
  const demand = new Array<number>(days * DAY).fill(100);
  for (let burst = 0; burst < days * 4; burst++) {
    const at = Math.floor(random() * demand.length);
    const level = 300 + 200 * random();
    for (let t = at; t < Math.min(demand.length, at + 5 + Math.floor(25 * random())); t++) demand[t] = level;
  }
  return demand;
}

const calibrateOn = (demand: number[], objective: Objective = {}) => calibrate({
  demand, env: { capacity: capacityPerInstance(demand), readyDelay: 5, startTime: 0 }, candidates: CANDIDATE_POINTS, objective, target: 0.7, scoredMinutes: 7 * DAY,
});

test('on a pure daily season, calibration chooses the seasonal profile: it has capacity ready before each rise', () => {
  const c = calibrateOn(seasonal);
  assert.equal(c.point.rule, 'seasonal', c.summary);
  assert.equal(c.chosen.shortMinutes, 0);
  assert.ok(c.baseline.shortMinutes >= 7 * 4, `the reactive rule is short at each of the 7 rises (${c.baseline.shortMinutes} minutes)`);
  assert.ok(c.chosen.paid < c.baseline.paid, c.summary);
  assert.match(c.summary, /^seasonal at 0\.\d\d, scale-in after \d+ min: 7-day backtest 0\.00 % short at \d\.\d\d × the least cost \(reactive at 0\.70/);
});

test('on flash crowds without a season, calibration chooses the reactive rule: a profile of past bursts only adds cost', () => {
  const c = calibrateOn(flashCrowds(14, 7));
  assert.equal(c.point.rule, 'reactive', c.summary);
  assert.ok(c.chosen.shortMinutes <= c.baseline.shortMinutes && c.chosen.paid <= c.baseline.paid, c.summary);
});

/** Noise of ±40 % around 100 each minute: the more headroom, the fewer short minutes. */
function noisy(days: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: days * DAY }, () => 100 * (0.6 + 0.8 * random()));
}

test('the objective moves the chosen point the right way: a tighter budget or a dearer short minute buys fewer short minutes', () => {
  const demand = noisy(14, 11);
  const loose = calibrateOn(demand, { maxShortMinutesPct: 5 });
  const tight = calibrateOn(demand, { maxShortMinutesPct: 0.2 });
  assert.ok(tight.chosen.shortMinutes < loose.chosen.shortMinutes, `${tight.summary} vs ${loose.summary}`);
  assert.ok(tight.chosen.paid > loose.chosen.paid);
  assert.ok(loose.chosen.shortMinutes <= 0.05 * loose.minutes);
  const cheap = calibrateOn(demand, { costOfShortMinute: 1 });
  const dear = calibrateOn(demand, { costOfShortMinute: 1000 });
  assert.ok(dear.chosen.shortMinutes < cheap.chosen.shortMinutes, `${dear.summary} vs ${cheap.summary}`);
  assert.ok(dear.chosen.paid > cheap.chosen.paid);
});

test('runs the reactive rule at the target until two days of history, then the calibrated point, recorded daily', () => {
  const env: PolicyEnv = { capacity: capacityPerInstance(seasonal), target: 0.7, readyDelay: 5, startTime: 0, minutes: 5 * DAY };
  const policy = new CalibratedPolicy(env, CALIBRATED_DEFAULTS);
  simulateFleet(policy, seasonal.slice(0, 5 * DAY), { readyDelay: 5, initial: 10 });
  assert.deepEqual(policy.calibrations.map((c) => c.minute), [2 * DAY, 3 * DAY, 4 * DAY]);
  assert.ok(policy.calibrations.every((c) => c.calibration.point.rule === 'seasonal'));
});

test('decides from the past only: two traces alike until a minute get the same decisions until then', () => {
  const a = flashCrowds(5, 3).map((v, i) => v + 50 * Math.sin((2 * Math.PI * i) / DAY));
  const split = Math.round(3.5 * DAY);
  const b = a.map((v, i) => (i < split ? v : 2 * v));
  const env: PolicyEnv = { capacity: 20, target: 0.7, readyDelay: 5, startTime: 0, minutes: a.length };
  const spec = calibrated();
  // simulateFleet hands the policy a DemandHistory that throws on any minute not yet observed.
  const runA = simulateFleet(spec.create(env), a, { readyDelay: 5, initial: 10 });
  const runB = simulateFleet(spec.create(env), b, { readyDelay: 5, initial: 10 });
  assert.deepEqual(runA.paid.subarray(0, split), runB.paid.subarray(0, split));
  assert.notDeepEqual(runA.paid.subarray(split), runB.paid.subarray(split));
});

test('in a backtest on a daily season, predictive beats hpa on both counts', () => {
  const { runs } = runBacktest({ demand: seasonal, policies: [calibrated(), hpa], target: 0.7, warmupDays: 7 });
  const [, predictive, reactive] = runs.map((r) => r.figures);
  assert.equal(predictive!.shortMinutes, 0);
  assert.ok(reactive!.shortMinutes > 0);
  assert.ok(predictive!.cost < reactive!.cost, `predictive ${predictive!.cost}, hpa ${reactive!.cost}`);
});
