import type { Db } from './db.js';

/** Tables keeping one row per child workflow (an experiment, a tuning session): its latest progress. */
export type SnapshotTable = 'experiments' | 'tuning_sessions';

export interface ProgressSnapshot {
  id: string;
  resourceSetId: string;
  status: string;
  /** Orders the snapshots of one workflow; an older one never replaces a newer one. */
  seq: number;
  /** ISO 8601. */
  startedAt: string;
  progress: unknown;
}

/** Idempotent: writing the same or an older snapshot again changes nothing. */
export async function recordSnapshot(db: Db, table: SnapshotTable, e: ProgressSnapshot): Promise<void> {
  await db.query(
    `INSERT INTO ${table} AS e (id, resource_set_id, status, seq, progress, started_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, seq = EXCLUDED.seq, progress = EXCLUDED.progress, updated_at = now()
       WHERE e.seq < EXCLUDED.seq`,
    [e.id, e.resourceSetId, e.status, e.seq, JSON.stringify(e.progress), e.startedAt]);
}

/** The latest progress of a set's workflows, newest first; with `id`, that one only. */
export async function listSnapshots(db: Db, table: SnapshotTable, resourceSetId: string, options: { limit: number; id?: string }): Promise<unknown[]> {
  const { rows } = await db.query<{ progress: unknown }>(
    `SELECT progress FROM ${table} WHERE resource_set_id = $1 AND ($2::text IS NULL OR id = $2)
      ORDER BY started_at DESC, id DESC LIMIT $3`,
    [resourceSetId, options.id ?? null, options.limit]);
  return rows.map((r) => r.progress);
}
