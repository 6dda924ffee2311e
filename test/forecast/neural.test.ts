import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { backtest, tailOrigins } from '../../src/forecast/neural-backtest.js';
import { NeuralInputError, trainNeural, type NeuralModel } from '../../src/forecast/neural.js';
import { seasonalNaive } from '../../src/forecast/seasonal-naive.js';
import type { Series } from '../../src/forecast/types.js';
import { seasonalSeries } from '../training/synthetic.js';

// Hourly steps, a daily season, five weeks starting on a Monday: the last week is held out.
const STEP = 3600;
const SEASON = 24;
const HORIZON = 6;
const series = seasonalSeries({
  start: Date.UTC(2026, 0, 5) / 1000,
  stepSeconds: STEP,
  seasonSteps: SEASON,
  steps: 35 * SEASON,
});
const TAIL = 7 * SEASON;
const training: Series = { ...series, values: series.values.slice(0, -TAIL) };
const small = { seasonSteps: SEASON, horizonSteps: HORIZON, hiddenUnits: [32], epochs: 40 };

describe('neural forecaster', () => {
  let model: NeuralModel;
  before(async () => {
    model = await trainNeural(training, small);
  });
  after(() => model.dispose());

  it('beats seasonal naive on held-out weeks, with quantiles that cover about as often as they should', () => {
    const origins = tailOrigins(series.values.length, TAIL, HORIZON);
    const neural = backtest(series, origins, HORIZON, SEASON, (h, k) => model.predict(h, k));
    const naive = backtest(series, origins, HORIZON, SEASON, (h, k) => seasonalNaive(h, k, SEASON));
    assert.ok(neural.mase < naive.mase, `MASE ${neural.mase} vs seasonal naive ${naive.mase}`);
    assert.ok(
      neural.scaledPinball < naive.scaledPinball,
      `scaled pinball ${neural.scaledPinball} vs ${naive.scaledPinball}`,
    );
    const { p50, p90, p95, p99 } = neural.coverage;
    assert.ok(p50 > 0.3 && p50 < 0.7, `p50 covers ${p50}`);
    assert.ok(p90 > 0.75 && p90 <= 0.99, `p90 covers ${p90}`);
    assert.ok(p95 > 0.85, `p95 covers ${p95}`);
    assert.ok(p99 > 0.9, `p99 covers ${p99}`);
  });

  it('gives ordered, non-negative quantiles with the median as point, starting after the history', () => {
    for (let end = training.values.length; end <= series.values.length; end += 17) {
      const f = model.predict({ ...series, values: series.values.slice(0, end) }, HORIZON);
      assert.equal(f.start, series.start + end * STEP);
      assert.equal(f.stepSeconds, STEP);
      assert.deepEqual(f.point, f.quantiles.p50);
      for (let h = 0; h < HORIZON; h++) {
        const q = [f.quantiles.p50[h]!, f.quantiles.p90[h]!, f.quantiles.p95[h]!, f.quantiles.p99[h]!];
        assert.ok(
          q[0]! >= 0 && q.every((v, i) => i === 0 || v >= q[i - 1]!),
          `crossing or negative at ${end}+${h}: ${q.join(', ')}`,
        );
      }
    }
  });

  it('forecasts a shorter horizon than trained as the prefix of the full one', () => {
    const full = model.predict(training, HORIZON);
    const short = model.predict(training, 2);
    assert.deepEqual(short.quantiles.p95, full.quantiles.p95.slice(0, 2));
  });

  it('refuses what it cannot forecast with a NeuralInputError, so a caller can fall back', () => {
    assert.throws(() => model.predict({ ...training, stepSeconds: 60 }, 1), NeuralInputError);
    assert.throws(() => model.predict(training, HORIZON + 1), NeuralInputError);
    assert.throws(
      () => model.predict({ ...training, values: training.values.slice(0, model.minHistory - 1) }, 1),
      NeuralInputError,
    );
    assert.doesNotThrow(() => model.predict({ ...training, values: training.values.slice(0, model.minHistory) }, 1));
  });

  it('repeats itself: the same seed and data train the same model, another seed another one', async () => {
    const tiny = { ...small, hiddenUnits: [8], epochs: 3 };
    const history = { ...training, values: training.values.slice(0, 10 * SEASON) };
    const [a, b, c] = await Promise.all([
      trainNeural(history, tiny),
      trainNeural(history, tiny),
      trainNeural(history, { ...tiny, seed: 7 }),
    ]);
    try {
      assert.deepEqual(a.predict(history, HORIZON), b.predict(history, HORIZON));
      assert.notDeepEqual(a.predict(history, HORIZON), c.predict(history, HORIZON));
    } finally {
      [a, b, c].forEach((m) => m.dispose());
    }
  });

  it('will not train on less than two seasons plus a horizon of windows, nor for a horizon beyond a season', async () => {
    await assert.rejects(
      trainNeural({ ...training, values: training.values.slice(0, 2 * SEASON + 20) }, small),
      NeuralInputError,
    );
    await assert.rejects(trainNeural(training, { ...small, horizonSteps: SEASON + 1 }), NeuralInputError);
  });
});
