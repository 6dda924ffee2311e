import { simulateFleet, type FleetRun } from './fleet.js';
import { capacityPerInstance, READY_DELAY_MINUTES, requiredInstances } from './fleet-model.js';
import { oracle } from './policies/oracle.js';
import type { Policy, PolicyEnv, PolicySpec, StepForecasts } from './policy.js';
import { elasticity, forecastMase, paidMinutes, type Elasticity } from './score.js';

export interface BacktestOptions {
  /** Demand on 1-minute steps (see toMinuteSteps). */
  demand: readonly number[];
  /** Epoch minutes of demand[0]; policies that follow the clock need it. */
  startTime?: number;
  /** Policies to score; the oracle always runs first, as the cost baseline. */
  policies: readonly PolicySpec[];
  /** Target utilisation, 0..1. */
  target: number;
  /** Days simulated but not scored, so that policies with memory start warm. */
  warmupDays: number;
  /** Fraction of the whole backtest done, 0..1. */
  onProgress?: (fraction: number) => void;
}

export interface PolicyFigures extends Elasticity {
  /** Paid instance-minutes ÷ the oracle's. */
  cost: number;
  instanceHours: number;
  /** Forecast MASE vs the 1-week seasonal naive; null for a policy that does not forecast. */
  mase: number | null;
}

export interface PolicyRun {
  name: string;
  figures: PolicyFigures;
  /** Per minute, instances serving — for plots. */
  supply: Int32Array;
  paid: Int32Array;
}

export interface BacktestResult {
  capacity: number;
  required: Int32Array;
  warmupMinutes: number;
  /** The oracle first, then the policies in the order given. */
  runs: PolicyRun[];
}

export const ORACLE = 'oracle';

/**
 * Scores policies on one demand trace in the fleet model: capacity c = p99(d)/20 per
 * instance, r = max(1, ceil(d/c)) required, one decision a minute, orders serving after
 * READY_DELAY_MINUTES (see simulateFleet), the fleet starting sized for the first minute, and the
 * first warmupDays not scored. With the HPA reading documented in policies/hpa.ts this reproduces
 * the reference τU on NYC taxi, both Crane traces and Twitter, and its costs where they
 * do not depend on the oracle's window: the reference divides by Σ max(r[t..t+4]), one minute
 * short of what a 5-minute lead needs (such an oracle is short of instances), while this divides
 * by the oracle below, Σ max(r[t..t+5]).
 */
export function runBacktest(options: BacktestOptions): BacktestResult {
  const { demand, policies, target, warmupDays, onProgress, startTime = 0 } = options;
  if (!(target > 0 && target <= 1)) throw new RangeError(`target must be in (0, 1] (got ${target})`);
  const warmupMinutes = Math.round(warmupDays * 24 * 60);
  if (!(warmupMinutes >= 0 && warmupMinutes < demand.length))
    throw new RangeError(`warm-up of ${warmupDays} days leaves nothing of ${demand.length} minutes to score`);
  const names = [ORACLE, ...policies.map((p) => p.name)];
  if (new Set(names).size !== names.length)
    throw new Error(`policy names must be unique and not "${ORACLE}": ${names.join(', ')}`);

  const capacity = capacityPerInstance(demand);
  const required = requiredInstances(demand, capacity);
  const env: PolicyEnv = { capacity, target, readyDelay: READY_DELAY_MINUTES, startTime, minutes: demand.length };
  const initial = required[0]!;

  const simulate = (policy: Policy, index: number) =>
    simulateFleet(policy, demand, {
      readyDelay: READY_DELAY_MINUTES,
      initial,
      onProgress: onProgress && ((f) => onProgress((index + f) / names.length)),
    });

  const baseline = simulate(oracle(required, READY_DELAY_MINUTES), 0);
  const baselinePaid = paidMinutes(baseline.paid, warmupMinutes);
  const score = (name: string, run: FleetRun, forecasts: StepForecasts | undefined): PolicyRun => {
    const paid = paidMinutes(run.paid, warmupMinutes);
    return {
      name,
      supply: run.supply,
      paid: run.paid,
      figures: {
        ...elasticity(run.supply, required, warmupMinutes),
        cost: paid / baselinePaid,
        instanceHours: paid / 60,
        mase: forecasts ? forecastMase(forecasts, demand, warmupMinutes) : null,
      },
    };
  };

  const runs = [score(ORACLE, baseline, undefined)];
  policies.forEach((spec, i) => {
    const policy = spec.create(env);
    const run = simulate(policy, i + 1);
    runs.push(score(spec.name, run, policy.forecasts?.()));
  });
  return { capacity, required, warmupMinutes, runs };
}
