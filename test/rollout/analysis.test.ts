import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeStep, sideSeries } from '../../src/activities/rollout-analysis.js';
import type { AnalyseStepInput } from '../../src/activities/types.js';
import { normalQuantile } from '../../src/canary/normal.js';
import type { InstanceSamples } from '../../src/store/metrics.js';

const FROM = 1_700_000_000;
const INTERVAL = 10;
const N = 60;

/**
 * A deterministic stand-in for an instance's agent samples over the window: one per interval,
 * p95 latencies at evenly spaced normal quantiles around `p95` (a phase tells two instances
 * apart), and `errorRate` of the requests failing.
 */
function instance(
  p95: number,
  options: { phase?: number; errorRate?: number; requests?: number; n?: number } = {},
): InstanceSamples {
  const { phase = 0.5, errorRate = 0, requests = 100, n = N } = options;
  const nan = () => new Array<number>(n).fill(NaN);
  return {
    ts: Array.from({ length: n }, (_, i) => FROM + (i + 1) * INTERVAL),
    requests: new Array<number>(n).fill(requests),
    errorRate: new Array<number>(n).fill(errorRate),
    latencyP50Ms: nan(),
    latencyP99Ms: nan(),
    poolUtilization: nan(),
    cpuPercent: nan(),
    processCpuPercent: nan(),
    latencyP95Ms: Array.from({ length: n }, (_, i) => p95 * (1 + 0.08 * normalQuantile((i + phase) / n))),
    custom: {},
  };
}

const input = (canary: string[], baseline: string[]): Omit<AnalyseStepInput, 'resourceSetId'> => ({
  canary,
  baseline,
  from: FROM,
  to: FROM + N * INTERVAL,
  sampleIntervalSeconds: INTERVAL,
  confidence: 0.98,
  latencyAllowedIncrease: 1.1,
  slo: { latencyP95Ms: 250, errorRate: 0.01 },
});

describe('the canary judge on synthetic samples', () => {
  const baseline = { b1: instance(80, { phase: 0.2 }), b2: instance(80, { phase: 0.4 }) };

  it('passes a canary like its baseline (A/A)', () => {
    const v = judgeStep({ ...baseline, c: instance(80, { phase: 0.7 }) }, input(['c'], ['b1', 'b2']));
    assert.equal(v.verdict, 'pass', v.reason);
    assert.equal(v.score, 100);
    assert.equal(v.canarySamples, N);
    assert.equal(v.baselineSamples, N);
  });

  it("fails the sample service's v3: p95 latency 30% higher", () => {
    const v = judgeStep({ ...baseline, c: instance(104, { phase: 0.7 }) }, input(['c'], ['b1', 'b2']));
    assert.equal(v.verdict, 'fail', v.reason);
    assert.equal(v.metrics.find((m) => m.name === 'latencyP95Ms')?.classification, 'High');
    assert.equal(v.metrics.find((m) => m.name === 'errorRate')?.classification, 'Pass');
  });

  it("fails the sample service's v4 at once: 5% errors on a critical metric", () => {
    const v = judgeStep({ ...baseline, c: instance(80, { phase: 0.7, errorRate: 0.05 }) }, input(['c'], ['b1', 'b2']));
    assert.equal(v.verdict, 'fail');
    assert.match(v.reason, /^critical metric failed: errorRate/);
  });

  it('passes a 5% latency rise within the allowed 10%, and a faster canary', () => {
    assert.equal(
      judgeStep({ ...baseline, c: instance(84, { phase: 0.7 }) }, input(['c'], ['b1', 'b2'])).verdict,
      'pass',
    );
    assert.equal(
      judgeStep({ ...baseline, c: instance(60, { phase: 0.7 }) }, input(['c'], ['b1', 'b2'])).verdict,
      'pass',
    );
  });

  it('finds a canary that reported nothing, or served no request, inconclusive: no evidence either way', () => {
    const silent = judgeStep({ ...baseline, c: instance(80, { n: 0 }) }, input(['c'], ['b1', 'b2']));
    assert.equal(silent.verdict, 'inconclusive', silent.reason);
    assert.equal(silent.canarySamples, 0);
    assert.match(silent.reason, /1 of 2 metrics could not be judged: latencyP95Ms \(NoData\)/);
    const idle = { requests: 0, errorRate: NaN };
    const quiet = { b1: instance(80, idle), b2: instance(80, idle), c: instance(80, idle) };
    const v = judgeStep(quiet, input(['c'], ['b1', 'b2']));
    assert.equal(v.verdict, 'inconclusive', v.reason);
    assert.deepEqual([v.canarySamples, v.baselineSamples], [0, 0]);
  });

  it('finds no traffic inconclusive when no baseline is left, where it used to fail', () => {
    const v = judgeStep({ c: instance(80, { requests: 0, errorRate: NaN }) }, input(['c'], []));
    assert.equal(v.verdict, 'inconclusive');
    assert.equal(v.reason, 'no baseline left and no canary samples: nothing to judge');
  });

  it('holds the canary to the SLO when no baseline is left', () => {
    const ok = judgeStep({ c: instance(80) }, input(['c'], []));
    assert.equal(ok.verdict, 'pass', ok.reason);
    assert.match(ok.reason, /no baseline left: held to the SLO/);
    const slow = judgeStep({ c: instance(400) }, input(['c'], []));
    assert.equal(slow.verdict, 'fail');
    assert.equal(slow.metrics.find((m) => m.name === 'latencyP95Ms')?.classification, 'High');
    assert.equal(judgeStep({ c: instance(80, { errorRate: 0.05 }) }, input(['c'], [])).verdict, 'fail');
  });

  it('pools instances per interval, weighting p95 by requests, and drops samples outside the window', () => {
    const a = instance(100, { n: 3, requests: 30 });
    const b = instance(200, { n: 3, requests: 10, errorRate: 0.1 });
    a.latencyP95Ms = [100, 100, 100];
    b.latencyP95Ms = [200, 200, 200];
    const series = sideSeries({ a, b }, ['a', 'b'], {
      from: FROM + INTERVAL,
      to: FROM + 3 * INTERVAL,
      sampleIntervalSeconds: INTERVAL,
    });
    // The first samples end at FROM + INTERVAL, outside (from, to].
    assert.deepEqual(series.latencyP95Ms, [125, 125]);
    assert.deepEqual(series.errorRate, [0.025, 0.025]);
  });
});
