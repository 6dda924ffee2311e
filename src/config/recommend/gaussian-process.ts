import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import { nelderMead } from './nelder-mead.js';

/**
 * Gaussian-process regression on the unit cube: a constant mean (the data's), a Matérn 5/2 kernel
 * with one length scale per dimension (twice differentiable, so less prone than the RBF's infinite
 * smoothness to oscillate between a few trials; per-dimension scales let a parameter that barely
 * matters be ignored), and Gaussian observation noise. Targets are standardised before fitting, so
 * the hyperparameter bounds below mean the same thing for any objective.
 *
 * The kernel is either the usual product over dimensions (a point informs only its neighbourhood
 * in every dimension at once) or additive (Duvenaud et al. 2011, Kandasamy et al. 2015): the mean
 * of one 1-D Matérn per dimension, so the function is a sum of one curve per parameter. A trial
 * then informs every point that shares any one of its coordinates, which is what lets ten trials
 * in three dimensions learn each parameter's effect; it cannot express interactions.
 */

export type GpKernel = 'product' | 'additive';

export interface GpHyperparameters {
  /** Per input dimension, in unit-cube coordinates. */
  readonly lengthScales: readonly number[];
  /** Prior variance of the standardised latent function. */
  readonly signalVariance: number;
  /** Observation noise variance, standardised units. */
  readonly noiseVariance: number;
}

export interface GpPrediction {
  /** Latent mean and variance at each point, in the targets' units (noise not included). */
  readonly mean: number[];
  readonly variance: number[];
}

export interface GaussianProcess {
  readonly hyperparameters: GpHyperparameters;
  readonly logMarginalLikelihood: number;
  /** The noise variance in the targets' units: what a repeat of a trial would scatter by. */
  readonly noiseVariance: number;
  predict(points: readonly (readonly number[])[]): GpPrediction;
}

export interface GpFitOptions {
  /** Fixed hyperparameters; otherwise they maximise the log marginal likelihood plus weak priors (MAP). */
  readonly hyperparameters?: GpHyperparameters;
  /** Extra random starts of the likelihood search beyond the default one. Default 4. */
  readonly restarts?: number;
  /** Needed for the restarts. */
  readonly random?: () => number;
  /**
   * What the targets are centred on and divided by: the GP's prior mean and unit. By default their
   * sample mean and standard deviation. A classifier's ±1 labels want mean 0 and scale 1: far from
   * any trial, no opinion either way.
   */
  readonly standardisation?: { readonly mean: number; readonly scale: number };
  /** Default 'product'. */
  readonly kernel?: GpKernel;
}

/**
 * Hard bounds of the search, as natural logs: length scales from 0.03 (a bump a few percent of a
 * range wide) to 20 (flat across it), noise from negligible to as large as the signal.
 */
const LOG_BOUNDS = {
  lengthScale: [Math.log(0.03), Math.log(20)],
  signal: [Math.log(0.05), Math.log(20)],
  noise: [Math.log(1e-6), Math.log(1)],
} as const;
/** Added to the kernel's diagonal beyond the noise so Cholesky survives duplicate inputs. */
const JITTER = 1e-9;
const SQRT5 = Math.sqrt(5);

/** Matérn 5/2 correlation at squared scaled distance r2. */
function matern52(r2: number): number {
  const r = Math.sqrt(r2);
  return (1 + SQRT5 * r + (5 / 3) * r2) * Math.exp(-SQRT5 * r);
}

type Covariance = (a: readonly number[], b: readonly number[], h: GpHyperparameters) => number;

const COVARIANCES: Record<GpKernel, Covariance> = {
  product(a, b, h) {
    let r2 = 0;
    for (let d = 0; d < a.length; d++) r2 += ((a[d]! - b[d]!) / h.lengthScales[d]!) ** 2;
    return h.signalVariance * matern52(r2);
  },
  additive(a, b, h) {
    let sum = 0;
    for (let d = 0; d < a.length; d++) sum += matern52(((a[d]! - b[d]!) / h.lengthScales[d]!) ** 2);
    return (h.signalVariance * sum) / a.length;
  },
};

interface Factor {
  cholesky: CholeskyDecomposition;
  alpha: Matrix;
  logMarginalLikelihood: number;
}

function factor(
  xs: readonly (readonly number[])[],
  z: Matrix,
  h: GpHyperparameters,
  covariance: Covariance,
): Factor | null {
  const n = xs.length;
  const k = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const v = covariance(xs[i]!, xs[j]!, h) + (i === j ? h.noiseVariance + JITTER : 0);
      k.set(i, j, v);
      k.set(j, i, v);
    }
  }
  const cholesky = new CholeskyDecomposition(k);
  if (!cholesky.isPositiveDefinite()) return null;
  const alpha = cholesky.solve(z);
  const l = cholesky.lowerTriangularMatrix;
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += 2 * Math.log(l.get(i, i));
  const fit = z.transpose().mmul(alpha).get(0, 0);
  return { cholesky, alpha, logMarginalLikelihood: -0.5 * fit - 0.5 * logDet - 0.5 * n * Math.log(2 * Math.PI) };
}

/**
 * Log-normal priors on the hyperparameters (centre and sd of the natural log), so the search
 * maximises the posterior rather than the bare likelihood (as BoTorch does). With a handful of
 * trials the bare likelihood is flat along whole ridges and its maximum sits on a bound; the
 * priors, weak enough that a few dozen trials override them, keep the fit near half the range per
 * length scale. On bench/tuner.ts's local.small case (60 seeds, a deterministic stand-in for the
 * judge) they took GP-EI from 45% to 77% of runs within 10% of the best.
 */
const PRIOR = { lengthScale: [Math.log(0.5), 1], signal: [0, 1], noise: [Math.log(1e-2), 2] } as const;

function logPrior(theta: readonly number[], dims: number): number {
  return theta.reduce((s, v, i) => {
    const [centre, sd] = i < dims ? PRIOR.lengthScale : i === dims ? PRIOR.signal : PRIOR.noise;
    return s - 0.5 * ((v - centre) / sd) ** 2;
  }, 0);
}

function fromLog(theta: readonly number[], dims: number): GpHyperparameters {
  return {
    lengthScales: theta.slice(0, dims).map(Math.exp),
    signalVariance: Math.exp(theta[dims]!),
    noiseVariance: Math.exp(theta[dims + 1]!),
  };
}

function inBounds(theta: readonly number[], dims: number): boolean {
  return theta.every((v, i) => {
    const [lo, hi] = i < dims ? LOG_BOUNDS.lengthScale : i === dims ? LOG_BOUNDS.signal : LOG_BOUNDS.noise;
    return v >= lo && v <= hi;
  });
}

function fitHyperparameters(
  xs: readonly (readonly number[])[],
  z: Matrix,
  covariance: Covariance,
  options: GpFitOptions,
): GpHyperparameters {
  const dims = xs[0]!.length;
  const negative = (theta: readonly number[]): number => {
    if (!inBounds(theta, dims)) return Infinity;
    return (
      -(factor(xs, z, fromLog(theta, dims), covariance)?.logMarginalLikelihood ?? -Infinity) - logPrior(theta, dims)
    );
  };
  const uniform = (lo: number, hi: number, random: () => number): number => lo + (hi - lo) * random();
  const starts: number[][] = [[...new Array<number>(dims).fill(PRIOR.lengthScale[0]), PRIOR.signal[0], PRIOR.noise[0]]];
  const { restarts = 4, random } = options;
  if (random) {
    for (let r = 0; r < restarts; r++) {
      starts.push([
        ...Array.from({ length: dims }, () => uniform(Math.log(0.05), Math.log(2), random)),
        uniform(-1, 1, random),
        uniform(Math.log(1e-4), Math.log(0.1), random),
      ]);
    }
  }
  const best = starts
    .map((s) => nelderMead(negative, s, 0.5, 150 * (dims + 2)))
    .reduce((a, b) => (b.value < a.value ? b : a));
  return fromLog(best.x, dims);
}

export function fitGaussianProcess(
  xs: readonly (readonly number[])[],
  ys: readonly number[],
  options: GpFitOptions = {},
): GaussianProcess {
  if (xs.length === 0 || xs.length !== ys.length)
    throw new RangeError('a Gaussian process needs as many targets as points, at least one');
  const sampleMean = ys.reduce((s, y) => s + y, 0) / ys.length;
  const spread = Math.sqrt(ys.reduce((s, y) => s + (y - sampleMean) ** 2, 0) / ys.length);
  // Identical targets carry no scale; 1 keeps the standardised prior at the targets' own units.
  const { mean, scale } = options.standardisation ?? { mean: sampleMean, scale: spread > 0 ? spread : 1 };
  const z = Matrix.columnVector(ys.map((y) => (y - mean) / scale));
  const covariance = COVARIANCES[options.kernel ?? 'product'];
  const hyperparameters = options.hyperparameters ?? fitHyperparameters(xs, z, covariance, options);
  const fitted = factor(xs, z, hyperparameters, covariance);
  if (!fitted) throw new Error('the kernel matrix is not positive definite even with jitter');
  const { cholesky, alpha } = fitted;
  return {
    hyperparameters,
    logMarginalLikelihood: fitted.logMarginalLikelihood,
    noiseVariance: hyperparameters.noiseVariance * scale * scale,
    predict(points) {
      if (points.length === 0) return { mean: [], variance: [] };
      const cross = new Matrix(xs.length, points.length);
      xs.forEach((x, i) => points.forEach((p, j) => cross.set(i, j, covariance(x, p, hyperparameters))));
      const solved = cholesky.solve(cross);
      return {
        mean: points.map((_, j) => mean + scale * xs.reduce((s, _x, i) => s + cross.get(i, j) * alpha.get(i, 0), 0)),
        variance: points.map((_, j) => {
          const explained = xs.reduce((s, _x, i) => s + cross.get(i, j) * solved.get(i, j), 0);
          return scale * scale * Math.max(0, hyperparameters.signalVariance - explained);
        }),
      };
    },
  };
}
