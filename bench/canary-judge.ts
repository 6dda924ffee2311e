// Canary judge benchmark: detection power against a 10% rise of p95 latency and false positives
// on A/A runs, over simulated bakes. Run: npx tsx bench/canary-judge.ts
import type { MetricConfig, MetricSamples } from '../src/canary/classify-metric.js';
import type { JudgeConfig, Verdict } from '../src/canary/judge.js';
import {
  DEFAULT_CONFIDENCE,
  DEFAULT_SAMPLE_INTERVAL_SECONDS,
  DEFAULT_SAMPLE_SIZE,
  judge,
} from '../src/canary/judge.js';

const RUNS = 2000;
const SEED = 0x5ca1ab1e;
const REGRESSION = 1.1;

/** How one bake's traffic is generated; every latency is a request's, every metric a per-interval value. */
interface Fleet {
  readonly samplesPerSide: number;
  readonly instancesPerSide: number;
  /** Log-sd of each instance's persistent speed factor (same type, different host). */
  readonly instanceSigma: number;
  readonly requestsPerInstancePerSecond: number;
  /** Log-sd of the load swing per interval, shared by both sides because they bake side by side. */
  readonly loadSigma: number;
  readonly medianLatencyMs: number;
  /** Log-sd of one request's latency. */
  readonly latencySigma: number;
  readonly errorProbability: number;
  readonly cpuUtilisation: number;
}

const FLEET: Fleet = {
  samplesPerSide: DEFAULT_SAMPLE_SIZE,
  instancesPerSide: 1,
  instanceSigma: 0.01,
  requestsPerInstancePerSecond: 20,
  loadSigma: 0.05,
  medianLatencyMs: 40,
  latencySigma: 0.5,
  errorProbability: 0.001,
  cpuUtilisation: 0.45,
};

const P95: MetricConfig = {
  name: 'latency_p95',
  group: 'latency',
  direction: 'increase',
  effectSize: { allowedIncrease: 1.05 },
  critical: true,
  mustHaveData: true,
};

const P95_ONLY: JudgeConfig = { metrics: [P95] };

const SERVICE: JudgeConfig = {
  metrics: [
    P95,
    { name: 'latency_p99', group: 'latency', direction: 'increase', effectSize: { allowedIncrease: 1.1 } },
    { name: 'error_rate', group: 'errors', direction: 'increase', nanStrategy: 'replace', critical: true },
    { name: 'cpu', group: 'saturation', direction: 'increase', effectSize: { allowedIncrease: 1.1 } },
  ],
  groupWeights: { latency: 50, errors: 30, saturation: 20 },
};

// xoshiro128** seeded through splitmix32: fast, 2^128 − 1 period, reproducible everywhere.
function generator(seed: number): { uniform: () => number; normal: () => number } {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c = (c ^ a) >>> 0;
    d = (d ^ b) >>> 0;
    b = (b ^ c) >>> 0;
    a = (a ^ d) >>> 0;
    c = (c ^ t) >>> 0;
    d = rotl(d, 11);
    return result;
  };
  const uniform = () => (next() + 0.5) / 2 ** 32;
  let spare: number | null = null;
  const normal = () => {
    if (spare !== null) {
      const value = spare;
      spare = null;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  };
  return { uniform, normal };
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

type Random = ReturnType<typeof generator>;

/** One bake: per interval, each side's p95 and p99 latency, error rate and CPU. */
function simulateBake(fleet: Fleet, canaryLatencyFactor: number, random: Random): Record<string, MetricSamples> {
  const side = () => Array.from({ length: fleet.instancesPerSide }, () => fleet.instanceSigma * random.normal());
  const baselineSpeed = side();
  const canarySpeed = side();
  const requests = fleet.requestsPerInstancePerSecond * DEFAULT_SAMPLE_INTERVAL_SECONDS;
  // Quantiles are taken on log-latencies: exp is monotone, so one exp per quantile suffices.
  const logLatencies = new Float64Array(requests * fleet.instancesPerSide);
  const series = () => ({ p95: [] as number[], p99: [] as number[], errors: [] as number[], cpu: [] as number[] });
  const baseline = series();
  const canary = series();
  for (let t = 0; t < fleet.samplesPerSide; t++) {
    const logLoad = fleet.loadSigma * random.normal();
    for (const [out, logSpeeds, factor] of [
      [baseline, baselineSpeed, 1],
      [canary, canarySpeed, canaryLatencyFactor],
    ] as const) {
      let errors = 0;
      let cpu = 0;
      logSpeeds.forEach((logSpeed, i) => {
        const location = Math.log(fleet.medianLatencyMs * factor) + logLoad + logSpeed;
        for (let r = 0; r < requests; r++)
          logLatencies[i * requests + r] = location + fleet.latencySigma * random.normal();
        errors += binomial(requests, fleet.errorProbability, random);
        cpu += fleet.cpuUtilisation * Math.exp(logLoad + logSpeed) * (1 + 0.02 * random.normal());
      });
      logLatencies.sort();
      out.p95.push(Math.exp(nearestRank(logLatencies, 0.95)));
      out.p99.push(Math.exp(nearestRank(logLatencies, 0.99)));
      out.errors.push(errors / logLatencies.length);
      out.cpu.push(cpu / logSpeeds.length);
    }
  }
  const pair = (key: keyof typeof baseline) => ({ baseline: baseline[key], canary: canary[key] });
  return { latency_p95: pair('p95'), latency_p99: pair('p99'), error_rate: pair('errors'), cpu: pair('cpu') };
}

function nearestRank(sorted: Float64Array, q: number): number {
  return sorted[Math.ceil(q * sorted.length) - 1] as number;
}

// Inversion: walk the CDF from 0; with n·p well under 1 this takes one or two steps.
function binomial(n: number, p: number, random: Random): number {
  let u = random.uniform();
  let probability = (1 - p) ** n;
  let k = 0;
  while (u > probability && k < n) {
    u -= probability;
    probability *= ((n - k) / (k + 1)) * (p / (1 - p));
    k++;
  }
  return k;
}

interface Shares {
  readonly fail: number;
  readonly marginal: number;
  readonly pass: number;
}

function verdictShares(config: JudgeConfig, fleet: Fleet, canaryLatencyFactor: number, seed: number): Shares {
  const random = generator(seed);
  const counts: Record<Verdict, number> = { pass: 0, marginal: 0, fail: 0, inconclusive: 0 };
  for (let run = 0; run < RUNS; run++)
    counts[judge(config, simulateBake(fleet, canaryLatencyFactor, random)).verdict]++;
  return { fail: counts.fail / RUNS, marginal: counts.marginal / RUNS, pass: counts.pass / RUNS };
}

const pct = (share: number) => `${(100 * share).toFixed(2)}%`;

let nextSeed = SEED;
function row(label: string, config: JudgeConfig, fleet: Fleet): string {
  const started = performance.now();
  const aa = verdictShares(config, fleet, 1, nextSeed++);
  const shifted = verdictShares(config, fleet, REGRESSION, nextSeed++);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  return `| ${label} | ${pct(shifted.fail)} | ${pct(shifted.marginal)} | ${pct(aa.fail)} | ${pct(aa.marginal)} | ${seconds} s |`;
}

const header = [
  '| setting | power (10% shift → fail) | shift → marginal | false positives (A/A → fail) | A/A → marginal | time |',
  '|---|---|---|---|---|---|',
];
const describe = (f: Fleet) =>
  `n = ${f.samplesPerSide}/side, ${f.instancesPerSide} inst/side, instance σ ${(100 * f.instanceSigma).toFixed(1)}%`;

console.log(
  `Canary judge benchmark: ${RUNS} A/A and ${RUNS} shifted runs per row, ` +
    `confidence ${DEFAULT_CONFIDENCE}, seed 0x${SEED.toString(16)}`,
);
console.log('\nHeadline — p95 latency (increase, allowedIncrease 1.05, critical) at the default sample size');
console.log([...header, row(describe(FLEET), P95_ONLY, FLEET)].join('\n'));

console.log('\nSample size (p95 only)');
const sized = [20, 30, 45, 90].map((n) => ({ ...FLEET, samplesPerSide: n }));
console.log([...header, ...sized.map((f) => row(describe(f), P95_ONLY, f))].join('\n'));

console.log('\nInstance-to-instance noise (p95 only)');
const noisy = (sigma: number, instances: number) => ({ ...FLEET, instanceSigma: sigma, instancesPerSide: instances });
console.log(
  [...header, ...[noisy(0, 1), noisy(0.02, 1), noisy(0.02, 3)].map((f) => row(describe(f), P95_ONLY, f))].join('\n'),
);

console.log('\nNo tolerance (allowedIncrease 1.0) (p95 only)');
const strict: JudgeConfig = { metrics: [{ ...P95, effectSize: { allowedIncrease: 1 } }] };
console.log([...header, row(describe(FLEET), strict, FLEET)].join('\n'));

console.log('\nWhole service config (p95 critical, p99, error rate critical, CPU; weights 50/30/20)');
console.log(
  [
    ...header,
    row(`${describe(FLEET)}, confidence ${DEFAULT_CONFIDENCE}`, SERVICE, FLEET),
    row(`${describe(FLEET)}, confidence 0.99`, { ...SERVICE, confidence: 0.99 }, FLEET),
  ].join('\n'),
);
