import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { resourceSetConditions, loopConditions } from '../../src/domain/conditions.js';
import { loopLagSeconds, resourceSetGauges, showResourceSets } from '../../src/observability/resource-set-metrics.js';

const AT = '2026-12-07T10:00:00.000Z';

describe('per-set gauges (real prom-client registry)', () => {
  it('shows desired, current, forecast, loop lag, every condition, and when each failure began; a removed set disappears', async () => {
    const registry = new Registry();
    const gauges = resourceSetGauges(registry);
    const failing = resourceSetConditions(
      loopConditions(undefined, {
        at: AT,
        error: 'observeFleet: Region is missing',
        observed: null,
        forecast: null,
        holding: null,
        failures: [],
      }),
      null,
      null,
      AT,
    );
    showResourceSets(gauges, [
      { id: 'web', desired: 4, current: 3, forecast: 5, loopLagSeconds: 0, conditions: [] },
      { id: 'broken', desired: null, current: null, forecast: null, loopLagSeconds: 95, conditions: failing },
    ]);
    const text = await registry.metrics();
    assert.match(text, /^prescale_resource_set_desired_instances\{resource_set="web"\} 4$/m);
    assert.match(text, /^prescale_resource_set_current_instances\{resource_set="web"\} 3$/m);
    assert.match(text, /^prescale_resource_set_forecast_instances\{resource_set="web"\} 5$/m);
    assert.doesNotMatch(
      text,
      /desired_instances\{resource_set="broken"\}/,
      'nothing decided: no value rather than a made-up one',
    );
    assert.match(text, /^prescale_resource_set_loop_lag_seconds\{resource_set="broken"\} 95$/m);
    assert.match(
      text,
      /^prescale_resource_set_condition\{resource_set="broken",type="Observing",status="False",reason="ObserveFailed"\} 1$/m,
    );
    assert.match(
      text,
      /^prescale_resource_set_condition\{resource_set="broken",type="Ready",status="False",reason="ObserveFailed"\} 1$/m,
    );
    assert.match(
      text,
      new RegExp(
        `^prescale_resource_set_last_error_timestamp_seconds\\{resource_set="broken",condition="Observing",reason="ObserveFailed"\\} ${Date.parse(AT) / 1000}$`,
        'm',
      ),
    );

    showResourceSets(gauges, [
      { id: 'web', desired: 4, current: 4, forecast: null, loopLagSeconds: 0, conditions: [] },
    ]);
    const after = await registry.metrics();
    assert.doesNotMatch(after, /broken/);
    assert.doesNotMatch(after, /forecast_instances\{/);
  });

  it('loop lag: time since the last decision beyond one interval, from creation before any', () => {
    const now = Date.parse('2026-12-07T10:05:00.000Z');
    assert.equal(loopLagSeconds('2026-12-07T10:04:30.000Z', AT, 60, now), 0);
    assert.equal(loopLagSeconds('2026-12-07T10:02:00.000Z', AT, 60, now), 120);
    assert.equal(loopLagSeconds(null, '2026-12-07T10:00:00.000+00:00', 60, now), 240);
  });
});
