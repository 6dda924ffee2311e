import type { Db } from './db.js';
import { recordSnapshot, type ProgressSnapshot } from './progress-snapshots.js';

/** Idempotent: writing the same or an older snapshot again changes nothing. */
export async function recordTuning(db: Db, t: ProgressSnapshot): Promise<void> {
  await recordSnapshot(db, 'tuning_sessions', t);
}
