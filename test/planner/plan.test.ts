import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { policySchema } from '../../src/domain/resource-set.js';
import type { Forecast } from '../../src/forecast/types.js';
import { plan, type PlanInput } from '../../src/planner/plan.js';

const policy = policySchema.parse({
  targetUtilization: 0.5,
  intervalSeconds: 60,
  leadTimeSeconds: 300,
  scaleInStabilizationSeconds: 300,
  maxScaleInStep: 2,
});

/** A flat-then-step forecast of `values` per minute from `start`, all quantiles equal. */
function forecast(start: number, values: number[]): Forecast {
  return {
    model: 'test',
    start,
    stepSeconds: 60,
    point: values,
    quantiles: { p50: values, p90: values, p95: values, p99: values },
  };
}

const base: PlanInput = {
  now: 1_000_000,
  minInstances: 1,
  maxInstances: 50,
  policy,
  current: 4,
  ready: 4,
  loadPerReadyInstance: 5,
  capacityPerInstance: 10,
  forecast: null,
  forecastTrusted: true,
  recommendations: [],
  override: null,
};

describe('planner', () => {
  it('follows the calibrated point: its utilisation, its scale-in hold and the seasonal profile in place of the forecast', () => {
    const calibration = {
      rule: 'seasonal' as const,
      target: 0.8,
      holdMinutes: 20,
      calibratedAt: base.now - 3600,
      seasonalDemand: 100,
      summary:
        'seasonal at 0.80, scale-in after 20 min: 7-day backtest 0.10 % short at 1.10 × the least cost (reactive at 0.50, scale-in after 5 min: 0.20 % short at 1.40 × the least cost)',
    };
    const p = plan({ ...base, forecast: forecast(base.now, [1000]), calibration });
    assert.equal(
      p.predictive,
      Math.ceil(100 / (10 * 0.8)),
      'the profile at the calibrated utilisation; the forecast of 1000 is not used',
    );
    assert.equal(p.reactive, Math.ceil(4 * (5 / 10 / 0.8)), 'HPA at the calibrated target');
    assert.equal(p.rule, 'predictive');
    assert.ok(
      p.reasons.some((r) => r === `calibrated 1970-01-12: ${calibration.summary}`),
      p.reasons.join(' | '),
    );

    // Scale-in waits out the calibrated 20 minutes, not the policy's 5.
    const held = plan({
      ...base,
      current: 20,
      ready: 20,
      loadPerReadyInstance: 1,
      calibration: { ...calibration, rule: 'reactive' },
      recommendations: [{ at: base.now - 15 * 60, count: 20 }],
    });
    assert.equal(held.predictive, null);
    assert.equal(held.desired, 20);
    assert.equal(held.rule, 'stabilisation');
    assert.ok(held.reasons.includes('predictive: calibration chose the reactive rule'));
  });

  it("a calibrated forecast point provisions for its quantile's peak at its utilisation, and only on a trusted forecast", () => {
    const f: Forecast = {
      ...forecast(base.now, [20, 20, 20, 20, 100, 100, 500, 500]),
      quantiles: { p50: [20], p90: [20, 20, 20, 20, 100, 100, 500], p95: [20, 20, 20, 20, 160, 160, 500], p99: [999] },
    };
    const calibration = {
      rule: 'forecast' as const,
      quantile: 'p90' as const,
      target: 0.8,
      holdMinutes: 5,
      calibratedAt: base.now,
      seasonalDemand: null,
      summary: 'p90 forecast at 0.80, scale-in after 5 min: …',
    };
    const p = plan({ ...base, forecast: f, calibration });
    assert.equal(
      p.predictive,
      Math.ceil(100 / (10 * 0.8)),
      "the p90 peak within 360 s at 0.8; the policy's p95 and 0.5 are not used",
    );
    assert.ok(
      p.reasons.some((r) => /^predictive: test p90 peak 100\.0 req\/s/.test(r)),
      p.reasons.join(' | '),
    );
    const untrusted = plan({ ...base, forecast: f, forecastTrusted: false, calibration });
    assert.equal(untrusted.predictive, null);
    assert.ok(untrusted.reasons.some((r) => /not trusted/.test(r)));
  });

  it('provisions for the forecast peak within lead time + interval, ahead of demand', () => {
    // Demand 20 req/s now, a ramp to 100 req/s 4 minutes out (inside 300 s + 60 s), 500 after.
    const f = forecast(base.now, [20, 20, 20, 20, 100, 100, 500, 500]);
    const p = plan({ ...base, forecast: f });
    assert.equal(p.predictive, Math.ceil(100 / (10 * 0.5)));
    assert.equal(p.desired, 20);
    assert.equal(p.rule, 'predictive');
    assert.match(p.reasons[0]!, /predictive wins: 20 vs reactive 4/);
  });

  it('falls back to the reactive rule when the forecast is not trusted, and says so', () => {
    const p = plan({ ...base, forecast: forecast(base.now, [1000]), forecastTrusted: false, loadPerReadyInstance: 10 });
    assert.equal(p.predictive, null);
    assert.equal(p.reactive, 8, 'HPA: ceil(4 × 1.0/0.5)');
    assert.equal(p.desired, 8);
    assert.ok(p.reasons.some((r) => /not trusted/.test(r)));
  });

  it('never goes below the reactive rule on an unforeseen spike', () => {
    const p = plan({ ...base, forecast: forecast(base.now, [10, 10, 10, 10, 10, 10, 10]), loadPerReadyInstance: 15 });
    assert.equal(p.predictive, 2);
    assert.equal(p.reactive, 12);
    assert.equal(p.desired, 12);
    assert.equal(p.rule, 'reactive');
  });

  it('HPA tolerance: within 10% of target keeps the count', () => {
    const p = plan({ ...base, loadPerReadyInstance: 5.4 });
    assert.equal(p.reactive, 4);
  });

  it('clamps to min and max and names the bound', () => {
    assert.deepEqual(
      [plan({ ...base, loadPerReadyInstance: 1000 }).desired, plan({ ...base, loadPerReadyInstance: 1000 }).rule],
      [50, 'maximum'],
    );
    const low = plan({ ...base, minInstances: 6 });
    assert.equal(low.desired, 6);
    assert.equal(low.rule, 'minimum');
  });

  it('scale-in waits out the stabilisation window, then steps down by at most maxScaleInStep', () => {
    const quiet = { ...base, current: 10, ready: 10, loadPerReadyInstance: 0.5 };
    const held = plan({ ...quiet, recommendations: [{ at: base.now - 120, count: 10 }] });
    assert.equal(held.desired, 10);
    assert.equal(held.rule, 'stabilisation');
    assert.equal(held.recommendation, 1);
    const later = plan({ ...quiet, recommendations: [{ at: base.now - 400, count: 10 }] });
    assert.equal(later.desired, 8, 'window passed: scale in, but only by 2');
    assert.equal(later.rule, 'step-limit');
  });

  it('a manual override wins until it expires', () => {
    const o = { count: 7, expiresAt: base.now + 60 };
    assert.deepEqual([plan({ ...base, override: o }).desired, plan({ ...base, override: o }).rule], [7, 'manual']);
    assert.notEqual(plan({ ...base, override: { count: 7, expiresAt: base.now } }).rule, 'manual');
    assert.equal(plan({ ...base, override: { count: 500, expiresAt: base.now + 60 } }).desired, 50, 'still within max');
  });

  it('properties over random inputs: within [min, max], never below reactive (unless max), no early scale-in', () => {
    let seed = 42;
    const rand = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 5_000; i++) {
      const min = Math.floor(rand() * 5);
      const max = min + 1 + Math.floor(rand() * 40);
      const current = Math.floor(rand() * 50);
      const input: PlanInput = {
        ...base,
        minInstances: min,
        maxInstances: max,
        current,
        ready: Math.floor(rand() * (current + 1)),
        loadPerReadyInstance: rand() < 0.1 ? null : rand() * 30,
        forecast:
          rand() < 0.2
            ? null
            : forecast(
                base.now - 120,
                Array.from({ length: 12 }, () => rand() * 400),
              ),
        forecastTrusted: rand() < 0.8,
        recommendations: Array.from({ length: Math.floor(rand() * 6) }, () => ({
          at: base.now - Math.floor(rand() * 600),
          count: Math.floor(rand() * 50),
        })),
      };
      const p = plan(input);
      assert.ok(p.desired >= min && p.desired <= max, `bounds ${JSON.stringify({ min, max, p })}`);
      assert.ok(p.desired >= Math.min(p.reactive, max), 'never below the reactive rule');
      if (p.desired < current) {
        const recent = input.recommendations.filter((r) => r.at > base.now - policy.scaleInStabilizationSeconds);
        assert.ok(
          recent.every((r) => r.count <= p.desired) ||
            p.desired === current - policy.maxScaleInStep ||
            p.desired === max,
          `scale-in only to a level no recent recommendation exceeds ${JSON.stringify({ current, recent, p })}`,
        );
        assert.ok(current - p.desired <= policy.maxScaleInStep || p.desired === max, 'step limit');
      }
    }
  });
});
