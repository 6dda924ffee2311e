import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createExperimentActivities } from '../activities/experiment.js';
import { createBacktestActivities } from '../activities/backtest.js';
import { createFleetActivities, type FleetDeps } from '../activities/fleet.js';
import { createForecastActivities, type ForecastActivities } from '../activities/forecast.js';
import { createRecommendActivities } from '../activities/recommend.js';
import { createRolloutActivities, type RolloutDeps } from '../activities/rollout.js';
import { createTrainingActivities, type TrainingDeps } from '../activities/training.js';
import { createTuningActivities } from '../activities/tuning.js';
import { TASK_QUEUES } from '../domain/task-queues.js';
import { activityFailureInterceptor } from '../observability/activity-metrics.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export type QueueName = keyof typeof TASK_QUEUES;

/** What the activities need from the world, wired by the composition root. */
export type ActivityDeps = FleetDeps &
  RolloutDeps &
  TrainingDeps & {
    /** Resource sets whose forecaster a worker process keeps between calls (default 1,024); a miss costs a cold start. */
    forecastCacheSeries?: number;
    /** Workflows a main worker keeps in memory (default: the SDK's, from the heap size); an evicted loop replays its history at every iteration. */
    workflowCacheSize?: number;
  };

/** One forecaster cache per process: both queues' workers of a process forecast from it. */
const forecasters = new WeakMap<ActivityDeps, ForecastActivities>();
function forecastActivities(deps: ActivityDeps): ForecastActivities {
  let kept = forecasters.get(deps);
  if (!kept) {
    kept = createForecastActivities(deps, deps.forecastCacheSeries ? { maxSeries: deps.forecastCacheSeries } : {});
    forecasters.set(deps, kept);
  }
  return kept;
}

/**
 * The activities each queue serves. `main` runs workflows, light I/O activities and the loop's
 * routine forecast (a local activity); `forecast` runs training and backtests — CPU-heavy work
 * on its own queue so a long fit never delays a workflow task — and the forecast of loops started
 * before it became local.
 */
function activitiesFor(queue: QueueName, deps: ActivityDeps): object {
  switch (queue) {
    case 'main':
      return {
        ...forecastActivities(deps),
        ...createFleetActivities(deps),
        ...createRolloutActivities(deps),
        ...createExperimentActivities(deps),
        ...createRecommendActivities(deps),
        ...createTuningActivities(deps),
      };
    case 'forecast':
      return {
        ...forecastActivities(deps),
        ...createTrainingActivities(deps),
        ...createBacktestActivities(deps),
      };
  }
}

export async function createWorker(options: {
  connection: NativeConnection;
  namespace: string;
  queue: QueueName;
  deps: ActivityDeps;
  identity?: string;
  /** Tests run on their own task queues; production uses the queue's standard name. */
  taskQueue?: string;
}): Promise<Worker> {
  const { connection, namespace, queue } = options;
  return Worker.create({
    connection,
    namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUES[queue],
    ...(queue === 'main' ? { workflowsPath: WORKFLOWS_PATH } : {}),
    ...(queue === 'main' && options.deps.workflowCacheSize
      ? { maxCachedWorkflows: options.deps.workflowCacheSize }
      : {}),
    activities: activitiesFor(queue, options.deps),
    // A steady forecast is a few ms of CPU between two round trips (the store, the server): slots
    // overlap those waits. Fits are CPU-bound and run one at a time on the thread whatever the slots.
    ...(queue === 'forecast' ? { maxConcurrentActivityTaskExecutions: 8 } : {}),
    ...(options.deps.metrics ? { interceptors: { activity: [activityFailureInterceptor(options.deps.metrics)] } } : {}),
    // In-flight activities get this long to finish on shutdown before they are cancelled.
    shutdownGraceTime: '10s',
    ...(options.identity ? { identity: options.identity } : {}),
  });
}
