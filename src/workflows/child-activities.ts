import { proxyActivities } from '@temporalio/workflow';
import type { ExperimentActivities } from '../activities/experiment-types.js';
import type { TuningActivities } from '../activities/tuning-types.js';
import type { RolloutActivities } from '../activities/types.js';

/** Quick reads and progress records of the set's children (rollouts, experiments, tuning sessions). */
export const io = proxyActivities<RolloutActivities & ExperimentActivities & TuningActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 10 },
});

/** A judge waits for the window's samples to arrive, heartbeating meanwhile. */
export const judging = proxyActivities<RolloutActivities & ExperimentActivities & TuningActivities>({
  startToCloseTimeout: '3m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 5 },
});
