import type { TuningRecord } from '../activities/tuning-types.js';
import type { Db } from './db.js';
import { listSnapshots, recordSnapshot } from './progress-snapshots.js';

/** Idempotent: writing the same or an older snapshot again changes nothing. */
export async function recordTuning(db: Db, t: TuningRecord): Promise<void> {
  await recordSnapshot(db, 'tuning_sessions', t);
}

/** The sessions' latest progress (every trial with its parameters, p95 and verdict), newest first; with `id`, that one only. */
export async function listTuningSessions(db: Db, resourceSetId: string, options: { limit: number; id?: string }): Promise<unknown[]> {
  return listSnapshots(db, 'tuning_sessions', resourceSetId, options);
}
