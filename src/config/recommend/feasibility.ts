import { normalCdf } from '../../canary/normal.js';
import { fitGaussianProcess } from './gaussian-process.js';
import { encode, type SearchSpace } from './space.js';
import type { Observation } from './observation.js';

/**
 * The probability that a configuration passes its canary, the constraint of constrained Bayesian
 * optimisation (Gardner et al. 2014), modelled on what a trial measures rather than only on its
 * verdict. Almost every failure is the canary's p95 rising past the judge's allowance over the
 * baseline's, and a trial measures that ratio whether it passes or not: 1.8 says "near", 40 says
 * "nowhere near", where a pass/fail label says only "failed". So a GP on the log of the ratio
 * (additive: latency is roughly a product of what each parameter does to it) predicts where the
 * ratio stays under the allowance, and its uncertainty gives the odds.
 *
 * Failures the latency does not explain (refused requests, a canary that never ran) are left to a
 * ±1 least-squares classifier, its prior mean at "passes": away from such failures the latency
 * model has the say. Without any latency measurement the classifier is all there is, and with a
 * zero prior mean it has no opinion far from the trials.
 */

/** Log ratios are clipped here: a canary a hundred times slower is dead, and how dead says nothing near the boundary. */
const LOG_RATIO_LIMIT = Math.log(100);

export type Feasibility = (units: readonly (readonly number[])[]) => number[];

export function fitFeasibility(
  space: SearchSpace,
  observations: readonly Observation[],
  latencyAllowedIncrease: number,
  random: () => number,
): Feasibility {
  const limit = Math.log(latencyAllowedIncrease);
  const logRatio = (o: Observation): number | null =>
    o.latencyRatio! > 0 ? Math.max(-LOG_RATIO_LIMIT, Math.min(LOG_RATIO_LIMIT, Math.log(o.latencyRatio!))) : null;
  const measured = observations.filter((o) => logRatio(o) !== null);
  const latency =
    measured.length > 0
      ? fitGaussianProcess(
          measured.map((o) => encode(space, o.params)),
          measured.map((o) => logRatio(o)!),
          { random, kernel: 'additive' },
        )
      : null;
  const explained = (o: Observation): boolean => o.safe || (latency !== null && (logRatio(o) ?? -Infinity) > limit);
  const priorMean = latency ? 1 : 0;
  const other = fitGaussianProcess(
    observations.map((o) => encode(space, o.params)),
    observations.map((o) => (explained(o) ? 1 : -1)),
    { random, standardisation: { mean: priorMean, scale: 1 } },
  );
  return (units) => {
    // Label noise counts as the labels' own scatter, latency noise as a repeat's.
    const passes = (gp: typeof other, bound: number, sign: number) => {
      const { mean, variance } = gp.predict(units);
      return mean.map((m, i) => normalCdf((sign * (m - bound)) / Math.sqrt(variance[i]! + gp.noiseVariance)));
    };
    const otherwise = passes(other, 0, 1);
    if (!latency) return otherwise;
    const fast = passes(latency, limit, -1);
    return otherwise.map((p, i) => p * fast[i]!);
  };
}
