import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BurstMemory } from '../../src/forecast/burst.js';
import { defaultSettings, DemandForecaster } from '../../src/forecast/demand-forecaster.js';
import { RampCheck } from '../../src/forecast/ramp.js';
import { loadForecasters } from '../../src/forecast/models.js';
import { QUANTILES, type QuantileName } from '../../src/forecast/types.js';
import { noisySeries, normal } from './synthetic.js';

const models = await loadForecasters(['seasonal-naive', 'ses', 'mstl-ets']);
const DAY = 1440;
const HORIZON = 6;
const QUANTILE_NAMES = Object.keys(QUANTILES) as QuantileName[];
const daily = (days: number, seed: number) =>
  noisySeries({ level: 200, amplitude: 120, period: DAY }, days * DAY, 15, seed, 60).values;
const forecaster = (seasonSteps?: number) =>
  new DemandForecaster(models, defaultSettings(60, HORIZON), 1_700_000_000, 60, seasonSteps);

test('follows a daily pattern minute by minute, and its quantiles cover what comes', () => {
  const y = daily(6, 1);
  const f = forecaster(DAY);
  const covered = Object.fromEntries(QUANTILE_NAMES.map((q) => [q, 0])) as Record<QuantileName, number>;
  let scored = 0;
  for (let t = 0; t < y.length - HORIZON; t++) {
    f.observe(y[t]!);
    const forecast = f.forecast();
    assert.equal(forecast.start, 1_700_000_000 + (t + 1) * 60);
    if (t < 4 * DAY) continue;
    assert.equal(forecast.trusted, true);
    assert.ok(typeof forecast.modelError === 'number' && forecast.modelError < 1);
    for (let h = 0; h < HORIZON; h++) {
      const values = QUANTILE_NAMES.map((q) => forecast.quantiles[q][h]!);
      assert.ok(
        values.every((v, i) => v >= 0 && (i === 0 || v >= values[i - 1]!)),
        `ordered quantiles at ${t}+${h}`,
      );
      for (const q of QUANTILE_NAMES) if (y[t + 1 + h]! <= forecast.quantiles[q][h]!) covered[q]++;
      scored++;
    }
  }
  const share = (q: QuantileName): number => covered[q] / scored;
  assert.ok(share('p50') > 0.35 && share('p50') < 0.65, `p50 covers ${share('p50')}`);
  assert.ok(share('p90') >= 0.8 && share('p90') <= 0.97, `p90 covers ${share('p90')}`);
  assert.ok(share('p99') >= 0.95, `p99 covers ${share('p99')}`);
});

test('until the history allows a comparison it forecasts seasonal naive, untrusted', () => {
  const f = forecaster(DAY);
  for (const v of daily(1, 2)) f.observe(v);
  const forecast = f.forecast();
  assert.equal(forecast.trusted, false);
  assert.equal(forecast.modelError, null);
  assert.equal(forecast.model, 'naive', 'one day is not a season and a step more');
  assert.equal(f.lastSelection, null);
});

test('detects the daily season when none is configured', () => {
  const f = forecaster();
  for (const v of daily(3, 3)) f.observe(v);
  const forecast = f.forecast();
  assert.deepEqual(f.seasons, [DAY]);
  assert.equal(forecast.trusted, true, f.lastSelection?.reason);
});

test('its quantiles widen when the noise does', () => {
  const draw = normal(4);
  const f = forecaster(DAY);
  const band = (): number => {
    const forecast = f.forecast();
    return forecast.quantiles.p95[0]! - forecast.point[0]!;
  };
  let calm = 0;
  for (let t = 0; t < 5 * DAY; t++) {
    const noise = t < 4 * DAY ? 5 : 40;
    f.observe(Math.max(0, 300 + 100 * Math.sin((2 * Math.PI * t) / DAY) + noise * draw()));
    if (t === 4 * DAY - 1) calm = band();
    else if (t >= 3 * DAY) f.forecast();
  }
  assert.ok(
    band() > 3 * calm,
    `p95 − point: ${calm.toFixed(1)} when calm, ${band().toFixed(1)} a day into eight times the noise`,
  );
});

test('a burst far above its p99 is remembered: the upper quantiles hold its level for 45 minutes', () => {
  const y = daily(3, 5);
  const f = forecaster(DAY);
  for (let t = 0; t < y.length; t++) {
    f.observe(y[t]!);
    if (t >= 2 * DAY + 600) f.forecast();
  }
  const before = f.forecast();
  assert.equal(before.trusted, true);
  const spike = 4 * before.quantiles.p99[0]!;
  f.observe(spike);
  const during = f.forecast();
  for (const q of ['p90', 'p95', 'p99'] as const)
    assert.ok(
      during.quantiles[q].every((v) => v >= spike),
      `${q} holds the burst`,
    );
  // Back to the daily pattern: the hold lasts 45 minutes from the burst, then ends.
  for (let k = 1; k <= 45; k++) {
    f.observe(y[y.length - 1]!);
    assert.ok(f.forecast().quantiles.p90[0]! >= spike, `held ${k} minutes on`);
  }
  f.observe(y[y.length - 1]!);
  assert.ok(f.forecast().quantiles.p90[0]! < spike / 2, 'released after 45 minutes');
});

test('burst memory by hand: a wide margin over the p99, extended by each burst, raised by a higher one', () => {
  const m = new BurstMemory(1.5, 3);
  m.observe(0, 14, 10);
  assert.equal(m.floor(0), 0, '1.4 × the p99 is noise, not a burst');
  m.observe(1, 16, 10);
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((t) => m.floor(t)),
    [16, 16, 16, 16, 0],
  );
  m.observe(3, 12, 5);
  assert.deepEqual(
    [4, 6, 7].map((t) => m.floor(t)),
    [16, 16, 0],
    'a lower burst extends the hold at the higher level',
  );
  m.observe(10, 9, 5);
  assert.equal(m.floor(10), 9, 'after the hold ends, the next burst sets the level afresh');
});

test('the last rise is extrapolated on a steady climb, never on a forecast it would only make worse', () => {
  const climb = new RampCheck(2, 0.5);
  for (let t = 0; t < 20; t++) {
    climb.observe(t, 3 * t);
    climb.extra(t, 3 * t);
  }
  assert.equal(climb.extra(20, 60), 3, 'a forecast two steps behind the climb is raised by the last rise');

  const saw = new RampCheck(2, 0.5);
  const y = (t: number) => (t % 2 ? 10 : 0);
  for (let t = 0; t < 20; t++) {
    saw.observe(t, y(t));
    saw.extra(t, y(t + 2));
  }
  assert.equal(saw.extra(20, y(22)), 0, 'a perfect forecast of a saw-tooth is left alone');
});
