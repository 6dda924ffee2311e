import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { timeline } from '../../src/api/dashboard/timeline.js';
import type { Forecast } from '../../src/forecast/types.js';
import type { DecisionPoint } from '../../src/store/decisions.js';

const forecast = (start: number, p50: number[], model = 'ets'): Forecast => ({
  model,
  start,
  stepSeconds: 60,
  point: p50,
  quantiles: { p50, p90: p50.map((v) => v + 1), p95: p50.map((v) => v + 2), p99: p50.map((v) => v + 3) },
});
const decision = (at: number, ready: number, desired: number, f: Forecast | null = null): DecisionPoint => ({
  at,
  readyInstances: ready,
  desiredInstances: desired,
  capacityPerInstance: 10,
  forecast: f,
});

describe('the dashboard timeline: demand, forecasts and capacity on one grid', () => {
  // Minutes 0..5 of history (now is 30 s into minute 6), demand recorded from minute 2.
  const T = 600_000;
  const now = T + 6 * 60 + 30;
  const demand = { start: T + 120, stepSeconds: 60, values: [1, 2, 3, 4] };

  it('places demand on the grid, unknown before the first recorded minute and after the last full one', () => {
    const out = timeline({ from: T + 10, now, demand, decisions: [] });
    assert.deepEqual(
      out.t,
      [0, 1, 2, 3, 4, 5].map((m) => T + m * 60),
    );
    assert.deepEqual(out.demand, [null, null, 1, 2, 3, 4]);
    assert.deepEqual(out.capacity, [null, null, null, null, null, null]);
    assert.equal(out.model, null);
  });

  it("holds each decision's capacity from the minute it was made in, and shows none in the future", () => {
    const decisions = [decision(T + 90, 1, 2), decision(T + 200, 2, 3), decision(T + 210, 3, 3)];
    const out = timeline({ from: T, now, demand, decisions });
    assert.deepEqual(out.capacity, [null, 10, 10, 30, 30, 30]);
    assert.deepEqual(out.plannedCapacity, [null, 20, 20, 30, 30, 30]);
  });

  it('shows for each minute the freshest forecast made before it, and extends the grid to the latest horizon', () => {
    const early = forecast(T + 60, [5, 6, 7, 8]);
    const late = forecast(T + 360, [9, 9, 9, 9], 'mstl');
    const decisions = [decision(T + 61, 1, 1, early), decision(T + 150, 1, 1), decision(T + 350, 1, 1, late)];
    const out = timeline({ from: T, now, demand, decisions });
    assert.equal(out.t.length, 10, 'through the end of the latest forecast (minute 9)');
    // Minute 1 began before any forecast; 2..4 from the early one (minute 5 is past its horizon); 6..9 from the late one.
    assert.deepEqual(out.forecast.p50, [null, null, 6, 7, 8, null, 9, 9, 9, 9]);
    assert.deepEqual(out.forecast.p99, [null, null, 9, 10, 11, null, 12, 12, 12, 12]);
    assert.deepEqual(out.demand.slice(6), [null, null, null, null]);
    assert.deepEqual(out.capacity.slice(7), [null, null, null], 'no capacity after now');
    assert.equal(out.model, 'mstl');
  });
});
