/**
 * What one request costs. Service time is waiting (the request holds a worker while a timer runs,
 * the way a real service waits on a database or a downstream call), so many instances fit on a
 * few cores. At speed 1 a cache hit takes 5 ms and a miss 40 ms on average; faster instance types
 * divide both by their speed.
 */
export const HIT_MS = 5;
export const MISS_MS = 40;
/**
 * Log-sd of one request's service time: p50 ≈ 0.97 × mean, p99 ≈ 1.7 × mean — the long right tail
 * real latencies have, without the outliers that would make small tests flaky.
 */
export const JITTER_SIGMA = 0.25;
/** Distinct keys the service's own traffic draws from. */
export const KEY_SPACE = 100_000;

export type Random = () => number;

/** A lognormal factor with mean 1. */
function jitter(random: Random): number {
  // Box–Muller; 1 - random() keeps the logarithm's argument in (0, 1].
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return Math.exp(JITTER_SIGMA * z - (JITTER_SIGMA * JITTER_SIGMA) / 2);
}

export function serviceTimeMs(
  hit: boolean,
  speed: number,
  versionFactor: number,
  random: Random = Math.random,
): number {
  return ((hit ? HIT_MS : MISS_MS) * versionFactor * jitter(random)) / speed;
}

/**
 * A key from a Zipf-like law (P(k) ∝ 1/k over 1..KEY_SPACE), by inverting the continuous 1/x
 * density: no table, O(1). Popular keys dominate, so an LRU cache's hit rate grows with its size;
 * once warm it is ≈ 0.25 at 100 entries, 0.48 at 1,000, 0.64 at 5,000, 0.75 at 20,000.
 */
export function zipfKey(random: Random = Math.random): string {
  const k = Math.min(KEY_SPACE, Math.floor(Math.pow(KEY_SPACE + 1, random())));
  return `k${k}`;
}
