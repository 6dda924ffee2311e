import type { TuningRecord } from '../activities/tuning-types.js';
import type { Db } from './db.js';
import { recordSnapshot } from './progress-snapshots.js';

/** Idempotent: writing the same or an older snapshot again changes nothing. */
export async function recordTuning(db: Db, t: TuningRecord): Promise<void> {
  await recordSnapshot(db, 'tuning_sessions', t);
}
