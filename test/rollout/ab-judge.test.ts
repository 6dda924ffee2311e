import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeExperiment } from '../../src/activities/experiment-analysis.js';
import { normalQuantile } from '../../src/canary/normal.js';
import type { InstanceSamples } from '../../src/store/metrics.js';

const FROM = 1_700_000_000;
const INTERVAL = 10;
const N = 30;

/** One agent sample per interval: p95 latencies at evenly spaced normal quantiles around `p95`, `errorRate` of requests failing. */
function instance(p95: number, options: { phase?: number; errorRate?: number } = {}): InstanceSamples {
  const { phase = 0.5, errorRate = 0 } = options;
  const nan = () => new Array<number>(N).fill(NaN);
  return {
    ts: Array.from({ length: N }, (_, i) => FROM + (i + 1) * INTERVAL),
    requests: new Array<number>(N).fill(100),
    errorRate: new Array<number>(N).fill(errorRate),
    latencyP50Ms: nan(),
    latencyP99Ms: nan(),
    poolUtilization: nan(),
    cpuPercent: nan(),
    processCpuPercent: nan(),
    latencyP95Ms: Array.from({ length: N }, (_, i) => p95 * (1 + 0.08 * normalQuantile((i + phase) / N))),
    custom: {},
  };
}

const options = {
  a: ['a1'],
  b: ['b1'],
  from: FROM,
  to: FROM + N * INTERVAL,
  sampleIntervalSeconds: INTERVAL,
  confidence: 0.98,
  latencyAllowedIncrease: 1.1,
  minImprovement: 0.05,
};
const judged = (a: InstanceSamples, b: InstanceSamples) => judgeExperiment({ a1: a, b1: b }, options);

describe('the A/B verdict: B against A with the canary judge, in both directions', () => {
  it('B 20% faster and no worse on errors wins', () => {
    const v = judged(instance(80, { phase: 0.3 }), instance(64, { phase: 0.6 }));
    assert.equal(v.winner, 'b', v.reason);
    assert.equal(v.metrics.find((m) => m.name === 'latencyP95Ms')?.classification, 'Low');
    assert.match(v.reason, /^B is better/);
  });

  it('B 20% faster but with a significant rise in errors loses on the critical metric', () => {
    const v = judged(instance(80, { phase: 0.3 }), instance(64, { phase: 0.6, errorRate: 0.05 }));
    assert.equal(v.winner, 'a', v.reason);
    assert.equal(v.verdict, 'fail');
    assert.match(v.reason, /errorRate/);
  });

  it('B 30% slower loses', () => {
    const v = judged(instance(80, { phase: 0.3 }), instance(104, { phase: 0.6 }));
    assert.equal(v.winner, 'a');
    assert.match(v.reason, /B is worse/);
  });

  it('B the same as A (A/A) does not win: a change must earn its rollout', () => {
    const v = judged(instance(80, { phase: 0.3 }), instance(80, { phase: 0.6 }));
    assert.equal(v.winner, 'a');
    assert.match(v.reason, /not shown better/);
  });

  it('B faster by less than minImprovement does not win', () => {
    const v = judgeExperiment(
      { a1: instance(80, { phase: 0.3 }), b1: instance(78, { phase: 0.6 }) },
      { ...options, minImprovement: 0.1 },
    );
    assert.equal(v.winner, 'a', v.reason);
  });

  it('no samples from B keeps A', () => {
    const v = judgeExperiment({ a1: instance(80) }, options);
    assert.equal(v.winner, 'a');
    assert.equal(v.canarySamples, 0);
  });
});
