import type { InstanceType } from '../domain/provider.js';
import { sampleParamsSchema, type SampleParams } from './app-params.js';
import { HIT_MS, JITTER_SIGMA, KEY_SPACE, MISS_MS } from './workload.js';
import { cacheCapacity, hourlyCost } from './memory-cost.js';
import { lruHitRate } from './lru-hit-rate.js';
import { capacityAtSlo, queueState, sojournQuantileMs, type LatencySlo, type QueueSystem } from './queue-model.js';
import { grid, type Params, type SearchSpace } from '../config/recommend/space.js';

/**
 * An offline model of the sample service, faithful to its code where it can be (the cache's hit
 * rate under its own key law, its hit and miss service times, jitter and instance speed, its
 * worker pool and refusing queue) and a documented model where the code has no cost (a timer
 * costs nothing to wait on, so the real app would scale its pool without limit):
 *
 * - Workers contend. Service time grows with the pool by Gunther's Universal Scalability Law,
 *   1 + σ(n − 1) + κ·n(n − 1), where n is workers per unit of instance speed (a type twice as fast
 *   has twice the cores, so it carries twice the workers before they contend). σ is serialisation
 *   (locks, a shared connection), κ coherency (cache-line and context-switch traffic): at these
 *   values throughput peaks near √((1 − σ)/κ) ≈ 31 workers per unit of speed, and beyond it every
 *   worker added slows all the others.
 * - Cache entries cost memory, priced by hourlyCost (memory-cost.ts). Warm, the cache holds
 *   min(cacheSize, KEY_SPACE) entries: every key is eventually requested, none twice over.
 *
 * The objective — requests per second within the SLO per dollar-hour — then has an interior
 * optimum in pool size (concurrency against contention) and rises with the cache (hit rate
 * against memory: a miss costs 8 hits, so the hit rate wins) up to the key space, where it levels
 * off: beyond KEY_SPACE entries nothing more is held or hit. Too short a queue refuses requests
 * (errors count against the SLO); a longer one only matters near saturation.
 *
 * Only the tuner's benchmark (bench/tuner.ts) runs it, as the ground truth a tuner is scored on:
 * the engine knows an app only through its profile and what the fleet measured.
 */

const CONTENTION = 0.02;
const COHERENCY = 0.001;

export type AppParams = SampleParams;

const paramShapes = sampleParamsSchema.shape;

export function slowdown(poolSize: number, speed: number): number {
  const n = poolSize / speed;
  return 1 + CONTENTION * Math.max(0, n - 1) + COHERENCY * n * Math.max(0, n - 1);
}

export function sampleServiceQueue(type: InstanceType, params: AppParams): QueueSystem {
  const hit = lruHitRate(params.cacheSize);
  const scale = slowdown(params.poolSize, type.speed) / type.speed;
  return {
    servers: params.poolSize,
    queueLimit: params.queueLimit,
    service: [
      { weight: hit, meanMs: HIT_MS * scale },
      { weight: 1 - hit, meanMs: MISS_MS * scale },
    ],
    sigma: JITTER_SIGMA,
  };
}

/** The parameters as the app would take them: whole numbers within the schema's bounds and the instance's memory. */
function fitsInstance(type: InstanceType, params: AppParams): boolean {
  return sampleParamsSchema.safeParse(params).success && params.cacheSize <= cacheCapacity(type);
}

/** Requests/s one instance sustains within the SLO; 0 for a configuration the app would refuse. */
export function sampleCapacity(type: InstanceType, params: AppParams, slo: LatencySlo): number {
  return fitsInstance(type, params) ? capacityAtSlo(sampleServiceQueue(type, params), slo) : 0;
}

export function sampleHourlyCost(type: InstanceType, params: AppParams): number {
  return hourlyCost(type, Math.min(params.cacheSize, KEY_SPACE));
}

/** Capacity per dollar: requests/s within the SLO per $/h. */
export function sampleValue(type: InstanceType, params: AppParams, slo: LatencySlo): number {
  return sampleCapacity(type, params, slo) / sampleHourlyCost(type, params);
}

export interface OperatingPoint {
  /** The latency quantile the SLO names, e.g. p95, ms. */
  readonly latencyMs: number;
  readonly refused: number;
}

export function sampleOperatingPoint(
  type: InstanceType,
  params: AppParams,
  loadPerSecond: number,
  quantile: number,
): OperatingPoint {
  const state = queueState(sampleServiceQueue(type, params), loadPerSecond / 1000);
  return { latencyMs: sojournQuantileMs(state, quantile), refused: state.refused };
}

/** The sample service's tuning space on one instance type: the schema's bounds, the cache capped by memory. */
export function sampleServiceSpace(type: InstanceType): SearchSpace {
  const bounds = (name: keyof AppParams, max = paramShapes[name].maxValue ?? Infinity) => ({
    name,
    min: paramShapes[name].minValue ?? 0,
    max,
    integer: true,
    scale: 'log' as const,
  });
  return { parameters: [bounds('poolSize'), bounds('cacheSize', cacheCapacity(type)), bounds('queueLimit')] };
}

export function asAppParams(params: Params): AppParams {
  return sampleParamsSchema.parse(params);
}

export interface ExhaustiveResult {
  readonly best: { readonly params: AppParams; readonly value: number };
  readonly evaluated: number;
}

/** The best of a grid with `steps` points per parameter (log-spaced), by brute force. */
export function exhaustiveBest(type: InstanceType, slo: LatencySlo, steps: number): ExhaustiveResult {
  let best: { params: AppParams; value: number } | null = null;
  let evaluated = 0;
  for (const point of grid(sampleServiceSpace(type), steps)) {
    const params = asAppParams(point);
    evaluated++;
    const value = sampleValue(type, params, slo);
    if (!best || value > best.value) best = { params, value };
  }
  if (!best) throw new Error('the grid is empty');
  return { best, evaluated };
}
