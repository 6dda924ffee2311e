import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Context } from '@temporalio/activity';
import { Registry } from 'prom-client';
import type { Decision } from '../../src/planner/decision.js';
import { activityFailureInterceptor } from '../../src/observability/activity-metrics.js';
import { controlPlaneMetrics, decisionOutcome, observeDecision } from '../../src/observability/metrics.js';

const decision = (d: Partial<Decision>): Decision => ({
  resourceSetId: 'web',
  loopId: 'l',
  iteration: 1,
  decidedAt: new Date(10_000).toISOString(),
  mode: 'forecast-and-scale',
  paused: false,
  currentInstances: 2,
  readyInstances: 2,
  desiredInstances: 3,
  rule: 'predictive',
  reasons: [],
  inputs: {
    loadPerReadyInstance: null,
    capacityPerInstance: 10,
    demandNow: null,
    predictive: 3,
    reactive: 2,
    model: 'ets',
    modelError: 0.2,
  },
  forecast: null,
  actions: [{ kind: 'provision', count: 1, instanceIds: [] }],
  ...d,
});

describe('control-plane metrics', () => {
  it('counts decisions by rule and outcome, observes loop lag and forecast error', async () => {
    assert.deepEqual(
      [
        decisionOutcome(decision({})),
        decisionOutcome(decision({ actions: [] })),
        decisionOutcome(decision({ paused: true })),
        decisionOutcome(decision({ mode: 'forecast-only' })),
      ],
      ['scaled', 'steady', 'paused', 'forecast-only'],
    );
    const registry = new Registry();
    const metrics = controlPlaneMetrics(registry);
    assert.equal(
      controlPlaneMetrics(registry).decisions,
      metrics.decisions,
      'asking twice gives the same metric objects',
    );
    observeDecision(metrics, decision({}), 12_500);
    observeDecision(
      metrics,
      decision({ rule: 'reactive', actions: [], inputs: { ...decision({}).inputs, modelError: null } }),
      10_000,
    );
    const text = await registry.metrics();
    assert.match(text, /prescale_decisions_total\{rule="predictive",outcome="scaled"\} 1/);
    assert.match(text, /prescale_decisions_total\{rule="reactive",outcome="steady"\} 1/);
    assert.match(text, /prescale_control_loop_lag_seconds_sum 2.5/);
    assert.match(text, /prescale_forecast_error_count 1/);
  });

  it('counts failed activity attempts by type and passes results and errors through', async () => {
    const metrics = controlPlaneMetrics(new Registry());
    const inbound = activityFailureInterceptor(metrics)({ info: { activityType: 'provision' } } as Context).inbound!;
    const input = { args: [], headers: {} };
    assert.equal(await inbound.execute!(input, () => Promise.resolve('ok')), 'ok');
    await assert.rejects(
      inbound.execute!(input, () => Promise.reject(new Error('cloud said no'))),
      /cloud said no/,
    );
    assert.equal(
      (await metrics.activityFailures.get()).values.find((v) => v.labels.activity === 'provision')?.value,
      1,
    );
  });
});
