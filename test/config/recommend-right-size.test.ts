import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { disposition, DEFAULT_RECOMMENDATION_POLICY, type Recommendation } from '../../src/config/recommend/policy.js';
import { rightSize, type TypeCapacity } from '../../src/config/recommend/right-size.js';
import { observationOfTrial } from '../../src/config/recommend/trial.js';

const types: TypeCapacity[] = [
  { instanceType: 'local.small', hourlyPrice: 0.02, capacity: 100, basis: 'learned' },
  // Twice the price, but the app scales better than linearly on it: cheaper per unit of capacity.
  { instanceType: 'local.medium', hourlyPrice: 0.04, capacity: 260, basis: 'learned' },
  { instanceType: 'local.large', hourlyPrice: 0.08, capacity: 380, basis: 'learned' },
];
const base = { current: 'local.small', types, targetUtilization: 0.7, minInstances: 1, minSaving: 0.1 };

describe('right-sizing', () => {
  it('prices each type per unit of capacity at the SLO and picks the cheaper fleet', () => {
    const result = rightSize({ ...base, demand: 2000 });
    // Large is cheaper per unit than small but 8 of them (bash.64/h) cost more than 29 small (bash.58/h).
    assert.deepEqual(
      result.costs.map((c) => c.instanceType),
      ['local.medium', 'local.small', 'local.large'],
    );
    const medium = result.costs[0]!;
    assert.ok(Math.abs(medium.costPerCapacity - 0.04 / 260) < 1e-15);
    assert.equal(medium.instances, Math.ceil(2000 / (260 * 0.7)));
    assert.equal(result.recommended, 'local.medium');
    // 29 small ($0.58/h) against 11 medium ($0.44/h).
    assert.ok(
      Math.abs(result.expectedSavingPerHour - (29 * 0.02 - 11 * 0.04)) < 1e-12,
      `${result.expectedSavingPerHour}`,
    );
    assert.match(
      result.reason,
      /11 × local.medium = \$0.4400\/h .* instead of 29 × local.small = \$0.5800\/h .* saves \$0.1400\/h \(24%\)/,
    );
  });

  it('stays when the saving is below the margin', () => {
    const result = rightSize({ ...base, demand: 2000, minSaving: 0.3 });
    assert.equal(result.recommended, null);
    assert.equal(result.expectedSavingPerHour, 0);
    assert.match(result.reason, /the next best, 11 × local.medium .* does not save 30%/);
  });

  it('counts whole instances: at low demand the small type wins though it is dearer per unit', () => {
    const result = rightSize({ ...base, current: 'local.large', demand: 50 });
    assert.equal(result.recommended, 'local.small');
    assert.equal(result.costs[0]!.instances, 1);
    assert.ok(Math.abs(result.expectedSavingPerHour - 0.06) < 1e-12);
  });

  it('says so when the current type has no known capacity, and ignores unusable types', () => {
    const result = rightSize({
      ...base,
      current: 'm7g.large',
      demand: 100,
      types: [...types, { instanceType: 'x', hourlyPrice: 1, capacity: 0, basis: 'learned' }],
    });
    assert.equal(result.recommended, null);
    assert.equal(result.costs.length, 3);
    assert.match(result.reason, /no capacity is known for the current type m7g.large/);
    assert.throws(() => rightSize({ ...base, demand: 1, targetUtilization: 0 }), /targetUtilization/);
  });
});

describe('recommendation policy and trials', () => {
  const trial: Recommendation = {
    kind: 'tuning-trial',
    params: { poolSize: 32, cacheSize: 50_000, queueLimit: 256 },
    expectedGain: 0.12,
    reason: 'EI',
  };

  it('rolls out automatically only in auto mode and only when the gain is worth a rollout', () => {
    assert.equal(disposition(DEFAULT_RECOMMENDATION_POLICY, trial), 'record');
    const auto = { ...DEFAULT_RECOMMENDATION_POLICY, mode: 'auto' as const };
    assert.equal(disposition(auto, trial), 'rollout');
    assert.equal(disposition(auto, { ...trial, expectedGain: 0.01 }), 'record');
  });

  it('turns a judged trial into an observation: capacity per dollar when it passed, unsafe otherwise', () => {
    const params = { poolSize: 8, cacheSize: 1000, queueLimit: 64 };
    assert.deepEqual(observationOfTrial({ params, verdict: 'pass', capacity: 300, hourlyCost: 0.015 }), {
      params,
      safe: true,
      value: 20_000,
    });
    assert.deepEqual(observationOfTrial({ params, verdict: 'marginal', capacity: 300, hourlyCost: 0.015 }), {
      params,
      safe: false,
      reason: 'canary judged marginal',
    });
    assert.equal(observationOfTrial({ params, verdict: 'pass', capacity: null, hourlyCost: 0.015 }), null);
    assert.equal(observationOfTrial({ params, verdict: 'pass', capacity: 0, hourlyCost: 0.015 })?.safe, false);
  });
});
