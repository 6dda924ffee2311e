import { proxyActivities } from '@temporalio/workflow';
import type { BacktestActivities, BacktestDemandInput, BacktestReport } from '../activities/backtest.js';
import { TASK_QUEUES } from '../domain/task-queues.js';

const { backtestDemand } = proxyActivities<BacktestActivities>({
  taskQueue: TASK_QUEUES.forecast,
  startToCloseTimeout: '10m',
  retry: { maximumAttempts: 3 },
});

/**
 * One backtest of a resource set's recorded demand, on the forecast queue: the API waits for it
 * without computing it, and identical requests (same set, window and target) join one run.
 */
export async function backtestWorkflow(input: BacktestDemandInput): Promise<BacktestReport> {
  return backtestDemand(input);
}
