import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricConfig } from '../../src/canary/classify-metric.js';
import { DEFAULT_SAMPLE_SIZE, judge } from '../../src/canary/judge.js';
import { normalQuantile } from '../../src/canary/normal.js';
import { nextStepAction } from '../../src/canary/rollout-action.js';

// Deterministic stand-ins for a bake's samples: the normal quantiles of n evenly spaced
// probabilities around `centre`; different phases give two samples of one distribution.
function spread(centre: number, relativeSd: number, phase = 0.5, n = DEFAULT_SAMPLE_SIZE): number[] {
  return Array.from({ length: n }, (_, i) => centre * (1 + relativeSd * normalQuantile((i + phase) / n)));
}
const baseline = spread(100, 0.1, 0.3);
const sameAsBaseline = spread(100, 0.1, 0.7);

const latency: MetricConfig = { name: 'latency_p95', direction: 'increase', effectSize: { allowedIncrease: 1.05 } };

test('A/A: same distribution on both sides passes with score 100', () => {
  const result = judge({ metrics: [latency] }, { latency_p95: { baseline, canary: sameAsBaseline } });
  assert.equal(result.verdict, 'pass');
  assert.equal(result.score, 100);
  const [metric] = result.metrics;
  assert.equal(metric?.classification, 'Pass');
  assert.match(metric?.reason ?? '', /no significant rise/);
});

test('clear regression: a 30% rise of p95 latency is High and fails the run', () => {
  const result = judge({ metrics: [latency] }, { latency_p95: { baseline, canary: spread(130, 0.1, 0.7) } });
  assert.equal(result.verdict, 'fail');
  const [metric] = result.metrics;
  assert.equal(metric?.classification, 'High');
  const ratio = metric?.statistics?.ratio;
  assert.ok(ratio && ratio.estimate > 1.25 && ratio.lower > 1.05, JSON.stringify(ratio));
  assert.ok((metric?.statistics?.pValue ?? 1) < 1e-6);
  assert.match(metric?.reason ?? '', /canary higher, \+3\d\.\d% .*allowed \+5\.0%/);
});

test('a significant rise within the allowed effect size passes', () => {
  const config = { metrics: [{ ...latency, effectSize: { allowedIncrease: 1.1 } }] };
  const result = judge(config, { latency_p95: { baseline: spread(100, 0.02, 0.3), canary: spread(104, 0.02, 0.7) } });
  assert.equal(result.verdict, 'pass');
  assert.match(result.metrics[0]?.reason ?? '', /significant rise within the allowed \+10\.0%/);
});

test('a critical metric failing fails the run at once, whatever the score', () => {
  const others = Array.from({ length: 9 }, (_, i) => ({ name: `m${i}`, group: 'other' }));
  const data = Object.fromEntries(others.map((m) => [m.name, { baseline, canary: sameAsBaseline }]));
  const result = judge(
    { metrics: [{ ...latency, group: 'latency', critical: true }, ...others], groupWeights: { latency: 1, other: 99 } },
    { ...data, latency_p95: { baseline, canary: spread(130, 0.1, 0.7) } },
  );
  assert.equal(result.score, 99);
  assert.equal(result.verdict, 'fail');
  assert.match(result.reason, /^critical metric failed: latency_p95: canary higher/);
});

test('no data on a must-have metric fails it; on another metric it is left out of the score', () => {
  const metrics: MetricConfig[] = [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd', mustHaveData: true }];
  const data = Object.fromEntries(['a', 'b', 'c'].map((name) => [name, { baseline, canary: sameAsBaseline }]));
  const withoutD = judge({ metrics }, { ...data, d: { baseline, canary: [] } });
  const d = withoutD.metrics[3];
  assert.equal(d?.classification, 'NoData');
  assert.equal(d?.scored, true);
  assert.match(d?.reason ?? '', /no usable samples from the canary/);
  assert.equal(withoutD.score, 75);
  assert.equal(withoutD.verdict, 'marginal');

  const alone = judge({ metrics: [{ name: 'd', mustHaveData: true }] }, {});
  assert.equal(alone.verdict, 'fail');

  const optional = judge({ metrics: metrics.map((m) => ({ name: m.name })) }, data);
  assert.equal(optional.metrics[3]?.scored, false);
  assert.equal(optional.score, 100);
  assert.equal(optional.verdict, 'pass');
});

test('half the metrics without data leaves the run inconclusive; broken data fails it', () => {
  const result = judge({ metrics: [{ name: 'a' }, { name: 'b' }] }, { a: { baseline, canary: sameAsBaseline } });
  assert.equal(result.verdict, 'inconclusive');
  assert.match(result.reason, /1 of 2 metrics could not be judged: b \(NoData\)/);
  const few = judge(
    { metrics: [latency] },
    { latency_p95: { baseline: baseline.slice(0, 2), canary: sameAsBaseline.slice(0, 2) } },
  );
  assert.equal(few.verdict, 'inconclusive', 'too few samples to reach the confidence is no evidence either');
  const broken = judge(
    { metrics: [{ name: 'a' }, { name: 'b' }] },
    { a: { baseline, canary: sameAsBaseline }, b: { baseline, canary: [Infinity] } },
  );
  assert.equal(broken.verdict, 'fail');
  assert.match(broken.reason, /b \(Error\)/);
});

test('an inconclusive step waits up to the limit in a row, then pauses; after a resume it waits again', () => {
  assert.equal(nextStepAction('inconclusive', [], 2), 'wait');
  assert.equal(nextStepAction('inconclusive', ['wait'], 2), 'wait');
  assert.equal(nextStepAction('inconclusive', ['wait', 'wait'], 2), 'pause');
  assert.equal(nextStepAction('inconclusive', [], 0), 'pause');
  assert.equal(nextStepAction('inconclusive', ['wait', 'wait', 'pause'], 2), 'wait');
  assert.equal(nextStepAction('inconclusive', ['wait', 'extend-bake', 'wait'], 2), 'wait', 'only waits in a row count');
  assert.equal(nextStepAction('pass', ['wait', 'pause'], 2), 'promote');
  assert.equal(nextStepAction('marginal', ['wait', 'wait'], 2), 'extend-bake', 'waiting is no extended bake');
  assert.equal(nextStepAction('fail', ['wait'], 2), 'rollback');
});

test("NaN: 'remove' drops unmeasured intervals; all NaN is no data", () => {
  const holes = sameAsBaseline.map((v, i) => (i % 10 === 0 ? Number.NaN : v));
  const result = judge({ metrics: [latency] }, { latency_p95: { baseline, canary: holes } });
  assert.equal(result.metrics[0]?.statistics?.canaryCount, DEFAULT_SAMPLE_SIZE - 6);
  assert.equal(result.verdict, 'pass');
  const blind = judge({ metrics: [latency] }, { latency_p95: { baseline, canary: holes.map(() => Number.NaN) } });
  assert.equal(blind.metrics[0]?.classification, 'NoData');
});

test("NaN: 'replace' counts a silent error counter as zero errors, and zero-heavy rises are caught", () => {
  const errors: MetricConfig = { name: 'errors', direction: 'increase', nanStrategy: 'replace' };
  const canary = Array.from({ length: DEFAULT_SAMPLE_SIZE }, (_, i) => (i % 3 === 0 ? 0.01 : 0));
  const result = judge({ metrics: [errors] }, { errors: { baseline: baseline.map(() => Number.NaN), canary } });
  const [metric] = result.metrics;
  assert.equal(metric?.classification, 'High');
  assert.equal(metric?.statistics?.ratio, null);
  assert.equal(metric?.statistics?.shift.estimate, 0);
  assert.match(metric?.reason ?? '', /the baseline median is 0, so no tolerance applies/);

  const absent = judge({ metrics: [errors] }, { errors: { baseline: [], canary } });
  assert.equal(absent.metrics[0]?.classification, 'High');
  assert.equal(judge({ metrics: [errors] }, {}).metrics[0]?.classification, 'Pass');
});

test('decrease direction: a throughput drop beyond the allowance is Low; a latency drop is no rise', () => {
  const throughput: MetricConfig = { name: 'rps', direction: 'decrease', effectSize: { allowedDecrease: 0.9 } };
  const dropped = judge({ metrics: [throughput] }, { rps: { baseline, canary: spread(80, 0.1, 0.7) } });
  assert.equal(dropped.metrics[0]?.classification, 'Low');
  assert.equal(dropped.verdict, 'fail');

  const faster = judge({ metrics: [latency] }, { latency_p95: { baseline, canary: spread(80, 0.1, 0.7) } });
  assert.equal(faster.metrics[0]?.classification, 'Pass');
  assert.match(faster.metrics[0]?.reason ?? '', /no significant rise, -19\.8% \(98% CI -23\.8% \.\. -15\.7%\)/);

  const either = judge({ metrics: [{ name: 'cpu' }] }, { cpu: { baseline, canary: spread(80, 0.1, 0.7) } });
  assert.equal(either.metrics[0]?.classification, 'Low');
});

test('marginal band: one of four equally weighted metrics High scores 75; the bake is extended once', () => {
  const names = ['a', 'b', 'c', 'd'];
  const data = Object.fromEntries(names.map((name) => [name, { baseline, canary: sameAsBaseline }]));
  const result = judge(
    { metrics: names.map((name) => ({ name })) },
    { ...data, d: { baseline, canary: spread(130, 0.1) } },
  );
  assert.equal(result.score, 75);
  assert.equal(result.verdict, 'marginal');
  assert.match(result.reason, /score 75\.0 < pass 95 but ≥ marginal 75; not passing: d \(High\)/);
  assert.equal(nextStepAction(result.verdict, [], 3), 'extend-bake');
  assert.equal(nextStepAction(result.verdict, ['extend-bake'], 3), 'rollback');
  assert.equal(nextStepAction('fail', [], 3), 'rollback');
  assert.equal(nextStepAction('pass', ['extend-bake'], 3), 'promote');
});

test('group weights: listed groups keep theirs, unlisted ones share the rest of 100', () => {
  const metrics: MetricConfig[] = [
    { name: 'p95', group: 'latency' },
    { name: 'cpu', group: 'saturation' },
    { name: 'mem', group: 'memory' },
  ];
  const data = {
    p95: { baseline, canary: sameAsBaseline },
    cpu: { baseline, canary: spread(130, 0.1) },
    mem: { baseline, canary: sameAsBaseline },
  };
  const result = judge({ metrics, groupWeights: { latency: 60 } }, data);
  assert.deepEqual(
    result.groups.map((g) => [g.name, g.weight, g.score]),
    [
      ['latency', 60, 100],
      ['saturation', 20, 0],
      ['memory', 20, 100],
    ],
  );
  assert.equal(result.score, 80);
});

test('Error for infinite values, NoData when the samples cannot reach the confidence, and bad configs throw', () => {
  const broken = judge(
    { metrics: [latency] },
    { latency_p95: { baseline: [...baseline, Infinity], canary: baseline } },
  );
  assert.equal(broken.metrics[0]?.classification, 'Error');
  const tiny = judge({ metrics: [latency] }, { latency_p95: { baseline: [1, 2, 3], canary: [7, 8, 9] } });
  assert.equal(tiny.metrics[0]?.classification, 'NoData');
  assert.match(tiny.metrics[0]?.reason ?? '', /3 canary and 3 baseline samples cannot reach 98% confidence/);
  assert.throws(() => judge({ metrics: [{ name: 'x', effectSize: { allowedIncrease: 0.9 } }] }, {}), RangeError);
  assert.throws(() => judge({ metrics: [{ name: 'x' }, { name: 'x' }] }, {}), RangeError);
  assert.throws(() => judge({ metrics: [] }, {}), RangeError);
});
