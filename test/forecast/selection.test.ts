import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pinball } from '../../src/forecast/calibration.js';
import { loadForecasters } from '../../src/forecast/models.js';
import { selectModel, type BacktestSetup } from '../../src/forecast/selection.js';
import { seededRandom } from '../../src/domain/random.js';
import { normal, noisySeries } from './synthetic.js';

const models = await loadForecasters(['seasonal-naive', 'ses', 'mstl-ets']);
const HOURLY = { start: 0, stepSeconds: 3600 };
// Four origins a day apart, each scored over the day after it, three steps ahead.
const SETUP: BacktestSetup = { seasons: [24], horizon: 3, fitWindow: 240, origins: 4, span: 24, alphas: [0.1, 0.5, 1] };

const select = (y: number[]) => selectModel(y, y.length - 1, HOURLY, models, SETUP);

test('a clear daily season goes to a seasonal model, trusted', () => {
  const selection = select(noisySeries({ level: 100, amplitude: 40, period: 24 }, 480, 3, 1).values)!;
  assert.equal(selection.best.model, 'mstl-ets');
  assert.ok(selection.trusted, selection.reason);
  assert.ok(selection.best.mase < 1 && selection.best.vsMedian < 0.5, selection.reason);
  assert.deepEqual(
    selection.scores.map((s) => s.pinball),
    [...selection.scores.map((s) => s.pinball)].sort((a, b) => a - b),
    'best first',
  );
  assert.equal(selection.errors.length, SETUP.horizon);
  assert.equal(selection.errors[0]!.length, SETUP.origins * SETUP.span, 'one-step errors of every scored step');
});

test("a random walk without a season goes to SES: a seasonal path only adds yesterday's noise", () => {
  const draw = normal(1);
  let level = 100;
  const selection = select(Array.from({ length: 480 }, () => (level = Math.max(0, level + 5 * draw()))))!;
  assert.equal(selection.best.model, 'ses');
  assert.ok(selection.trusted, selection.reason);
  const naive = selection.scores.find((s) => s.model === 'seasonal-naive' && s.alpha === selection.best.alpha)!;
  assert.ok(naive.pinball > 1.2 * selection.best.pinball);
});

test('flash crowds out of the blue are not trusted: no model beats the median', () => {
  for (const seed of [1, 2, 3]) {
    const random = seededRandom(seed);
    const draw = normal(seed + 100);
    const y = Array.from({ length: 480 }, () => Math.max(0, 20 + 2 * draw() + (random() < 0.05 ? 150 * random() : 0)));
    const selection = select(y)!;
    assert.equal(selection.trusted, false, selection.reason);
    assert.ok(selection.best.vsMedian >= 1);
    assert.match(selection.reason, /no better than the season median/);
  }
});

test('a perfectly periodic series is forecast perfectly and trusted, though seasonal naive is perfect too', () => {
  const y = Array.from({ length: 480 }, (_, i) => (i % 24 < 12 ? 10 : 30));
  const selection = select(y)!;
  assert.equal(selection.best.model, 'seasonal-naive');
  assert.equal(selection.best.mase, 0);
  assert.ok(selection.trusted, selection.reason);
});

test('history shorter than the origins and a season allows no comparison', () => {
  assert.equal(select(noisySeries({ level: 100, amplitude: 40, period: 24 }, 24 * 4 + 20, 3, 1).values), null);
});

test('less than two seasons of history is never trusted', () => {
  const selection = selectModel(
    noisySeries({ level: 100, amplitude: 40, period: 24 }, 150, 3, 1).values,
    149,
    HOURLY,
    models,
    { ...SETUP, seasons: [100], span: 12 },
  )!;
  assert.equal(selection.trusted, false);
  assert.match(selection.reason, /less than two seasons/);
});

test('pinball loss by hand', () => {
  assert.equal(pinball(10, 8, 0.9), 0.9 * 2);
  assert.ok(Math.abs(pinball(8, 10, 0.9) - 0.1 * 2) < 1e-12);
  assert.equal(pinball(5, 5, 0.5), 0);
});
