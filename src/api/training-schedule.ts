// The API keeps a resource set's training schedule in step with its spec, through the Temporal
// client it is handed. Its errors are recognised by name, which the SDK sets on them for exactly
// this (cross-realm) use, so only the client's types are imported here.
import type { Client, ScheduleOptionsStartWorkflowAction, ScheduleSpec } from '@temporalio/client';
import type { ResourceSetSpec } from '../domain/resource-set.js';
import { TASK_QUEUES } from '../domain/task-queues.js';
import type { trainingWorkflow, TrainingWorkflowInput } from '../workflows/training.js';

export const trainingScheduleId = (resourceSetId: string): string => `train-${resourceSetId}`;

export interface TrainingScheduleOptions {
  /** The workflow's input without the resource set id. */
  input: Omit<TrainingWorkflowInput, 'resourceSetId'>;
  /** How often; default a day. Any `ms` duration: "24h", "6h". */
  every?: string;
  /** Random delay per run, so many resource sets do not all train at the same minute; default 30 minutes. */
  jitter?: string;
  /** The queue the workflow runs on; default the main queue. */
  taskQueue?: string;
  /** Start a run now as well (only when the schedule is created). */
  triggerImmediately?: boolean;
}

function definition(
  resourceSetId: string,
  options: TrainingScheduleOptions,
): {
  spec: ScheduleSpec;
  action: ScheduleOptionsStartWorkflowAction<typeof trainingWorkflow>;
} {
  return {
    spec: { intervals: [{ every: options.every ?? '24h' }], jitter: options.jitter ?? '30m' },
    action: {
      type: 'startWorkflow',
      workflowType: 'trainingWorkflow',
      // The schedule appends each run's time, so run ids stay unique and name their resource set.
      workflowId: trainingScheduleId(resourceSetId),
      taskQueue: options.taskQueue ?? TASK_QUEUES.main,
      args: [{ ...options.input, resourceSetId }],
    },
  };
}

// A run still training when the next is due makes the next one pointless; a missed run (server
// down) is worth catching up within the hour, not days later.
const POLICIES = { overlap: 'SKIP', catchupWindow: '1h' } as const;

/**
 * Creates the resource set's training schedule, or brings an existing one up to date with these
 * options (a changed season, SLO or period). Safe to call on every start and every policy change.
 */
export async function ensureTrainingSchedule(
  client: Client,
  resourceSetId: string,
  options: TrainingScheduleOptions,
): Promise<void> {
  const scheduleId = trainingScheduleId(resourceSetId);
  const { spec, action } = definition(resourceSetId, options);
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      policies: POLICIES,
      ...(options.triggerImmediately ? { state: { triggerImmediately: true } } : {}),
    });
  } catch (err) {
    if ((err as Error | undefined)?.name !== 'ScheduleAlreadyRunning') throw err;
    await client.schedule
      .getHandle(scheduleId)
      .update((previous) => ({ ...previous, spec, action, policies: POLICIES }));
  }
}

/** Removes the schedule; removing one that does not exist is not an error. Runs in progress finish. */
export async function deleteTrainingSchedule(client: Client, resourceSetId: string): Promise<void> {
  try {
    await client.schedule.getHandle(trainingScheduleId(resourceSetId)).delete();
  } catch (err) {
    if ((err as Error | undefined)?.name !== 'ScheduleNotFoundError') throw err;
  }
}

/** The schedule a resource set's spec calls for: its season, lead window, SLO and fleet. */
export function trainingScheduleFor(spec: ResourceSetSpec, instanceType: string): TrainingScheduleOptions {
  const { policy } = spec;
  const seasonSteps = Math.floor(policy.seasonSeconds / 60);
  return {
    input: {
      seasonSeconds: policy.seasonSeconds,
      horizonSteps: Math.max(
        1,
        Math.min(seasonSteps, Math.ceil((policy.leadTimeSeconds + 2 * policy.intervalSeconds) / 60) + 1),
      ),
      capacity: {
        sloP95Ms: spec.slo.latencyP95Ms,
        fleet: { resourceSetId: spec.id, provider: spec.provider, providerRef: spec.providerRef, instanceType },
      },
    },
  };
}
