import { fileURLToPath } from 'node:url';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createForecastActivities } from '../activities/forecast.js';
import { TASK_QUEUES } from '../config.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export type QueueName = keyof typeof TASK_QUEUES;

/**
 * The activities each queue serves. `main` runs workflows and light I/O activities; `forecast`
 * runs CPU-heavy fits on their own queue so a slow fit never delays a workflow task.
 * The control loop's activities are registered here as they land.
 */
export function activitiesFor(queue: QueueName): Record<string, (...args: never[]) => Promise<unknown>> {
  switch (queue) {
    case 'main': return {};
    case 'forecast': return createForecastActivities();
  }
}

export async function createWorker(options: {
  connection: NativeConnection; namespace: string; queue: QueueName; identity?: string;
  /** Tests run on their own task queues; production uses the queue's standard name. */
  taskQueue?: string;
}): Promise<Worker> {
  const { connection, namespace, queue } = options;
  return Worker.create({
    connection, namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUES[queue],
    ...(queue === 'main' ? { workflowsPath: WORKFLOWS_PATH } : {}),
    activities: activitiesFor(queue),
    ...(queue === 'forecast' ? { maxConcurrentActivityTaskExecutions: 2 } : {}),
    // In-flight activities get this long to finish on shutdown before they are cancelled.
    shutdownGraceTime: '10s',
    ...(options.identity ? { identity: options.identity } : {}),
  });
}
