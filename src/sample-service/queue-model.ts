import { normalCdf } from '../canary/normal.js';

/**
 * An M/G/c/K queue — Poisson arrivals, c workers, at most K waiting, the rest refused — answered
 * by approximation: the state distribution, the refusal probability and the wait of an admitted
 * request are M/M/c/K's (exact for exponential service), with the wait's time axis stretched by
 * the Allen–Cunneen factor (1 + cs²)/2, where cs² is the service time's squared coefficient of
 * variation (the standard two-moment correction for general service). A request's own service
 * time is then added exactly, from its lognormal mixture, by numerical integration. Checked
 * against a discrete-event simulation in test/config/recommend-queue-model.test.ts.
 */

/** One kind of request: lognormal service time with this mean, making up `weight` of requests. */
export interface ServiceComponent {
  readonly weight: number;
  readonly meanMs: number;
}

export interface QueueSystem {
  readonly servers: number;
  readonly queueLimit: number;
  readonly service: readonly ServiceComponent[];
  /** Log-sd of every component's lognormal. */
  readonly sigma: number;
}

export interface QueueState {
  /** Share of arrivals refused because the queue is full. */
  readonly refused: number;
  /** P(an admitted request's sojourn exceeds t ms). */
  sojournTail(tMs: number): number;
}

export function meanServiceMs(system: QueueSystem): number {
  return system.service.reduce((s, c) => s + c.weight * c.meanMs, 0);
}

/** Squared coefficient of variation of the service time: mixture of lognormals with log-sd sigma. */
export function serviceScv(system: QueueSystem): number {
  const mean = meanServiceMs(system);
  const second =
    system.service.reduce((s, c) => s + c.weight * c.meanMs * c.meanMs, 0) * Math.exp(system.sigma * system.sigma);
  return second / (mean * mean) - 1;
}

const LOG_2PI = Math.log(2 * Math.PI);

/** ln n!, exact by summation for small n and by Stirling's series beyond (error < 1e-10 there). */
function logFactorial(n: number): number {
  if (n < 30) {
    let s = 0;
    for (let k = 2; k <= n; k++) s += Math.log(k);
    return s;
  }
  return n * Math.log(n) - n + 0.5 * (LOG_2PI + Math.log(n)) + 1 / (12 * n) - 1 / (360 * n ** 3);
}

/** ln Σ_{j<n} e^{j·logRatio}, stable for ratios above, below and at 1 and for huge n. */
function logGeometricSum(logRatio: number, n: number): number {
  if (n <= 0) return -Infinity;
  if (Math.abs(logRatio) < 1e-12) return Math.log(n);
  const t = n * logRatio;
  if (logRatio > 0) return t + Math.log1p(-Math.exp(-t)) - (logRatio + Math.log1p(-Math.exp(-logRatio)));
  return Math.log1p(-Math.exp(t)) - Math.log(-Math.expm1(logRatio));
}

function logSumExp(values: readonly number[]): number {
  const max = Math.max(...values);
  if (max === -Infinity) return -Infinity;
  return max + Math.log(values.reduce((s, v) => s + Math.exp(v - max), 0));
}

/** Poisson terms beyond this many standard deviations from the mean are left out (< 1e-30 of mass). */
const POISSON_SDS = 12;
/** Simpson intervals over a component's standard-normal coordinate. */
const SIMPSON_INTERVALS = 32;
const Z_RANGE = 8;

/** The queue at arrival rate `lambdaPerMs` (requests per millisecond). */
export function queueState(system: QueueSystem, lambdaPerMs: number): QueueState {
  if (!(lambdaPerMs > 0)) throw new RangeError(`the arrival rate must be positive, got ${lambdaPerMs}`);
  const { servers: c, queueLimit: k, sigma } = system;
  const meanMs = meanServiceMs(system);
  const offered = lambdaPerMs * meanMs;
  const logRho = Math.log(offered / c);
  // ln of the unnormalised P(n in system) = a^n / n! for n ≤ c, then × ρ^j for c + j.
  let logNFactorial = 0;
  const logBelow = Array.from({ length: c }, (_, n) => {
    if (n > 0) logNFactorial += Math.log(n);
    return n * Math.log(offered) - logNFactorial;
  });
  const logAtC = c * Math.log(offered) - logNFactorial - Math.log(c);
  const logNorm = logSumExp([...logBelow, logAtC + logGeometricSum(logRho, k + 1)]);
  const logPiC = logAtC - logNorm;
  const refused = Math.exp(logPiC + k * logRho);
  const logAdmitted = Math.log1p(-Math.min(refused, 1 - 1e-16));
  // Rate at which the queue ahead of a waiting request drains, slowed for variable service.
  const drain = c / meanMs / ((1 + serviceScv(system)) / 2);

  /**
   * P(wait > y | admitted) = Σ_{j<K} P(admitted to find j waiting) · P(Poisson(drain·y) ≤ j): the
   * wait ends once j + 1 departures have happened. Poisson CDF values far below the mean are 0
   * and far above it 1, so only a window of about 24√m states needs the product; above it the
   * states' probabilities sum geometrically.
   */
  const waitTail = (y: number): number => {
    if (k === 0) return 0;
    const m = drain * y;
    const lo = Math.max(0, Math.floor(m - POISSON_SDS * Math.sqrt(m) - 10));
    const hi = Math.ceil(m + POISSON_SDS * Math.sqrt(m) + 10);
    if (lo >= k) return 0;
    if (hi < k && logRho < 0) {
      // The truncation at K is out of reach of the Poisson mass: the infinite queue's closed form.
      const rho = Math.exp(logRho);
      return (Math.exp(logPiC - logAdmitted) * (Math.exp(-m * (1 - rho)) - Math.exp(k * logRho))) / (1 - rho);
    }
    const rho = Math.exp(logRho);
    let state = Math.exp(logPiC + lo * logRho - logAdmitted);
    let pmf = Math.exp(m > 0 ? -m + lo * Math.log(m) - logFactorial(lo) : 0);
    let cdf = 0;
    let sum = 0;
    const last = Math.min(k - 1, hi);
    for (let j = lo; j <= last; j++) {
      if (j > lo) {
        state *= rho;
        pmf *= m / j;
      }
      cdf += pmf;
      sum += state * Math.min(1, cdf);
    }
    if (last < k - 1)
      sum += Math.exp(logPiC + (last + 1) * logRho + logGeometricSum(logRho, k - 1 - last) - logAdmitted);
    return Math.min(1, sum);
  };

  const components = system.service.map((s) => ({ weight: s.weight, mu: Math.log(s.meanMs) - (sigma * sigma) / 2 }));
  return {
    refused,
    sojournTail(tMs) {
      return Math.min(
        1,
        components.reduce((total, { weight, mu }) => {
          if (weight === 0) return total;
          const zT = (Math.log(tMs) - mu) / sigma;
          // Service alone exceeds t, or it ends at s < t and the wait exceeds t − s.
          let tail = 1 - normalCdf(zT);
          const from = -Z_RANGE;
          const to = Math.min(zT, Z_RANGE);
          if (to > from) {
            const h = (to - from) / SIMPSON_INTERVALS;
            let integral = 0;
            for (let i = 0; i <= SIMPSON_INTERVALS; i++) {
              const z = from + i * h;
              const f =
                (Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI)) *
                waitTail(Math.max(0, tMs - Math.exp(mu + sigma * z)));
              integral += f * (i === 0 || i === SIMPSON_INTERVALS ? 1 : i % 2 === 1 ? 4 : 2);
            }
            tail += (integral * h) / 3;
          }
          return total + weight * tail;
        }, 0),
      );
    },
  };
}

/** The t with P(sojourn > t) = 1 − q, by bisection in log time. */
export function sojournQuantileMs(state: QueueState, q: number): number {
  let [lo, hi] = [1e-3, 1];
  while (state.sojournTail(hi) > 1 - q) {
    hi *= 2;
    if (hi > 1e9) return Infinity;
  }
  for (let i = 0; i < 50; i++) {
    const mid = Math.sqrt(lo * hi);
    if (state.sojournTail(mid) > 1 - q) lo = mid;
    else hi = mid;
  }
  return hi;
}

export interface LatencySlo {
  /** The sojourn quantile q (e.g. 0.95) must stay within this. */
  readonly quantileMs: number;
  readonly quantile: number;
  /** Refused requests count as errors: at most this share. */
  readonly errorRate: number;
}

/**
 * The highest arrival rate (requests/s) at which the SLO holds: the latency quantile within its
 * bound and refusals within the error budget. Both only worsen as load grows, so bisection finds
 * the edge; 0 when even a trickle misses the SLO.
 */
export function capacityAtSlo(system: QueueSystem, slo: LatencySlo): number {
  const meets = (perSecond: number): boolean => {
    const state = queueState(system, perSecond / 1000);
    return state.refused <= slo.errorRate && state.sojournTail(slo.quantileMs) <= 1 - slo.quantile;
  };
  const saturation = (1000 * system.servers) / meanServiceMs(system);
  if (!meets(saturation * 1e-6)) return 0;
  let [lo, hi] = [saturation * 1e-6, saturation];
  while (meets(hi)) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 40 && hi / lo > 1 + 1e-4; i++) {
    const mid = Math.sqrt(lo * hi);
    if (meets(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}
