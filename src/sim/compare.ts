import { ORACLE, runBacktest, type BacktestResult, type PolicyFigures } from './backtest.js';
import { aws } from './policies/aws.js';
import { hpa } from './policies/hpa.js';
import { calibrated } from './policies/calibrated.js';
import { forecastQuantile } from './policies/predictive.js';
import type { PolicySpec } from './policy.js';

/**
 * Policies a comparison can run besides the oracle, which always runs as the cost baseline:
 * `predictive` is the self-calibrating policy, `forecast` the planner on the forecaster's
 * quantiles alone (one fixed operating point).
 */
const POLICIES: Record<string, () => Promise<PolicySpec>> = {
  predictive: () => calibrated(),
  forecast: () => forecastQuantile(),
  hpa: () => Promise.resolve(hpa),
  aws: () => Promise.resolve(aws),
};
export const POLICY_NAMES: readonly string[] = [...Object.keys(POLICIES), ORACLE];

const MINUTES_PER_DAY = 1440;
const DEFAULT_WARMUP_DAYS = 7;

/** The figures reported per policy (the CLI's `--json`, the API's backtest route). */
export type BacktestFigures = Pick<PolicyFigures, 'tauU' | 'thetaU' | 'thetaO' | 'cost' | 'changesPerHour' | 'mase'>;

export interface ComparisonOptions {
  /** Demand on 1-minute steps. */
  demand: readonly number[];
  /** Epoch minutes of demand[0]. */
  startTime: number;
  /** From POLICY_NAMES; unknown names throw. */
  policies: readonly string[];
  target: number;
  /** Days simulated but not scored; default: 7, or half the series when it is shorter than two weeks. */
  warmupDays?: number;
  onProgress?: (fraction: number) => void;
}

export interface Comparison {
  result: BacktestResult;
  warmupDays: number;
  /** Per policy asked for, in the order asked. */
  figures: Record<string, BacktestFigures>;
}

/** Half the history warms up when it is shorter than two warm-ups, so that something is left to score. */
export function defaultWarmupDays(minutes: number): number {
  return Math.min(DEFAULT_WARMUP_DAYS, minutes / MINUTES_PER_DAY / 2);
}

/**
 * Replays one demand series through the named policies in the backtest fleet model (see
 * runBacktest) and keeps the figures people compare: what `prescale backtest` prints and what the
 * API's backtest route returns.
 */
export async function comparePolicies(options: ComparisonOptions): Promise<Comparison> {
  const unknown = options.policies.filter((n) => !POLICY_NAMES.includes(n));
  if (unknown.length)
    throw new RangeError(`unknown policies ${unknown.join(', ')}; choose from ${POLICY_NAMES.join(', ')}`);
  const names = [...new Set(options.policies)];
  const warmupDays = options.warmupDays ?? defaultWarmupDays(options.demand.length);
  const policies = await Promise.all(names.filter((n) => n !== ORACLE).map((n) => POLICIES[n]!()));
  const result = runBacktest({
    demand: options.demand,
    startTime: options.startTime,
    policies,
    target: options.target,
    warmupDays,
    onProgress: options.onProgress,
  });
  const figures: Record<string, BacktestFigures> = {};
  for (const name of names) {
    const { tauU, thetaU, thetaO, cost, changesPerHour, mase } = result.runs.find((r) => r.name === name)!.figures;
    figures[name] = { tauU, thetaU, thetaO, cost, changesPerHour, mase };
  }
  return { result, warmupDays, figures };
}
