import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultSettings, DemandForecaster } from '../../src/forecast/demand-forecaster.js';
import { ForecasterCache } from '../../src/forecast/forecaster-cache.js';
import { DEFAULT_MODELS, loadForecasters } from '../../src/forecast/models.js';
import type { Series } from '../../src/forecast/types.js';
import { noisySeries } from './synthetic.js';

const DAY = 1440;
const series = noisySeries({ level: 200, amplitude: 120, period: DAY }, 4 * DAY, 15, 1, 60);
const window = (from: number, to: number): Series => ({
  start: series.start + from * 60,
  stepSeconds: 60,
  values: series.values.slice(from, to),
});
const models = await loadForecasters();
const request = (history: Series) => ({ history, horizonSteps: 8, models, modelsVersion: DEFAULT_MODELS.join(',') });

test('a key keeps the forecaster between calls; a history that does not continue it starts afresh', () => {
  const cache = new ForecasterCache();
  const first = cache.forecast('web', request(window(0, 3 * DAY)));
  // The window slides by five minutes, as the next loop's observation does.
  const next = cache.forecast('web', request(window(5, 3 * DAY + 5)));
  assert.equal(next.start, first.start + 5 * 60);
  // What the kept forecaster has seen: the first history, a forecast, five more steps.
  const kept = new DemandForecaster(models, defaultSettings(60, 8), series.start, 60);
  for (const v of window(0, 3 * DAY).values) kept.observe(v);
  kept.forecast();
  for (const v of window(3 * DAY, 3 * DAY + 5).values) kept.observe(v);
  assert.deepEqual(next, kept.forecast());
  assert.notDeepEqual(
    next,
    cache.forecast(undefined, request(window(5, 3 * DAY + 5))),
    'a fresh start on the slid window differs',
  );
  assert.deepEqual(cache.forecast('web', request(window(5, 3 * DAY + 5))), next, 'a retry gets the same answer');
  assert.deepEqual(
    cache.forecast('web', request(window(0, 3 * DAY))),
    first,
    'rebuilt from the same history, the same forecast',
  );
  assert.deepEqual(
    cache.forecast(undefined, request(window(0, 3 * DAY))),
    first,
    'without a key every call starts afresh',
  );
});

test('other models start afresh, and the least recently used series is dropped first', () => {
  const cache = new ForecasterCache(1);
  const a = cache.forecast('a', request(window(0, 3 * DAY)));
  const naiveOnly = cache.forecast('a', {
    ...request(window(0, 3 * DAY)),
    models: models.slice(0, 1),
    modelsVersion: 'seasonal-naive',
  });
  assert.equal(naiveOnly.model, 'seasonal-naive');
  cache.forecast('b', request(window(0, 2 * DAY)));
  // 'a' was dropped: a history that does not continue nothing is simply a fresh start.
  assert.deepEqual(cache.forecast('a', request(window(0, 3 * DAY))), a);
});
