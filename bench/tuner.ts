// Configuration tuner benchmark: Bayesian optimisation (GP + expected improvement) against random
// search, the same budget of canary trials each, on the sample service's offline model; the yardstick
// is the best configuration of an exhaustive grid search. Run: npx tsx bench/tuner.ts [seeds] [first seed]
import { loadavg } from 'node:os';
import type { MetricSamples } from '../src/canary/classify-metric.js';
import type { JudgeConfig, Verdict } from '../src/canary/judge.js';
import { DEFAULT_SAMPLE_INTERVAL_SECONDS, DEFAULT_SAMPLE_SIZE, judge } from '../src/canary/judge.js';
import { nextStepAction } from '../src/canary/rollout-action.js';
import { DEFAULT_INCONCLUSIVE_LIMIT } from '../src/config/rollout-options.js';
import type { LatencySlo } from '../src/sample-service/queue-model.js';
import {
  asAppParams,
  exhaustiveBest,
  sampleCapacity,
  sampleHourlyCost,
  sampleOperatingPoint,
  sampleServiceSpace,
  sampleValue,
  type AppParams,
} from '../src/sample-service/offline-model.js';
import { randomPoint, type SearchSpace } from '../src/config/recommend/space.js';
import { observationOfTrial } from '../src/config/recommend/trial.js';
import type { Observation } from '../src/config/recommend/observation.js';
import { bestSoFar, proposeNext } from '../src/config/recommend/tuner.js';
import { DEFAULT_APP_CONFIG } from '../src/sample-service/app-params.js';
import { policySchema, sloSchema } from '../src/domain/resource-set.js';
import { seededRandom } from '../src/domain/random.js';
import { LOCAL_INSTANCE_TYPES } from '../src/providers/local/instance-types.js';
import type { InstanceType } from '../src/domain/provider.js';

const SEEDS = Number(process.argv[2] ?? 60);
const FIRST_SEED = Number(process.argv[3] ?? 1000);
const BUDGET = 10;
const GRID_STEPS = 20;
const WITHIN = 0.1;
/** Log-sd of a bake interval's p95 around the model's, and of a learned capacity around the model's. */
const P95_NOISE = 0.05;
const CAPACITY_NOISE = 0.05;
/** The judge's p95 allowance, and so the line the tuner's latency model must keep trials under. */
const LATENCY_ALLOWED_INCREASE = 1.05;

const defaults = sloSchema.parse({});
const SLO: LatencySlo = { quantileMs: defaults.latencyP95Ms, quantile: 0.95, errorRate: defaults.errorRate };
const TARGET_UTILIZATION = policySchema.parse({}).targetUtilization;

const JUDGE: JudgeConfig = {
  metrics: [
    {
      name: 'latency_p95',
      group: 'latency',
      direction: 'increase',
      effectSize: { allowedIncrease: LATENCY_ALLOWED_INCREASE },
      critical: true,
      mustHaveData: true,
    },
    { name: 'error_rate', group: 'errors', direction: 'increase', nanStrategy: 'replace', critical: true },
  ],
};

type Random = () => number;

function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
}

function poisson(mean: number, random: Random): number {
  if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(random)));
  let [k, p] = [0, random()];
  while (p > Math.exp(-mean)) {
    k++;
    p *= random();
  }
  return k;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Scenario {
  readonly type: InstanceType;
  readonly space: SearchSpace;
  /** Requests/s each instance serves while trials run: the fleet sized for the running config. */
  readonly load: number;
  readonly baseline: { readonly latencyMs: number; readonly refused: number };
}

/** One bake of `params` on a canary beside a baseline instance, both at the fleet's load per instance. */
function bake(scenario: Scenario, params: AppParams, random: Random): Record<string, MetricSamples> {
  const canary = sampleOperatingPoint(scenario.type, params, scenario.load, SLO.quantile);
  const requests = scenario.load * DEFAULT_SAMPLE_INTERVAL_SECONDS;
  const series = (side: { latencyMs: number; refused: number }) => ({
    p95: Array.from(
      { length: DEFAULT_SAMPLE_SIZE },
      () => Math.min(1e7, side.latencyMs) * Math.exp(P95_NOISE * normal(random)),
    ),
    errors: Array.from({ length: DEFAULT_SAMPLE_SIZE }, () => poisson(requests * side.refused, random) / requests),
  });
  const [b, c] = [series(scenario.baseline), series(canary)];
  return { latency_p95: { baseline: b.p95, canary: c.p95 }, error_rate: { baseline: b.errors, canary: c.errors } };
}

/**
 * A canary trial as a rollout runs it: judge, one longer look on marginal, the learned capacity if
 * it passed, and the p95 ratio of the last bake (medians of its intervals, as the tuning workflow
 * measures canaryP95Ms and baselineP95Ms).
 */
function trial(scenario: Scenario, params: AppParams, random: Random): Observation {
  let data = bake(scenario, params, random);
  let verdict: Verdict = judge(JUDGE, data).verdict;
  if (nextStepAction(verdict, [], DEFAULT_INCONCLUSIVE_LIMIT) === 'extend-bake') {
    data = bake(scenario, params, random);
    verdict = judge(JUDGE, data).verdict;
  }
  const { baseline, canary } = data['latency_p95']!;
  const capacity = sampleCapacity(scenario.type, params, SLO) * Math.exp(CAPACITY_NOISE * normal(random));
  return observationOfTrial({
    params,
    verdict,
    capacity,
    hourlyCost: sampleHourlyCost(scenario.type, params),
    latencyRatio: median(canary) / median(baseline),
  })!;
}

type Method = 'gp-ei' | 'random';

interface Run {
  /** True capacity per dollar of the configuration the run ends with (its best measured trial). */
  readonly value: number;
  readonly unsafe: number;
  readonly ms: number;
}

function run(scenario: Scenario, method: Method, seed: number): Run {
  const random = seededRandom(seed);
  const started = performance.now();
  // Both start from what runs: the fleet's own capacity is known before any trial.
  const observations: Observation[] = [trial(scenario, DEFAULT_APP_CONFIG.params, random)];
  for (let i = 0; i < BUDGET; i++) {
    const params =
      method === 'gp-ei'
        ? proposeNext(scenario.space, observations, random, { latencyAllowedIncrease: LATENCY_ALLOWED_INCREASE }).params
        : randomPoint(scenario.space, random);
    observations.push(trial(scenario, asAppParams(params), random));
  }
  const best = bestSoFar(observations);
  const value = best ? sampleValue(scenario.type, asAppParams(best.params), SLO) : 0;
  return { value, unsafe: observations.filter((o) => !o.safe).length, ms: performance.now() - started };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

const loadBefore = loadavg();
const rows: string[] = [];
const notes: string[] = [];
for (const type of LOCAL_INSTANCE_TYPES) {
  const started = performance.now();
  const exhaustive = exhaustiveBest(type, SLO, GRID_STEPS);
  const gridSeconds = (performance.now() - started) / 1000;
  const baselineCapacity = sampleCapacity(type, DEFAULT_APP_CONFIG.params, SLO);
  const load = baselineCapacity * TARGET_UTILIZATION;
  const scenario: Scenario = {
    type,
    space: sampleServiceSpace(type),
    load,
    baseline: sampleOperatingPoint(type, DEFAULT_APP_CONFIG.params, load, SLO.quantile),
  };
  const { params } = exhaustive.best;
  for (const method of ['gp-ei', 'random'] as const) {
    const runs = Array.from({ length: SEEDS }, (_, s) => run(scenario, method, FIRST_SEED + s));
    const gaps = runs.map((r) => 1 - r.value / exhaustive.best.value).sort((a, b) => a - b);
    const within = gaps.filter((g) => g <= WITHIN).length / runs.length;
    const msPerRun = median(runs.map((r) => r.ms));
    rows.push(
      `| ${type.name} | ${params.poolSize}, ${params.cacheSize}, ${params.queueLimit} | ${exhaustive.best.value.toFixed(0)} | ${method} | ${pct(within)} | ` +
        `${pct(median(gaps))} | ${pct(gaps[Math.floor(0.9 * (gaps.length - 1))]!)} | ${(runs.reduce((s, r) => s + r.unsafe, 0) / runs.length).toFixed(2)} | ` +
        `${msPerRun.toFixed(0)} | ${method === 'gp-ei' ? (msPerRun / BUDGET).toFixed(0) : '–'} |`,
    );
  }
  const bestThere = sampleOperatingPoint(type, params, load, SLO.quantile);
  notes.push(
    `- ${type.name}: grid of ${exhaustive.evaluated} configurations in ${gridSeconds.toFixed(1)} s; the running config serves ${baselineCapacity.toFixed(1)} req/s ` +
      `within the SLO; trials run at ${load.toFixed(1)} req/s per instance, where its p95 is ${scenario.baseline.latencyMs.toFixed(0)} ms and the grid best's ${bestThere.latencyMs.toFixed(1)} ms`,
  );
}
console.log(
  `SLO p95 ≤ ${SLO.quantileMs} ms, errors ≤ ${pct(SLO.errorRate)}; ${BUDGET} trials after the running config's own measurement; ${SEEDS} seeds from ${FIRST_SEED}; grid ${GRID_STEPS} steps per parameter\n`,
);
console.log(
  `load average (1, 5, 15 min) before ${loadBefore.map((l) => l.toFixed(1)).join(', ')}, after ${loadavg()
    .map((l) => l.toFixed(1))
    .join(', ')}\n`,
);
console.log(
  '| type | grid best (pool, cache, queue) | its capacity per $/h | method | runs within 10% | median gap | p90 gap | unsafe trials/run | ms/run | ms/proposal |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
console.log('');
for (const note of notes) console.log(note);
