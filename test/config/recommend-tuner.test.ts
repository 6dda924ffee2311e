import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitFeasibility } from '../../src/config/recommend/feasibility.js';
import { randomPoint, type Params, type SearchSpace } from '../../src/config/recommend/space.js';
import type { Observation } from '../../src/config/recommend/observation.js';
import { bestSoFar, proposeNext } from '../../src/config/recommend/tuner.js';
import { seededRandom } from '../../src/domain/random.js';

const SEEDS = 10;
const OPTIONS = { randomCandidates: 500 };

/** These problems' spaces have no choices: every value is a number. */
type NumericParams = Readonly<Record<string, number>>;
const numeric = (p: Params): NumericParams => p as NumericParams;

interface Problem {
  space: SearchSpace;
  start: Params;
  f: (p: NumericParams) => number;
  best: number;
}

/** Seeds in which the best of `trials` trials (after the free starting observation) is within `tolerance` of the optimum. */
function successes(problem: Problem, method: 'tuner' | 'random', trials: number, tolerance: number): number {
  let count = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const random = seededRandom(seed);
    const observations: Observation[] = [
      { params: problem.start, safe: true, value: problem.f(numeric(problem.start)) },
    ];
    for (let i = 0; i < trials; i++) {
      const params =
        method === 'tuner'
          ? proposeNext(problem.space, observations, random, OPTIONS).params
          : randomPoint(problem.space, random);
      observations.push({ params, safe: true, value: problem.f(numeric(params)) });
    }
    if (bestSoFar(observations)!.value >= (1 - tolerance) * problem.best) count++;
  }
  return count;
}

const oneD: Problem = {
  space: { parameters: [{ name: 'x', min: 0, max: 1, integer: false, scale: 'linear' }] },
  start: { x: 0.1 },
  f: ({ x }) => Math.exp(-((x! - 0.73) ** 2) / 0.005) + 0.1,
  best: 1.1,
};

// An integer, log-scaled pair with its optimum inside: pool 40, cache 3,000.
const twoD: Problem = {
  space: {
    parameters: [
      { name: 'pool', min: 1, max: 512, integer: true, scale: 'log' },
      { name: 'cache', min: 0, max: 100_000, integer: true, scale: 'log' },
    ],
  },
  start: { pool: 2, cache: 100 },
  f: ({ pool, cache }) =>
    Math.exp(-((Math.log(pool!) - Math.log(40)) ** 2) / 2 - (Math.log1p(cache!) - Math.log1p(3000)) ** 2 / 4) + 0.05,
  best: 1.05,
};

describe('tuner', () => {
  it('finds a 1-D optimum within 5% in 7 trials more often than random search', () => {
    const tuner = successes(oneD, 'tuner', 7, 0.05);
    const random = successes(oneD, 'random', 7, 0.05);
    assert.ok(tuner >= 8 && tuner > random, `tuner ${tuner}/${SEEDS}, random ${random}/${SEEDS}`);
  });

  it('finds a 2-D integer, log-scaled optimum within 10% in 10 trials more often than random search', () => {
    const tuner = successes(twoD, 'tuner', 10, 0.1);
    const random = successes(twoD, 'random', 10, 0.1);
    assert.ok(tuner >= 7 && tuner > random + 3, `tuner ${tuner}/${SEEDS}, random ${random}/${SEEDS}`);
  });

  it('proposes whole numbers within bounds, never a configuration already tried', () => {
    const random = seededRandom(4);
    const observations: Observation[] = [];
    for (let i = 0; i < 8; i++) {
      const params = numeric(proposeNext(twoD.space, observations, random, OPTIONS).params);
      assert.ok(Number.isInteger(params.pool) && params.pool! >= 1 && params.pool! <= 512, JSON.stringify(params));
      assert.ok(
        Number.isInteger(params.cache) && params.cache! >= 0 && params.cache! <= 100_000,
        JSON.stringify(params),
      );
      assert.ok(
        !observations.some((o) => o.params.pool === params.pool && o.params.cache === params.cache),
        'a repeat',
      );
      observations.push({ params, safe: true, value: twoD.f(params) });
    }
  });

  it('fills the space first, then proposes by expected improvement with its gain and odds of passing', () => {
    const random = seededRandom(2);
    const start: Observation = { params: oneD.start, safe: true, value: oneD.f(numeric(oneD.start)) };
    assert.equal(proposeNext(oneD.space, [start], random).basis, 'space-filling');
    const second: Observation = { params: { x: 0.5 }, safe: true, value: oneD.f({ x: 0.5 }) };
    const proposal = proposeNext(
      oneD.space,
      [start, second, { params: { x: 0.9 }, safe: true, value: oneD.f({ x: 0.9 }) }],
      random,
    );
    assert.equal(proposal.basis, 'expected-improvement');
    assert.ok(
      proposal.expectedGain! > 0 && proposal.probabilitySafe! > 0.5 && proposal.predictedValue! > 0,
      JSON.stringify(proposal),
    );
  });

  it('steers away from where trials failed, though the objective rises towards it', () => {
    // Rising up to 0.6, failing beyond: without the failures the tuner would look right of 0.6.
    const safe = [0.05, 0.2, 0.35, 0.5, 0.6].map((x): Observation => ({
      params: { x },
      safe: true,
      value: Math.exp(3 * x),
    }));
    const failed = [0.7, 0.8, 0.9, 1].map((x): Observation => ({
      params: { x },
      safe: false,
      reason: 'canary failed',
    }));
    const beyond = (observations: Observation[]) =>
      Array.from({ length: 5 }, (_, s) => proposeNext(oneD.space, observations, seededRandom(s + 1), OPTIONS)).filter(
        (p) => numeric(p.params).x! > 0.68,
      ).length;
    assert.ok(beyond(safe) >= 4, 'without failures the tuner extrapolates the rise');
    assert.equal(beyond([...safe, ...failed]), 0);
  });

  it('calls the best safe trial the best so far, and none when nothing passed', () => {
    const observations: Observation[] = [
      { params: { x: 1 }, safe: true, value: 3 },
      { params: { x: 2 }, safe: false },
      { params: { x: 3 }, safe: true, value: 5 },
      { params: { x: 4 }, safe: true, value: 4 },
    ];
    assert.deepEqual(bestSoFar(observations)?.params, { x: 3 });
    assert.equal(bestSoFar([{ params: { x: 2 }, safe: false }]), null);
    assert.throws(
      () => proposeNext(oneD.space, [{ params: { x: 0.5 }, safe: true, value: 0 }], seededRandom(1)),
      /positive value/,
    );
  });
});

describe('feasibility', () => {
  // Latency rises with x and crosses the allowance (1.1) at x ≈ 0.53.
  const ratio = (x: number) => Math.exp(3 * (x - 0.5));
  const trial = (x: number, safe = ratio(x) <= 1.1): Observation =>
    safe
      ? { params: { x }, safe: true, value: 1, latencyRatio: ratio(x) }
      : { params: { x }, safe: false, latencyRatio: ratio(x) };
  const odds = (observations: Observation[], xs: number[]) =>
    fitFeasibility(oneD.space, observations, 1.1, seededRandom(1))(xs.map((x) => [x]));

  it('reads how far a failed trial was from passing: safe short of the allowance, unsafe past it', () => {
    const [below, above] = odds(
      [0.1, 0.3, 0.8].map((x) => trial(x)),
      [0.35, 0.7],
    );
    assert.ok(below! > 0.9 && above! < 0.05, `P(pass) ${below} at 0.35, ${above} at 0.7`);
  });

  it('tells a near miss from a dead configuration, which the verdicts alone cannot', () => {
    const failedAt = (latencyRatio: number): Observation => ({ params: { x: 0.8 }, safe: false, latencyRatio });
    const safe = [0.1, 0.3].map((x) => trial(x));
    const [nearMiss] = odds([...safe, failedAt(1.15)], [0.7]);
    const [dead] = odds([...safe, failedAt(30)], [0.7]);
    assert.ok(nearMiss! > 2 * dead!, `P(pass) at 0.7 beside a near miss ${nearMiss}, beside a dead trial ${dead}`);
  });

  it('marks a failure the latency does not explain (refusals) where it happened, not everywhere', () => {
    const refused = trial(0.1, false);
    const [there, elsewhere] = odds([refused, trial(0.3), trial(0.4)], [0.1, 0.4]);
    assert.ok(there! < 0.5 && elsewhere! > 0.8, `P(pass) ${there} at the refusal, ${elsewhere} away from it`);
  });
});
