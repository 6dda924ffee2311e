import type { ExperimentRecord } from '../activities/experiment-types.js';
import type { Db } from './db.js';
import { recordSnapshot } from './progress-snapshots.js';

/** Idempotent: writing the same or an older snapshot again changes nothing. */
export async function recordExperiment(db: Db, e: ExperimentRecord): Promise<void> {
  await recordSnapshot(db, 'experiments', e);
}
