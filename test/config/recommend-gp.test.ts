import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectedRelativeGain } from '../../src/config/recommend/acquisition.js';
import { fitGaussianProcess, type GpHyperparameters } from '../../src/config/recommend/gaussian-process.js';
import { seededRandom } from '../../src/domain/random.js';

const FIXED: GpHyperparameters = { lengthScales: [0.2], signalVariance: 1, noiseVariance: 1e-8 };
const xs = [[0.1], [0.3], [0.5], [0.8]];
const ys = [1, 3, 2, 4];

describe('Gaussian process', () => {
  it('interpolates noise-free points and is sure of them', () => {
    const gp = fitGaussianProcess(xs, ys, { hyperparameters: FIXED });
    const { mean, variance } = gp.predict(xs);
    mean.forEach((m, i) => assert.ok(Math.abs(m - ys[i]!) < 1e-4, `mean ${m} at ${xs[i]![0]} vs ${ys[i]}`));
    variance.forEach((v) => assert.ok(v < 1e-6, `variance ${v}`));
  });

  it('grows less sure with distance from the data, back to the prior far away', () => {
    const gp = fitGaussianProcess(xs, ys, { hyperparameters: FIXED });
    const { mean, variance } = gp.predict([[0.81], [0.85], [0.95], [5]]);
    assert.ok(
      variance[0]! < variance[1]! && variance[1]! < variance[2]! && variance[2]! < variance[3]!,
      JSON.stringify(variance),
    );
    const sampleVariance = ys.reduce((s, y) => s + (y - 2.5) ** 2, 0) / ys.length;
    assert.ok(Math.abs(variance[3]! - sampleVariance) < 1e-6, 'far away: the prior variance in target units');
    assert.ok(Math.abs(mean[3]! - 2.5) < 1e-6, "far away: the targets' mean");
  });

  it('learns per-dimension length scales: long for an input that does not matter', () => {
    const random = seededRandom(3);
    const points = Array.from({ length: 30 }, () => [random(), random()]);
    const gp = fitGaussianProcess(
      points,
      points.map(([a]) => Math.sin(6 * a!)),
      { random },
    );
    const [relevant, irrelevant] = gp.hyperparameters.lengthScales;
    assert.ok(irrelevant! > 3 * relevant!, `length scales ${relevant}, ${irrelevant}`);
    const fixed = fitGaussianProcess(
      points,
      points.map(([a]) => Math.sin(6 * a!)),
      { hyperparameters: { lengthScales: [0.5, 0.5], signalVariance: 1, noiseVariance: 1e-2 } },
    );
    assert.ok(gp.logMarginalLikelihood > fixed.logMarginalLikelihood, 'the search improves on its starting point');
  });

  it('matches a hand computation: log marginal likelihood, posterior mean and variance', () => {
    // Reference values from an independent Gaussian-elimination solve of the same model (3 points,
    // fixed hyperparameters); the likelihood is of the standardised targets, as the fit uses it.
    const h: GpHyperparameters = { lengthScales: [0.3], signalVariance: 1.2, noiseVariance: 0.01 };
    const gp = fitGaussianProcess([[0.1], [0.5], [0.9]], [1, 3, 2], { hyperparameters: h });
    assert.ok(
      Math.abs(gp.logMarginalLikelihood - -4.966682482575065) < 1e-9,
      `log marginal likelihood ${gp.logMarginalLikelihood}`,
    );
    const { mean, variance } = gp.predict([[0.7], [1.3]]);
    [2.6535371466772224, 1.8903835513391254].forEach((m, i) =>
      assert.ok(Math.abs(mean[i]! - m) < 1e-9, `mean ${mean[i]} vs ${m}`),
    );
    [0.17194420088369622, 0.6963007819954383].forEach((v, i) =>
      assert.ok(Math.abs(variance[i]! - v) < 1e-9, `variance ${variance[i]} vs ${v}`),
    );
  });

  it("with the additive kernel, predicts a combination never tried from each parameter's own effect", () => {
    // Trials along two lines through (0.1, 0.1), one parameter moving at a time; the function is a sum.
    const f = ([a, b]: number[]) => Math.sin(4 * a!) + Math.cos(3 * b!);
    const line = [0.1, 0.3, 0.5, 0.7, 0.9];
    const points = [...line.map((a) => [a, 0.1]), ...line.slice(1).map((b) => [0.1, b])];
    const corner = [0.8, 0.8];
    const error = (kernel: 'product' | 'additive') =>
      Math.abs(
        fitGaussianProcess(points, points.map(f), { random: seededRandom(7), kernel }).predict([corner]).mean[0]! -
          f(corner),
      );
    assert.ok(error('additive') < 0.1, `additive: off by ${error('additive')}`);
    assert.ok(error('product') > 3 * error('additive'), `product: off by ${error('product')}`);
  });

  it('explains scattered repeats as noise rather than wiggles', () => {
    const random = seededRandom(9);
    const points = Array.from({ length: 24 }, (_, i) => [(i % 6) / 5]);
    const noisy = points.map(([x]) => x! + 0.3 * (random() - 0.5));
    const gp = fitGaussianProcess(points, noisy, { random });
    assert.ok(gp.noiseVariance > 0.002 && gp.noiseVariance < 0.02, `noise variance ${gp.noiseVariance} (true 0.0075)`);
  });
});

describe('expected improvement', () => {
  it('is about zero at the best observed point and positive where nothing was tried', () => {
    const gp = fitGaussianProcess(xs, ys.map(Math.log), { hyperparameters: FIXED });
    const incumbent = 4;
    const { mean, variance } = gp.predict([[0.8], [0.65], [1]]);
    const gains = mean.map((m, i) => expectedRelativeGain(m, variance[i]!, incumbent));
    assert.ok(gains[0]! < 1e-4, `at the best point: ${gains[0]}`);
    assert.ok(gains[1]! > 1e-3 && gains[2]! > 1e-3, `unexplored: ${gains.slice(1).join(', ')}`);
  });

  it('is the expected relative gain of a lognormal, as a Monte Carlo estimate says', () => {
    const random = seededRandom(5);
    const [mean, variance, incumbent] = [Math.log(90), 0.09, 100];
    let sum = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const z = Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
      sum += Math.max(0, Math.exp(mean + Math.sqrt(variance) * z) / incumbent - 1);
    }
    const exact = expectedRelativeGain(mean, variance, incumbent);
    assert.ok(Math.abs(exact - sum / n) < 0.002, `${exact} vs ${sum / n}`);
    assert.ok(Math.abs(expectedRelativeGain(Math.log(120), 0, incumbent) - 0.2) < 1e-12, 'certain: the gain itself');
    assert.equal(expectedRelativeGain(Math.log(80), 0, incumbent), 0);
  });
});
