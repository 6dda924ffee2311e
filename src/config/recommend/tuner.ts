import { expectedRelativeGain } from './acquisition.js';
import { fitFeasibility } from './feasibility.js';
import { fitGaussianProcess } from './gaussian-process.js';
import type { Observation, SafeObservation } from './observation.js';
import { decode, encode, randomPoint, sameParams, validateSpace, type Params, type SearchSpace } from './space.js';

/**
 * Bayesian optimisation of a positive objective (capacity per dollar) over a search space, one
 * trial at a time. The surrogate is a GP on the logarithm of the objective; the next trial
 * maximises expected improvement × the probability that the trial is safe, the constrained EI of
 * Gardner et al. (2014): a proposal near a failure needs a big gain.
 *
 * The objective's GP is additive (one curve per parameter, gaussian-process.ts): a configuration's
 * capacity per dollar is close to a product of what its pool, its cache and its queue each do, and
 * ten trials in three dimensions are too few to learn interactions anyway. On bench/tuner.ts
 * (seeds 20000–20029, which it does not score) the additive GP alone or the latency-based safety
 * model alone (feasibility.ts) did not beat the product GP with a pass/fail classifier (70–83% of
 * runs a type within 10% of the best); together they reached 90–100%.
 *
 * Unsafe trials (the canary judge failed them and they were rolled back) have no measured value,
 * so they are not forced into the objective's GP as made-up bad numbers, which would bend the
 * surface around them (on the benchmark's local.small case, imputing the worst safe value
 * reached 10% of the best in 62% of runs, a classifier in 77%); what they measured goes into the
 * safety model instead.
 */

export interface Proposal {
  readonly params: Params;
  /** How it was chosen: filling the space before the surrogate has data, or by expected improvement. */
  readonly basis: 'space-filling' | 'expected-improvement';
  /**
   * Expected relative gain of the objective over the best so far, counting an unsafe trial as no
   * gain (EI × P(safe)); 0.05 is +5%. Null while filling the space.
   */
  readonly expectedGain: number | null;
  readonly probabilitySafe: number | null;
  /** The surrogate's median of the objective here. */
  readonly predictedValue: number | null;
}

export interface TunerOptions {
  /**
   * Trials (the running configuration's own measurement counts as one) before the surrogate
   * picks; until then, and until one trial was safe, trials fill the space. Default 3: with 2 the
   * tuner did as well on bench/tuner.ts (within noise) but stalled on a flat plateau of the 2-D
   * test problem, with too little spread to see a slope.
   */
  readonly initialTrials?: number;
  /** Uniformly random candidates the acquisition is evaluated at; default 2,000. */
  readonly randomCandidates?: number;
  /**
   * The canary judge's allowance on p95 latency (canary ÷ baseline) that a trial must stay under;
   * default 1.1, the rollout options' default.
   */
  readonly latencyAllowedIncrease?: number;
}

const LOCAL_SCALES = [0.03, 0.1] as const;
const LOCAL_PER_POINT = 150;
const LOCAL_CENTRES = 3;
const REFINE_TOP = 5;
const REFINE_PER_POINT = 60;
const REFINE_SCALE = 0.015;
/**
 * Draws the space-filling pick is the farthest of. Few on purpose: the farthest of many is always
 * a corner, and the corners of a configuration space (every extreme at once) are where it fails.
 * On the tuner benchmark 2 to 8 did about equally well, 1 (plain random) and 16 worse.
 */
const SPACE_FILLING_CANDIDATES = 4;

export function bestSoFar(observations: readonly Observation[]): SafeObservation | null {
  return observations.reduce<SafeObservation | null>(
    (best, o) => (o.safe && (!best || o.value > best.value) ? o : best),
    null,
  );
}

export function proposeNext(
  space: SearchSpace,
  observations: readonly Observation[],
  random: () => number,
  options: TunerOptions = {},
): Proposal {
  validateSpace(space);
  const { initialTrials = 3, randomCandidates = 2000, latencyAllowedIncrease = 1.1 } = options;
  const safe = observations.filter((o): o is SafeObservation => o.safe);
  for (const o of safe) if (!(o.value > 0)) throw new RangeError(`a safe trial needs a positive value, got ${o.value}`);
  if (safe.length === 0 || observations.length < initialTrials) return spaceFilling(space, observations, random);

  const objective = fitGaussianProcess(
    safe.map((o) => encode(space, o.params)),
    safe.map((o) => Math.log(o.value)),
    { random, kernel: 'additive' },
  );
  const probabilitySafe = fitFeasibility(space, observations, latencyAllowedIncrease, random);
  const incumbent = Math.exp(Math.max(...objective.predict(safe.map((o) => encode(space, o.params))).mean));

  const score = (units: readonly (readonly number[])[]) => {
    const { mean, variance } = objective.predict(units);
    const pSafe = probabilitySafe(units);
    return units.map((unit, i) => {
      const gain = expectedRelativeGain(mean[i]!, variance[i]!, incumbent);
      return {
        unit,
        gain,
        pSafe: pSafe[i]!,
        score: gain * pSafe[i]!,
        median: Math.exp(mean[i]!),
        sd: Math.sqrt(variance[i]!),
      };
    });
  };

  const tried = observations.map((o) => o.params);
  const candidates = (units: number[][]) =>
    units
      .map((u) => encode(space, decode(space, u)))
      .filter((u) => !tried.some((p) => sameParams(space, p, decode(space, u))));
  const dims = space.parameters.length;
  const centres = [...safe]
    .sort((a, b) => b.value - a.value)
    .slice(0, LOCAL_CENTRES)
    .map((o) => encode(space, o.params));
  const first = score(
    candidates([
      ...Array.from({ length: randomCandidates }, () => Array.from({ length: dims }, () => random())),
      ...centres.flatMap((c) =>
        LOCAL_SCALES.flatMap((s) => Array.from({ length: LOCAL_PER_POINT }, () => perturb(c, s, random))),
      ),
    ]),
  );
  // Ties (EI underflowing to 0 everywhere) go to the most uncertain point: exploring beats standing still.
  const byScore = (a: { score: number; sd: number }, b: { score: number; sd: number }) =>
    b.score - a.score || b.sd - a.sd;
  const top = first.sort(byScore).slice(0, REFINE_TOP);
  const refined = score(
    candidates(
      top.flatMap((c) => Array.from({ length: REFINE_PER_POINT }, () => perturb(c.unit, REFINE_SCALE, random))),
    ),
  );
  const best = [...top, ...refined].sort(byScore)[0];
  if (!best) return spaceFilling(space, observations, random);
  return {
    params: decode(space, best.unit),
    basis: 'expected-improvement',
    expectedGain: best.score,
    probabilitySafe: best.pSafe,
    predictedValue: best.median,
  };
}

/** The random point farthest from every trial so far, of a few draws. */
function spaceFilling(space: SearchSpace, observations: readonly Observation[], random: () => number): Proposal {
  const tried = observations.map((o) => encode(space, o.params));
  let best: { params: Params; distance: number } | null = null;
  for (let i = 0; i < SPACE_FILLING_CANDIDATES; i++) {
    const params = randomPoint(space, random);
    const unit = encode(space, params);
    const distance = Math.min(Infinity, ...tried.map((t) => Math.hypot(...t.map((v, d) => v - unit[d]!))));
    if (distance > 0 && (!best || distance > best.distance)) best = { params, distance };
  }
  return {
    params: best?.params ?? randomPoint(space, random),
    basis: 'space-filling',
    expectedGain: null,
    probabilitySafe: null,
    predictedValue: null,
  };
}

function perturb(centre: readonly number[], scale: number, random: () => number): number[] {
  return centre.map((v) => Math.min(1, Math.max(0, v + scale * gaussian(random))));
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
