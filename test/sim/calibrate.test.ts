import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../src/domain/random.js';
import { runBacktest } from '../../src/sim/backtest.js';
import { calibrate, type Choice, type Objective } from '../../src/sim/calibrate.js';
import { capacityPerInstance } from '../../src/sim/fleet-model.js';
import { LeadForecasts } from '../../src/sim/lead-forecasts.js';
import { CANDIDATE_POINTS, FORECAST_POINTS, pointPolicy } from '../../src/sim/operating-points.js';
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

const calibrateOn = (demand: number[], objective: Objective = {}, choice: Partial<Choice> = {}) =>
  calibrate({
    demand,
    env: { capacity: capacityPerInstance(demand), readyDelay: 5, startTime: 0 },
    candidates: CANDIDATE_POINTS,
    objective,
    target: 0.7,
    scoredMinutes: 7 * DAY,
    ...choice,
  });

test('on a pure daily season, calibration chooses the seasonal profile: it has capacity ready before each rise', () => {
  const c = calibrateOn(seasonal);
  assert.equal(c.point.rule, 'seasonal', c.summary);
  assert.equal(c.chosen.shortMinutes, 0);
  assert.ok(
    c.baseline.shortMinutes >= 7 * 4,
    `the reactive rule is short at each of the 7 rises (${c.baseline.shortMinutes} minutes)`,
  );
  assert.ok(c.chosen.paid < c.baseline.paid, c.summary);
  assert.match(
    c.summary,
    /^seasonal at 0\.\d\d, scale-in after \d+ min: 7-day backtest 0\.00 % short at \d\.\d\d × the least cost \(reactive at 0\.70/,
  );
});

test('on flash crowds without a season, calibration chooses the reactive rule: a profile of past bursts only adds cost', () => {
  const c = calibrateOn(flashCrowds(14, 7));
  assert.equal(c.point.rule, 'reactive', c.summary);
  assert.ok(c.chosen.shortMinutes <= c.baseline.shortMinutes && c.chosen.paid <= c.baseline.paid, c.summary);
});

/** Forecasts that saw each burst coming: the true peak of the next `lead` + 1 minutes, from `from` on. */
function foresight(demand: readonly number[], lead: number, from = 0): LeadForecasts {
  const leads = new LeadForecasts(0, demand.length);
  for (let t = from; t < demand.length; t++) {
    const peak = Math.max(...demand.slice(t + 1, t + lead + 2));
    leads.record(t, { p90: peak, p95: peak });
  }
  return leads;
}

test('the forecast rule orders for the recorded peak ahead at its utilisation, and is the reactive rule where nothing was forecast', () => {
  const demand = [100, 100, 100, 400, 400, 400, 100, 100];
  const env: PolicyEnv = { capacity: 10, target: 0.5, readyDelay: 2, startTime: 0, minutes: demand.length };
  const point = FORECAST_POINTS.find((p) => p.quantile === 'p95' && p.target === 0.5 && p.holdMinutes === 5)!;
  const planned = simulateFleet(pointPolicy(point, env, foresight(demand, 2, 1)), demand, {
    readyDelay: 2,
    initial: 20,
  });
  // Minute 0 has no forecast: the HPA at 0.5 keeps 20 for 100. From minute 1 the peak of 400 two minutes ahead asks for 80.
  assert.deepEqual([...planned.supply], [20, 20, 20, 80, 80, 80, 80, 80]);
  assert.throws(() => pointPolicy(point, env), /needs the forecasts/);
});

test('calibration chooses the forecast rule when the forecasts saw what the season cannot: flash crowds, foreseen', () => {
  const demand = flashCrowds(14, 5);
  const c = calibrate({
    demand,
    env: { capacity: capacityPerInstance(demand), readyDelay: 5, startTime: 0 },
    candidates: [...CANDIDATE_POINTS, ...FORECAST_POINTS],
    objective: {},
    target: 0.7,
    scoredMinutes: 7 * DAY,
    leads: foresight(demand, 5),
  });
  assert.equal(c.point.rule, 'forecast', c.summary);
  assert.ok(c.chosen.shortMinutes < c.baseline.shortMinutes && c.chosen.paid <= c.baseline.paid, c.summary);
  assert.match(c.summary, /^p9[05] forecast at 0\.\d\d, scale-in after \d+ min: 7-day backtest/);
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

test('where the reactive rule had no short minute, the safety steps for that case apply: every point without one ties with it there', () => {
  // A slow daily wave: the reactive rule at 0.7 is never short, and neither are cheaper points.
  const smooth = Array.from({ length: 14 * DAY }, (_, i) => 300 + 100 * Math.sin((2 * Math.PI * i) / DAY));
  const bare = calibrateOn(smooth, {}, { safetyStepsWithoutShortage: 0 });
  assert.equal(bare.baseline.shortMinutes, 0);
  assert.ok(bare.point.target > 0.7, bare.summary);
  const safer = calibrateOn(smooth, {}, { safetyStepsWithoutShortage: 1 });
  assert.deepEqual(
    { ...safer.point, target: Math.round(safer.point.target * 100) },
    { ...bare.point, target: Math.round(bare.point.target * 100) - 5 },
  );
  // Where it was short, they do not.
  assert.deepEqual(
    calibrateOn(seasonal, {}, { safetyStepsWithoutShortage: 1 }).point,
    calibrateOn(seasonal, {}, { safetyStepsWithoutShortage: 0 }).point,
  );
});

test('kept within cost, a step lower that would cost more than the reactive rule gives way to the reactive rule itself', () => {
  const smooth = Array.from({ length: 14 * DAY }, (_, i) => 300 + 100 * Math.sin((2 * Math.PI * i) / DAY));
  // The seasonal rule at a target costs at least the reactive rule at it: a step down to 0.70 costs more than the baseline.
  const candidates = [0.7, 0.75].map((target) => ({ rule: 'seasonal' as const, target, holdMinutes: 5 }));
  const on = (choice: Partial<Choice>) =>
    calibrate({
      demand: smooth,
      env: { capacity: capacityPerInstance(smooth), readyDelay: 5, startTime: 0 },
      candidates,
      objective: {},
      target: 0.7,
      scoredMinutes: 7 * DAY,
      ...choice,
    });
  const bare = on({ safetyStepsWithoutShortage: 0 });
  assert.deepEqual(bare.point, candidates[1], bare.summary);
  const stepped = on({ safetyStepsWithoutShortage: 1, stepsWithinCost: false });
  assert.deepEqual(stepped.point, candidates[0], stepped.summary);
  assert.ok(stepped.chosen.paid > stepped.baseline.paid, stepped.summary);
  const within = on({ safetyStepsWithoutShortage: 1, stepsWithinCost: true });
  assert.deepEqual(within.point, within.baseline.point, within.summary);
  // Where the step stays within cost, it is taken as without the bound.
  const all = calibrateOn(smooth, {}, { stepsWithinCost: true });
  assert.deepEqual(all.point, calibrateOn(smooth, {}, { stepsWithinCost: false }).point);
  assert.ok(all.chosen.paid <= all.baseline.paid, all.summary);
});

test("with headroom, a point is also weighed at more demand: where nothing was short, the one chosen keeps the reactive rule's margin", () => {
  const smooth = Array.from({ length: 14 * DAY }, (_, i) => 300 + 100 * Math.sin((2 * Math.PI * i) / DAY));
  const bare = calibrateOn(smooth, {}, { safetyStepsWithoutShortage: 0 });
  const weighed = calibrateOn(smooth, {}, { safetyStepsWithoutShortage: 0, headroom: 0.4 });
  assert.equal(bare.chosen.tightMinutes, 0, 'not counted without headroom');
  assert.ok(
    weighed.chosen.tightMinutes <= weighed.baseline.tightMinutes &&
      weighed.chosen.shortMinutes <= weighed.baseline.shortMinutes,
    weighed.summary,
  );
  assert.ok(
    weighed.baseline.tightMinutes > 0,
    'at 40 % more demand the reactive rule would have been short (it runs up to 0.77 within its tolerance)',
  );
  assert.ok(weighed.point.target < bare.point.target, `${weighed.summary} vs ${bare.summary}`);
});

test('ranked by the sum of gains, the point chosen on noisy demand is short less often than the one the smaller gain chooses, both no worse than the baseline', () => {
  const demand = noisy(14, 11);
  const smaller = calibrateOn(demand, {}, { ranking: 'smaller-gain' });
  const sum = calibrateOn(demand, {}, { ranking: 'sum-of-gains' });
  for (const c of [smaller, sum])
    assert.ok(c.chosen.shortMinutes <= c.baseline.shortMinutes && c.chosen.paid <= c.baseline.paid, c.summary);
  assert.ok(sum.chosen.shortMinutes < smaller.chosen.shortMinutes, `${sum.summary} vs ${smaller.summary}`);
});

test('runs the reactive rule at the target until two days of history, then the calibrated point, recorded daily', () => {
  const env: PolicyEnv = {
    capacity: capacityPerInstance(seasonal),
    target: 0.7,
    readyDelay: 5,
    startTime: 0,
    minutes: 5 * DAY,
  };
  const policy = new CalibratedPolicy(env, CALIBRATED_DEFAULTS);
  simulateFleet(policy, seasonal.slice(0, 5 * DAY), { readyDelay: 5, initial: 10 });
  assert.deepEqual(
    policy.calibrations.map((c) => c.minute),
    [2 * DAY, 3 * DAY, 4 * DAY],
  );
  // A square wave: the profile, or the forecaster once it has seen the season, is ready before each rise.
  assert.ok(
    policy.calibrations.every(
      (c) =>
        c.calibration.point.rule !== 'reactive' &&
        c.calibration.chosen.shortMinutes < c.calibration.baseline.shortMinutes,
    ),
  );
});

test('decides from the past only: two traces alike until a minute get the same decisions until then', async () => {
  const a = flashCrowds(5, 3).map((v, i) => v + 50 * Math.sin((2 * Math.PI * i) / DAY));
  const split = Math.round(3.5 * DAY);
  const b = a.map((v, i) => (i < split ? v : 2 * v));
  const env: PolicyEnv = { capacity: 20, target: 0.7, readyDelay: 5, startTime: 0, minutes: a.length };
  const spec = await calibrated();
  // simulateFleet hands the policy a DemandHistory that throws on any minute not yet observed.
  const runA = simulateFleet(spec.create(env), a, { readyDelay: 5, initial: 10 });
  const runB = simulateFleet(spec.create(env), b, { readyDelay: 5, initial: 10 });
  assert.deepEqual(runA.paid.subarray(0, split), runB.paid.subarray(0, split));
  assert.notDeepEqual(runA.paid.subarray(split), runB.paid.subarray(split));
});

test('in a backtest on a daily season, predictive beats hpa on both counts', async () => {
  const { runs } = runBacktest({ demand: seasonal, policies: [await calibrated(), hpa], target: 0.7, warmupDays: 7 });
  const [, predictive, reactive] = runs.map((r) => r.figures);
  assert.equal(predictive!.shortMinutes, 0);
  assert.ok(reactive!.shortMinutes > 0);
  assert.ok(predictive!.cost < reactive!.cost, `predictive ${predictive!.cost}, hpa ${reactive!.cost}`);
});
