import type { ExperimentRecord } from '../activities/experiment-types.js';
import type { Db } from './db.js';
import { listSnapshots, recordSnapshot } from './progress-snapshots.js';

/** Idempotent: writing the same or an older snapshot again changes nothing. */
export async function recordExperiment(db: Db, e: ExperimentRecord): Promise<void> {
  await recordSnapshot(db, 'experiments', e);
}

/** The experiments' latest progress, newest first; with `id`, that one only. */
export async function listExperiments(db: Db, resourceSetId: string, options: { limit: number; id?: string }): Promise<unknown[]> {
  return listSnapshots(db, 'experiments', resourceSetId, options);
}
