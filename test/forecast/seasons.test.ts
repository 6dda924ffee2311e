import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectSeasons } from '../../src/forecast/seasons.js';
import { normal, noisySeries } from './synthetic.js';

test('finds the period of a noisy sine', () => {
  assert.deepEqual(detectSeasons(noisySeries({ level: 100, amplitude: 40, period: 24 }, 1000, 10, 1, 60)), [24]);
  assert.deepEqual(detectSeasons(noisySeries({ level: 100, amplitude: 40, period: 7 }, 200, 10, 2, 60)), [7]);
});

test('finds the day in a minute series and places it on the exact day', () => {
  const seasons = detectSeasons(noisySeries({ level: 300, amplitude: 100, period: 1440 }, 4 * 1440, 40, 3, 60));
  assert.deepEqual(seasons, [1440]);
});

test('finds a week beside the day', () => {
  const seasons = detectSeasons(noisySeries({ level: 100, amplitude: 30, period: 24, weekly: 30 }, 5 * 168, 3, 4));
  assert.deepEqual(seasons, [24, 168]);
});

test('finds nothing in white noise or in too short a series', () => {
  const draw = normal(5);
  assert.deepEqual(
    detectSeasons({ start: 0, stepSeconds: 60, values: Array.from({ length: 3000 }, () => 50 + draw()) }),
    [],
  );
  assert.deepEqual(detectSeasons({ start: 0, stepSeconds: 60, values: [1, 2, 3, 4, 5] }), []);
});
