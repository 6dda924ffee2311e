import type { Db } from '../store/db.js';
import { recordExperiment } from '../store/experiments.js';
import { judgeExperiment } from './experiment-analysis.js';
import type { ExperimentActivities } from './experiment-types.js';
import { windowStats } from './window-samples.js';

export function createExperimentActivities(deps: { db: Db; pollMs?: number }): ExperimentActivities {
  const pollMs = deps.pollMs ?? 2_000;
  return {
    async judgeExperiment(input) {
      return judgeExperiment(
        await windowStats(deps.db, input.resourceSetId, [...input.a, ...input.b], input, pollMs),
        input,
      );
    },
    async recordExperiment(record) {
      await recordExperiment(deps.db, record);
    },
  };
}
