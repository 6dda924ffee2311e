// Synthetic data with known structure for the neural forecaster and capacity model tests.
import type { Series } from '../../src/forecast/types.js';
import { seededRandom } from '../../src/domain/random.js';

export function gaussian(random: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
}

/**
 * Hourly-style demand: a sinusoidal daily profile (one season = `seasonSteps` steps), weekends at
 * 60%, and AR(1) noise (persistent, as real demand's deviations are), never below zero.
 */
export function seasonalSeries(options: {
  start: number;
  stepSeconds: number;
  seasonSteps: number;
  steps: number;
  level?: number;
  noise?: number;
  persistence?: number;
  seed?: number;
}): Series {
  const { start, stepSeconds, seasonSteps, steps, level = 100, noise = 8, persistence = 0.5, seed = 7 } = options;
  const normal = gaussian(seededRandom(seed));
  let deviation = 0;
  const values = Array.from({ length: steps }, (_, i) => {
    const t = start + i * stepSeconds;
    // 1970-01-01 was a Thursday: +3 makes Monday day 0.
    const weekday = (Math.floor(t / 86_400) + 3) % 7;
    const phase = (2 * Math.PI * (i % seasonSteps)) / seasonSteps;
    deviation = persistence * deviation + Math.sqrt(1 - persistence ** 2) * noise * normal();
    return Math.max(0, level * (weekday >= 5 ? 0.6 : 1) * (1 + 0.6 * Math.sin(phase)) + deviation);
  });
  return { start, stepSeconds, values };
}

/** Erlang C: the probability that an arrival waits in an M/M/c queue with offered load a = λ/μ. */
function erlangC(c: number, a: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k < c; k++) {
    term *= a / k;
    sum += term;
  }
  const top = (term * a) / c / (1 - a / c);
  return top / (sum + top);
}

/**
 * p95 of the sojourn time (wait + service), milliseconds, in an M/M/c queue: c servers of rate μ
 * per second, arrivals λ per second. Wait is 0 or Exp(cμ − λ); service Exp(μ); their sum's tail
 * has a closed form, inverted by bisection.
 */
export function mmcP95Ms(lambda: number, c: number, mu: number): number {
  if (!(lambda < c * mu)) throw new RangeError(`an M/M/${c} queue with μ = ${mu} is unstable at λ = ${lambda}`);
  const waits = erlangC(c, lambda / mu);
  const theta = c * mu - lambda;
  const tail = (t: number): number =>
    (1 - waits) * Math.exp(-mu * t) +
    waits *
      (Math.abs(theta - mu) < 1e-9
        ? (1 + mu * t) * Math.exp(-mu * t)
        : (theta * Math.exp(-mu * t) - mu * Math.exp(-theta * t)) / (theta - mu));
  let lo = 0;
  let hi = 1;
  while (tail(hi) > 0.05) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (tail(mid) > 0.05) lo = mid;
    else hi = mid;
  }
  return hi * 1000;
}

/** The arrival rate at which the M/M/c p95 reaches sloMs. */
export function mmcKnee(sloMs: number, c: number, mu: number): number {
  let lo = 0;
  let hi = c * mu;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (mmcP95Ms(mid, c, mu) < sloMs) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Loads uniform in [from, to] req/s with the M/M/c p95 times lognormal noise (a p95 measured over a minute). */
export function mmcSamples(options: {
  count: number;
  from: number;
  to: number;
  c: number;
  mu: number;
  noise?: number;
  seed?: number;
}): { load: number; latencyP95Ms: number }[] {
  const { count, from, to, c, mu, noise = 0.15, seed = 3 } = options;
  const random = seededRandom(seed);
  const normal = gaussian(random);
  return Array.from({ length: count }, () => {
    const load = from + random() * (to - from);
    return { load, latencyP95Ms: mmcP95Ms(load, c, mu) * Math.exp(noise * normal()) };
  });
}
