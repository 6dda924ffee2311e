import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Forecaster } from '../../src/forecast/forecaster.js';
import { loadForecasters } from '../../src/forecast/models.js';
import { noisySeries, quantileCoverage, signal, type SeasonalShape } from './synthetic.js';

const [seasonalNaive, ses, mstl, prophet] = (await loadForecasters([
  'seasonal-naive',
  'ses',
  'mstl-ets',
  'prophet',
])) as [Forecaster, Forecaster, Forecaster, Forecaster];
const DAILY: SeasonalShape = { level: 100, amplitude: 40, period: 24 };
const FLAT: SeasonalShape = { level: 50, amplitude: 0, period: 24 };
const NOISE = 5;
const HISTORY = 14 * 24;
const HORIZON = 24;

/** Mean absolute error of the point forecast against the noiseless signal after the history. */
function errorAgainstSignal(model: Forecaster, shape: SeasonalShape, seed: number): number {
  const forecast = model.forecast(noisySeries(shape, HISTORY, NOISE, seed), HORIZON, [shape.period]);
  assert.equal(forecast.point.length, HORIZON);
  return forecast.point.reduce((sum, p, h) => sum + Math.abs(p - signal(shape, HISTORY + h)), 0) / HORIZON;
}

// E|noise| = 0.8 × 5 = 4: a model that has the season right is well inside it; seasonal naive
// repeats one noisy season, so it is off by about that much.
for (const [model, shape, bound] of [
  [mstl, DAILY, 2.5],
  [prophet, DAILY, 2.5],
  [seasonalNaive, DAILY, 6],
  [ses, FLAT, 2],
] as const) {
  test(`${model.name} forecasts a ${shape.amplitude ? 'daily sine' : 'flat level'} with noise within ${bound} of the signal`, () => {
    const errors = [1, 2, 3].map((seed) => errorAgainstSignal(model, shape, seed));
    const mean = errors.reduce((a, b) => a + b) / errors.length;
    assert.ok(mean < bound, `${model.name}: mean absolute error ${mean.toFixed(2)} ≥ ${bound}`);
  });
}

test('a model without the season cannot fit it: SES misses a daily sine that MSTL follows', () => {
  assert.ok(errorAgainstSignal(ses, DAILY, 1) > 4 * errorAgainstSignal(mstl, DAILY, 1));
});

for (const [model, shape] of [
  [mstl, DAILY],
  [prophet, DAILY],
  [seasonalNaive, DAILY],
  [ses, FLAT],
] as const) {
  test(`${model.name}'s quantiles cover held-out data as they say`, () => {
    const share = quantileCoverage(model, shape, { history: HISTORY, horizon: HORIZON, noise: NOISE, seeds: [10, 18] });
    assert.ok(share('p50') > 0.3 && share('p50') < 0.7, `p50 covers ${share('p50')}`);
    assert.ok(share('p90') >= 0.8 && share('p90') <= 0.97, `p90 covers ${share('p90')}`);
    assert.ok(share('p99') >= 0.93, `p99 covers ${share('p99')}`);
  });
}

test('minute series are fitted on buckets and come back on minutes', () => {
  const shape: SeasonalShape = { level: 300, amplitude: 100, period: 1440 };
  const series = noisySeries(shape, 6 * 1440, 10, 7, 60);
  const forecast = mstl.forecast(series, 120, [1440]);
  assert.equal(forecast.point.length, 120);
  assert.equal(forecast.stepSeconds, 60);
  assert.equal(forecast.start, series.start + series.values.length * 60);
  const error =
    forecast.point.reduce((sum, p, h) => sum + Math.abs(p - signal(shape, series.values.length + h)), 0) / 120;
  assert.ok(error < 10, `mean absolute error ${error.toFixed(1)} on a sine of amplitude 100`);
});

test('forecasts and quantiles are never negative', () => {
  // Mostly nothing, now and then a burst: the lower errors would pull a naive quantile below zero.
  const series = {
    start: 0,
    stepSeconds: 3600,
    values: Array.from({ length: HISTORY }, (_, i) => (i % 37 === 0 ? 80 : i % 5)),
  };
  for (const model of [seasonalNaive, ses, mstl, prophet]) {
    const forecast = model.forecast(series, HORIZON, [24]);
    for (const values of [forecast.point, ...Object.values(forecast.quantiles)])
      assert.ok(
        values.every((v) => v >= 0),
        model.name,
      );
  }
});

test('seasonal models need two cycles of a season', () => {
  assert.equal(mstl.minHistory([24]), 48);
  assert.equal(mstl.minHistory([]), Infinity);
  assert.throws(() => mstl.forecast(noisySeries(DAILY, 40, NOISE, 1), 5, [24]), /two cycles/);
  assert.throws(() => prophet.forecast(noisySeries(DAILY, 40, NOISE, 1), 5, [24]), /two cycles/);
});
