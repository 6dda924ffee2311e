import { ApplicationFailure } from '@temporalio/activity';
import { quantile } from '../forecast/quantile.js';
import { demandRate } from '../forecast/series.js';
import { comparePolicies, defaultWarmupDays, type BacktestFigures } from '../sim/compare.js';
import { frontier, type Frontier } from '../sim/frontier.js';
import { MIN_BACKTEST_DAYS } from '../sim/recorded-backtest.js';
import type { Db } from '../store/db.js';
import { demandSeries } from '../store/metrics.js';

const MINUTE = 60;
const DAY_MINUTES = 1440;
const POLICIES = ['predictive', 'hpa', 'aws', 'oracle'] as const;

export interface BacktestDemandInput {
  resourceSetId: string;
  /** Epoch seconds on a minute: the replayed history ends here (fixed by the caller, so a retry replays the same minutes). */
  to: number;
  days: number;
  target: number;
  /** Also the frontier: hpa and aws at targets 0.5–0.9 and predictive at its objectives. */
  frontier?: boolean;
}

export interface BacktestReport {
  from: number;
  to: number;
  days: number;
  warmupDays: number;
  target: number;
  capacityPerInstance: number;
  policies: Record<string, BacktestFigures>;
  frontier?: Frontier;
}

/**
 * The set's recorded demand through predictive, hpa, aws and the oracle in the backtest fleet
 * model. Seconds of CPU for two weeks, so it runs on the forecast queue, never in the API.
 */
export function createBacktestActivities(deps: { db: Db }) {
  return {
    async backtestDemand(input: BacktestDemandInput): Promise<BacktestReport> {
      const { resourceSetId, to, days: asked, target } = input;
      const demand = demandRate(
        await demandSeries(deps.db, resourceSetId, {
          from: to - asked * DAY_MINUTES * MINUTE,
          to,
          stepSeconds: MINUTE,
        }),
      );
      const days = demand.values.length / DAY_MINUTES;
      if (days < MIN_BACKTEST_DAYS) {
        throw ApplicationFailure.nonRetryable(
          `a backtest needs at least ${MIN_BACKTEST_DAYS} days of recorded demand; resource set "${resourceSetId}" has ${(days * 24).toFixed(1)} hours`,
          'history_too_short',
        );
      }
      // The fleet model sizes an instance as p99 ÷ 20: a history of (almost) nothing cannot be sized.
      if (!(quantile(demand.values, 0.99) > 0)) {
        throw ApplicationFailure.nonRetryable(
          `resource set "${resourceSetId}" recorded demand in fewer than 1% of the last ${days.toFixed(1)} days' minutes`,
          'no_demand',
        );
      }
      const startTime = demand.start / MINUTE;
      const { result, warmupDays, figures } = await comparePolicies({
        demand: demand.values,
        startTime,
        policies: POLICIES,
        target,
      });
      const report: BacktestReport = {
        from: demand.start,
        to,
        days,
        warmupDays,
        target,
        capacityPerInstance: result.capacity,
        policies: figures,
      };
      if (input.frontier)
        report.frontier = await frontier({
          demand: demand.values,
          startTime,
          target,
          warmupDays: defaultWarmupDays(demand.values.length),
        });
      return report;
    },
  };
}

export type BacktestActivities = ReturnType<typeof createBacktestActivities>;
