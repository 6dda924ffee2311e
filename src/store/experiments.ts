import type { Db } from './db.js';
import { recordSnapshot, type ProgressSnapshot } from './progress-snapshots.js';

/** Idempotent: writing the same or an older snapshot again changes nothing. */
export async function recordExperiment(db: Db, e: ProgressSnapshot): Promise<void> {
  await recordSnapshot(db, 'experiments', e);
}
