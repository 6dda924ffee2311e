import { ActivityFailure, ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type {
  CapacityOutcome,
  TrainingActivities,
  TrainNeuralInput,
  TrainNeuralResult,
} from '../activities/training.js';
import type { FleetTarget, MainActivities } from '../activities/types.js';
import { TASK_QUEUES } from '../domain/task-queues.js';

export interface TrainingWorkflowInput {
  resourceSetId: string;
  /** The demand's main season (the resource set's policy.seasonSeconds). */
  seasonSeconds: number;
  /** Default 60: the control loop's demand step, so its forecasts can use the model as is. */
  stepSeconds?: number;
  /** Steps the model forecasts; default 15, enough for the loop's lead time plus two intervals. */
  horizonSteps?: number;
  /** Demand history trained on; default 14 days. */
  historySeconds?: number;
  neural?: TrainNeuralInput['options'];
  /** Relearn per-instance capacity too, from the fleet's current instances' samples. */
  capacity?: {
    sloP95Ms: number;
    fleet: FleetTarget & { instanceType: string };
    /** Default 7 days, the raw samples' retention. */
    windowSeconds?: number;
  };
  /** Tests run the training activities on a queue of their own. */
  forecastTaskQueue?: string;
}

export type NeuralOutcome =
  (TrainNeuralResult & { promotion?: { promoted: boolean; decision: string } }) | { status: 'failed'; error: string };

export interface TrainingWorkflowResult {
  trainingRunId: string;
  neural: NeuralOutcome;
  capacity: CapacityOutcome[] | { status: 'failed'; error: string } | null;
}

const DAY = 86_400;
// Agents push in batches: the newest minutes of demand are still arriving when training starts.
const INGEST_LAG_SECONDS = 300;

const failure = (err: unknown): string =>
  err instanceof ActivityFailure ? `${err.activityType}: ${err.cause?.message ?? err.message}` : String(err);

/**
 * Retrains a resource set's neural forecaster and (optionally) its capacity models; started by a
 * schedule (see src/api/training-schedule.ts). The run id is the idempotency key of everything it stores,
 * so retried activities never register a version twice. A candidate is promoted only when its
 * backtest beats the promoted model and seasonal naive. Neither part waits for the other; the
 * run fails, after both ran, if either failed.
 */
export async function trainingWorkflow(input: TrainingWorkflowInput): Promise<TrainingWorkflowResult> {
  const { workflowId, firstExecutionRunId } = workflowInfo();
  const trainingRunId = `${workflowId}/${firstExecutionRunId}`;
  const asOf = Math.floor(Date.now() / 1000) - INGEST_LAG_SECONDS;
  const stepSeconds = input.stepSeconds ?? 60;
  const training = proxyActivities<TrainingActivities>({
    taskQueue: input.forecastTaskQueue ?? TASK_QUEUES.forecast,
    // An epoch heartbeats; a whole fit on 14 days of minutes takes minutes on two cores.
    startToCloseTimeout: '1h',
    heartbeatTimeout: '2m',
    retry: { initialInterval: '5s', maximumInterval: '1m', maximumAttempts: 3 },
  });
  const light = proxyActivities<MainActivities>({
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', maximumInterval: '20s', maximumAttempts: 5 },
  });

  async function neural(): Promise<NeuralOutcome> {
    const trained = await training.trainNeuralModel({
      resourceSetId: input.resourceSetId,
      trainingRunId,
      asOf,
      stepSeconds,
      historySeconds: input.historySeconds ?? 14 * DAY,
      seasonSteps: Math.max(2, Math.round(input.seasonSeconds / stepSeconds)),
      horizonSteps: input.horizonSteps ?? 15,
      ...(input.neural ? { options: input.neural } : {}),
    });
    if (trained.status !== 'registered') return trained;
    return {
      ...trained,
      promotion: await training.promoteNeuralModel({ resourceSetId: input.resourceSetId, version: trained.version }),
    };
  }

  async function capacity(): Promise<CapacityOutcome[] | null> {
    if (!input.capacity) return null;
    const { fleet, sloP95Ms, windowSeconds = 7 * DAY } = input.capacity;
    const observed = await light.observeFleet({ ...fleet, stepSeconds: 60, historySeconds: 60, loadWindowSeconds: 60 });
    return training.learnCapacity({
      resourceSetId: input.resourceSetId,
      sloP95Ms,
      asOf,
      windowSeconds,
      instances: observed.instances.map((i) => ({ id: i.id, instanceType: i.instanceType })),
    });
  }

  const [n, c] = await Promise.allSettled([neural(), capacity()]);
  const result: TrainingWorkflowResult = {
    trainingRunId,
    neural: n.status === 'fulfilled' ? n.value : { status: 'failed', error: failure(n.reason) },
    capacity: c.status === 'fulfilled' ? c.value : { status: 'failed', error: failure(c.reason) },
  };
  const errors = [n, c].flatMap((r) => (r.status === 'rejected' ? [failure(r.reason)] : []));
  if (errors.length)
    throw ApplicationFailure.nonRetryable(`training failed: ${errors.join('; ')}`, 'TrainingFailed', result);
  return result;
}
