import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appFigures, appSnapshot, histogramQuantile } from '../../src/agent/app-metrics.js';
import { ExpositionError, parsePrometheusText } from '../../src/agent/prometheus-text.js';

const exposition = (
  requests200: number,
  requests500: number,
  buckets: [string, number][],
  utilizationSeconds: number,
): string => `
# HELP http_requests_total Work requests
# TYPE http_requests_total counter
http_requests_total{code="200"} ${requests200}
http_requests_total{code="500"} ${requests500}
# TYPE http_request_duration_seconds histogram
${buckets.map(([le, n]) => `http_request_duration_seconds_bucket{le="${le}"} ${n}`).join('\n')}
http_request_duration_seconds_sum 1
http_request_duration_seconds_count ${buckets.at(-1)![1]}
# TYPE app_pool_utilization_seconds_total counter
app_pool_utilization_seconds_total ${utilizationSeconds}
# TYPE app_pool_utilization gauge
app_pool_utilization 0.25
# TYPE app_queue_depth gauge
app_queue_depth 3
# TYPE app_pool_size gauge
app_pool_size 8
# TYPE app_info gauge
app_info{version="v1"} 1
# TYPE app_config_version gauge
app_config_version NaN
`;

describe('Prometheus text parser', () => {
  it('reads names, escaped labels, special values and ignores timestamps', () => {
    const { samples, types } = parsePrometheusText(
      [
        '# HELP a_total things',
        '# TYPE a_total counter',
        'a_total{path="/x\\"y\\\\z",code="200"} 12 1700000000000',
        'b{le="+Inf"} +Inf',
        'c -Inf',
        'd NaN',
        'e 1.5e3',
      ].join('\n'),
    );
    assert.equal(types.get('a_total'), 'counter');
    assert.deepEqual(samples[0], { name: 'a_total', labels: { path: '/x"y\\z', code: '200' }, value: 12 });
    assert.equal(samples[1]!.value, Infinity);
    assert.equal(samples[2]!.value, -Infinity);
    assert.ok(Number.isNaN(samples[3]!.value));
    assert.equal(samples[4]!.value, 1500);
  });

  it('fails the scrape on a malformed line, naming it', () => {
    assert.throws(
      () => parsePrometheusText('ok 1\nbroken{a="1" 2\n'),
      (err: unknown) => err instanceof ExpositionError && /line 2/.test(err.message),
    );
    assert.throws(() => parsePrometheusText('x notanumber'), ExpositionError);
  });
});

describe('histogramQuantile', () => {
  const buckets = [
    { le: 0.01, count: 10 },
    { le: 0.05, count: 90 },
    { le: 0.1, count: 100 },
    { le: Infinity, count: 100 },
  ];

  it('interpolates linearly inside the bucket holding the rank, as Prometheus does', () => {
    // rank 50 is 40 of the 80 observations into (0.01, 0.05]
    assert.equal(histogramQuantile(0.5, buckets), 0.03);
    // rank 95 is 5 of 10 into (0.05, 0.1]
    assert.ok(Math.abs(histogramQuantile(0.95, buckets)! - 0.075) < 1e-12);
    // rank 5 in the first bucket starts from 0
    assert.equal(histogramQuantile(0.05, buckets), 0.005);
  });

  it('answers the highest finite bound for a rank in +Inf, and null without observations', () => {
    assert.equal(
      histogramQuantile(0.99, [
        { le: 0.1, count: 1 },
        { le: Infinity, count: 10 },
      ]),
      0.1,
    );
    assert.equal(
      histogramQuantile(0.5, [
        { le: 0.1, count: 0 },
        { le: Infinity, count: 0 },
      ]),
      null,
    );
    assert.equal(histogramQuantile(0.5, [{ le: 0.1, count: 3 }]), null);
  });
});

describe('appFigures', () => {
  const before = appSnapshot(
    parsePrometheusText(
      exposition(
        100,
        5,
        [
          ['0.01', 50],
          ['0.1', 100],
          ['+Inf', 105],
        ],
        10,
      ),
    ),
  );

  it("turns counters into the interval's amounts and histogram deltas into quantiles", () => {
    const after = appSnapshot(
      parsePrometheusText(
        exposition(
          190,
          15,
          [
            ['0.01', 50],
            ['0.1', 200],
            ['+Inf', 205],
          ],
          12.5,
        ),
      ),
    );
    const f = appFigures(before, after, 5);
    assert.equal(f.requests, 100);
    assert.equal(f.errors, 10);
    // All 100 new observations are in (0.01, 0.1]: the median is half-way.
    assert.ok(Math.abs(f.latencyP50Ms! - 55) < 1e-9);
    assert.equal(f.poolUtilization, 0.5, '2.5 utilisation-seconds over 5 s');
    assert.equal(f.queueDepth, 3);
    // Unlabelled finite gauges other than the ones read above; app_info (labelled) and NaN are not.
    assert.deepEqual(f.custom, { app_pool_size: 8 });
  });

  it('counts everything as new after the app restarted', () => {
    const restarted = appSnapshot(
      parsePrometheusText(
        exposition(
          7,
          1,
          [
            ['0.01', 8],
            ['0.1', 8],
            ['+Inf', 8],
          ],
          1,
        ),
      ),
    );
    const f = appFigures(before, restarted, 5);
    assert.equal(f.requests, 8);
    assert.equal(f.errors, 1);
    assert.ok(f.latencyP99Ms! <= 10);
  });

  it('has no latency without requests, and falls back to the utilisation gauge', () => {
    const noCounter = (text: string): string => text.replace(/^app_pool_utilization_seconds_total \S+$/m, '');
    const a = appSnapshot(
      parsePrometheusText(
        noCounter(
          exposition(
            100,
            5,
            [
              ['0.01', 50],
              ['0.1', 100],
              ['+Inf', 105],
            ],
            0,
          ),
        ),
      ),
    );
    const f = appFigures(a, a, 5);
    assert.equal(f.requests, 0);
    assert.equal(f.latencyP95Ms, null);
    assert.equal(f.poolUtilization, 0.25);
  });
});
