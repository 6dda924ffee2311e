import { Context } from '@temporalio/activity';
import { neuralArtifactPrefix, modelJsonKey, objectStoreIO } from '../store/neural-artifacts.js';
import { backtest, heldOutSteps, tailOrigins, type BacktestScores } from '../forecast/neural-backtest.js';
import { NeuralInputError, trainNeural, type NeuralModel, type NeuralTrainingOptions } from '../forecast/neural.js';
import { seasonalNaive } from '../forecast/seasonal-naive.js';
import { fitCapacity, type CapacityFit } from '../planner/capacity-model.js';
import { loadLatencyPoints, saveCapacityModel, type InstanceLoadPoint } from '../store/capacity.js';
import type { Db } from '../store/db.js';
import { demandSeries } from '../store/metrics.js';
import { demandRate } from '../forecast/series.js';
import {
  loadNeuralVersion,
  modelVersionForRun,
  promotedModelVersion,
  promoteIfBetter,
  registerModelVersion,
  reserveModelVersion,
  type ModelBacktest,
} from '../store/models.js';
import type { ObjectStore } from '../store/objects/contract.js';

export interface TrainingDeps {
  db: Db;
  objects: ObjectStore;
}

export interface TrainNeuralInput {
  resourceSetId: string;
  /** Idempotency key: a retry (or a second call) with the same id returns the version the first built. */
  trainingRunId: string;
  /** Epoch seconds: the history ends here. Fixed by the workflow, so every retry sees the same data. */
  asOf: number;
  historySeconds: number;
  stepSeconds: number;
  seasonSteps: number;
  horizonSteps: number;
  /** Smaller nets and fewer epochs for tests; the defaults otherwise. */
  options?: Partial<Omit<NeuralTrainingOptions, 'onEpoch'>>;
}

export type TrainNeuralResult =
  | { status: 'registered'; version: number; score: number; backtest: ModelBacktest }
  | { status: 'skipped'; reason: string };

export interface LearnCapacityInput {
  resourceSetId: string;
  sloP95Ms: number;
  /** Epoch seconds; samples in [asOf − windowSeconds, asOf) are used. */
  asOf: number;
  windowSeconds: number;
  /** The instances whose samples count, with their types (the provider knows them, samples do not). */
  instances: { id: string; instanceType: string }[];
}

export interface CapacityOutcome {
  instanceType: string;
  configVersion: string;
  fit: CapacityFit;
}

/** Scores the promoted model on the candidate's tail; null scores when it cannot forecast it. */
async function incumbentScores(
  deps: TrainingDeps,
  resourceSetId: string,
  score: (model: NeuralModel) => BacktestScores,
): Promise<ModelBacktest['incumbent']> {
  const promoted = await promotedModelVersion(deps.db, resourceSetId, 'neural');
  if (!promoted) return null;
  const model = await loadNeuralVersion(deps.objects, resourceSetId, promoted.version, promoted.artifactKey);
  try {
    return { version: promoted.version, scores: score(model) };
  } catch (err) {
    if (err instanceof NeuralInputError) return { version: promoted.version, scores: null };
    throw err;
  }
}

/**
 * Activities of the model training workflow, on the `forecast` queue: training is CPU-bound.
 * Each is idempotent: a retry finds what the first attempt stored and does not store it twice.
 */
export function createTrainingActivities(deps: TrainingDeps) {
  return {
    /**
     * Trains a neural candidate on the history minus its latest season, backtests it on that
     * season against seasonal naive and the promoted model, stores its artifacts and registers it.
     */
    async trainNeuralModel(input: TrainNeuralInput): Promise<TrainNeuralResult> {
      const { resourceSetId, trainingRunId, stepSeconds, seasonSteps, horizonSteps } = input;
      const done = await modelVersionForRun(deps.db, resourceSetId, 'neural', trainingRunId);
      if (done) return { status: 'registered', version: done.version, score: done.score, backtest: done.backtest };

      const series = demandRate(
        await demandSeries(deps.db, resourceSetId, {
          from: input.asOf - input.historySeconds,
          to: input.asOf,
          stepSeconds,
        }),
      );
      const n = series.values.length;
      const tailSteps = heldOutSteps(n, seasonSteps);
      const origins = tailOrigins(n, tailSteps, horizonSteps);
      if (origins.length === 0)
        return { status: 'skipped', reason: `${n} steps of demand history are too few to hold out a backtest` };

      const ctx = Context.current();
      let model: NeuralModel;
      try {
        model = await trainNeural(
          { ...series, values: series.values.slice(0, n - tailSteps) },
          {
            ...input.options,
            seasonSteps,
            horizonSteps,
            onEpoch: (progress) => {
              ctx.heartbeat(progress);
              ctx.cancellationSignal.throwIfAborted();
            },
          },
        );
      } catch (err) {
        if (err instanceof NeuralInputError) return { status: 'skipped', reason: err.message };
        throw err;
      }
      try {
        const score = (m: NeuralModel): BacktestScores =>
          backtest(series, origins, horizonSteps, seasonSteps, (h, k) => m.predict(h, k));
        const result: ModelBacktest = {
          tailSteps,
          horizonSteps,
          candidate: score(model),
          naive: backtest(series, origins, horizonSteps, seasonSteps, (h, k) => seasonalNaive(h, k, seasonSteps)),
          incumbent: await incumbentScores(deps, resourceSetId, score),
        };
        // Reserved only now, so a run that trains nothing leaves no gap in the version numbers.
        const version = await reserveModelVersion(deps.db, { resourceSetId, kind: 'neural', trainingRunId });
        const prefix = neuralArtifactPrefix(resourceSetId, version);
        await model.save(objectStoreIO(deps.objects, prefix));
        const registered = await registerModelVersion(deps.db, {
          resourceSetId,
          kind: 'neural',
          version,
          trainingRunId,
          artifactKey: modelJsonKey(prefix),
          backtest: result,
        });
        return { status: 'registered', version, score: registered.score, backtest: registered.backtest };
      } finally {
        model.dispose();
      }
    },

    /** Promotes the version if its backtest beats the promoted one; the registry decides once, atomically. */
    async promoteNeuralModel(input: {
      resourceSetId: string;
      version: number;
    }): Promise<{ promoted: boolean; decision: string }> {
      return promoteIfBetter(deps.db, input.resourceSetId, 'neural', input.version);
    },

    /** Fits and stores one capacity model per (instance type, configuration) seen in the window. */
    async learnCapacity(input: LearnCapacityInput): Promise<CapacityOutcome[]> {
      const typeOf = new Map(input.instances.map((i) => [i.id, i.instanceType]));
      const points = await loadLatencyPoints(deps.db, input.resourceSetId, [...typeOf.keys()], {
        from: input.asOf - input.windowSeconds,
        to: input.asOf,
      });
      const groups = new Map<string, { instanceType: string; configVersion: string; points: InstanceLoadPoint[] }>();
      for (const p of points) {
        const instanceType = typeOf.get(p.instanceId)!;
        const key = JSON.stringify([instanceType, p.configVersion]);
        const group = groups.get(key) ?? { instanceType, configVersion: p.configVersion, points: [] };
        group.points.push(p);
        groups.set(key, group);
      }
      const outcomes: CapacityOutcome[] = [];
      for (const { instanceType, configVersion, points: groupPoints } of groups.values()) {
        const fit = fitCapacity(groupPoints, { sloP95Ms: input.sloP95Ms });
        const lastMinute = groupPoints.reduce((latest, p) => Math.max(latest, p.minute), -Infinity);
        await saveCapacityModel(deps.db, {
          resourceSetId: input.resourceSetId,
          instanceType,
          configVersion,
          sloP95Ms: input.sloP95Ms,
          fit,
          lastSampleAt: new Date(lastMinute * 1000).toISOString(),
        });
        outcomes.push({ instanceType, configVersion, fit });
      }
      return outcomes;
    },
  };
}

export type TrainingActivities = ReturnType<typeof createTrainingActivities>;
