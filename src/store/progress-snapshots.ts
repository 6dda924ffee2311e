import type { Db } from './db.js';

/** Tables keeping one row per child workflow (an experiment, a tuning session): its latest progress. */
export type SnapshotTable = 'experiments' | 'tuning_sessions';
/** Those and the rollouts' table, which keeps its rows' kind besides (store/rollouts.ts): all read alike. */
export type ProgressTable = SnapshotTable | 'rollouts';

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
    [e.id, e.resourceSetId, e.status, e.seq, JSON.stringify(e.progress), e.startedAt],
  );
}

/** Where a page of snapshots ends: its last row's start (as Postgres prints it, to the microsecond) and id. */
export interface SnapshotPosition {
  startedAt: string;
  id: string;
}

/** The latest progress of a set's workflows, newest first, after `before` when given; with `id`, that one only. */
export async function listSnapshots(
  db: Db,
  table: ProgressTable,
  resourceSetId: string,
  options: { limit: number; id?: string; before?: SnapshotPosition | undefined },
): Promise<(SnapshotPosition & { progress: unknown })[]> {
  const { rows } = await db.query<SnapshotPosition & { progress: unknown }>(
    `SELECT id, started_at::text AS "startedAt", progress FROM ${table}
      WHERE resource_set_id = $1 AND ($2::text IS NULL OR id = $2)
        AND ($3::timestamptz IS NULL OR (started_at, id) < ($3::timestamptz, $4::text))
      ORDER BY started_at DESC, id DESC LIMIT $5`,
    [resourceSetId, options.id ?? null, options.before?.startedAt ?? null, options.before?.id ?? null, options.limit],
  );
  return rows;
}
