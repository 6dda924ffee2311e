import { type Db, isoText } from './db.js';

export interface RolloutRecord {
  id: string;
  resourceSetId: string;
  kind: string;
  status: string;
  /** Orders the snapshots of one rollout; an older one never replaces a newer one. */
  seq: number;
  /** ISO 8601. */
  startedAt: string;
  progress: unknown;
}

/** Idempotent: writing the same or an older snapshot again changes nothing. */
export async function recordRollout(db: Db, r: RolloutRecord): Promise<void> {
  await db.query(
    `INSERT INTO rollouts AS r (id, resource_set_id, kind, status, seq, progress, started_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO UPDATE SET status = EXCLUDED.status, seq = EXCLUDED.seq, progress = EXCLUDED.progress, updated_at = now()
       WHERE r.seq < EXCLUDED.seq`,
    [r.id, r.resourceSetId, r.kind, r.status, r.seq, JSON.stringify(r.progress), r.startedAt],
  );
}

/** Newest first. */
export async function listRollouts(db: Db, resourceSetId: string, limit: number): Promise<RolloutRecord[]> {
  const { rows } = await db.query<RolloutRecord>(
    `SELECT id, resource_set_id AS "resourceSetId", kind, status, seq, ${isoText('started_at')} AS "startedAt", progress
       FROM rollouts WHERE resource_set_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2`,
    [resourceSetId, limit],
  );
  return rows;
}
