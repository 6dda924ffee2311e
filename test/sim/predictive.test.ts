import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBacktest } from '../../src/sim/backtest.js';
import { simulateFleet } from '../../src/sim/fleet.js';
import { forecastQuantile, PREDICTIVE_DEFAULTS, type PredictiveConfig } from '../../src/sim/policies/predictive.js';
import type { PolicyEnv } from '../../src/sim/policy.js';
import { seededRandom } from '../../src/domain/random.js';

const DAY = 1440;
// Provision for the forecast itself at full capacity, scale in at once: the plan is then exactly
// the forecast's peak over the lead time, which a hand can follow.
const EXACT: PredictiveConfig = {
  ...PREDICTIVE_DEFAULTS,
  quantile: 'p95',
  trustedUtilization: 1,
  scaleInStabilizationSeconds: 0,
};

test('decides from the past only: two traces alike until a minute get the same decisions until then', async () => {
  const spec = await forecastQuantile(EXACT);
  const random = seededRandom(1);
  const a = Array.from({ length: 3 * DAY }, (_, i) => 200 + 100 * Math.sin((2 * Math.PI * i) / DAY) + 20 * random());
  const split = Math.round(2.5 * DAY);
  const b = a.map((v, i) => (i < split ? v : 3 * v));
  const env: PolicyEnv = { capacity: 20, target: 0.7, readyDelay: 5, startTime: 0, minutes: a.length };
  // simulateFleet hands the policy a DemandHistory that throws on any minute not yet observed.
  const runA = simulateFleet(spec.create(env), a, { readyDelay: 5, initial: 10 });
  const runB = simulateFleet(spec.create(env), b, { readyDelay: 5, initial: 10 });
  assert.deepEqual(runA.paid.subarray(0, split), runB.paid.subarray(0, split));
  assert.notDeepEqual(runA.paid.subarray(split), runB.paid.subarray(split));
});

// A day of 10 from midnight to 08:00 and from 20:00, 30 in between. p99 = 30, so one instance
// serves 1.5: 7 instances are required at 10, 20 at 30. Seasonal naive forecasts it exactly, so
// from the first comparison (day 2) the forecast is trusted, its errors and quantile offsets are 0,
// and the plan is the required count at its peak over the next 6 minutes. Against the oracle,
// which keeps max(r[t..t+5]):
//   step up at U:   ordered at U−6 (its window reaches U), the oracle at U−5: 13 more for a minute;
//   step down at D: the planner removes at most 10 a minute (maxScaleInStep), 20 → 10 → 7, where
//                   the oracle drops to 7 at D: 3 more for a minute.
// Over the two scored days: 2 × 13 + 2 × 3 = 32 instance-minutes more than the oracle, none short.
test('a square wave seasonal naive forecasts exactly: the oracle plus a minute of lead and the scale-in step limit', async () => {
  const demand = Array.from({ length: 5 * DAY }, (_, i) => (i % DAY >= 480 && i % DAY < 1200 ? 30 : 10));
  const { runs, required, warmupMinutes, capacity } = runBacktest({
    demand,
    policies: [await forecastQuantile(EXACT)],
    target: 0.7,
    warmupDays: 3,
  });
  assert.equal(capacity, 1.5);
  const [oracle, planned] = runs;
  let extra = 0;
  for (let t = warmupMinutes; t < demand.length; t++) {
    assert.ok(planned!.supply[t]! >= required[t]!, `short at minute ${t}`);
    extra += planned!.paid[t]! - oracle!.paid[t]!;
  }
  assert.equal(extra, 32);
  const u = 3 * DAY + 480;
  assert.deepEqual([...planned!.paid.subarray(u - 7, u + 1)], [7, 20, 20, 20, 20, 20, 20, 20]);
  const d = 3 * DAY + 1200;
  assert.deepEqual([...planned!.paid.subarray(d - 1, d + 3)], [20, 10, 7, 7]);
  assert.equal(planned!.figures.tauU, 0);
  assert.equal(planned!.figures.cost, (oracle!.figures.instanceHours * 60 + 32) / (oracle!.figures.instanceHours * 60));
});
