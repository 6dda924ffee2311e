import type { Recommendation } from '../config/recommend/policy.js';
import { type Db, isoText } from './db.js';

export type RecommendationStatus = 'open' | 'applied' | 'superseded';

export interface RecommendationRow {
  id: number;
  resourceSetId: string;
  /** The configuration revision running when it was made: what it is a change to. */
  baseRevision: number;
  kind: Recommendation['kind'];
  proposal: Recommendation;
  expectedGain: number;
  reason: string;
  status: RecommendationStatus;
  /** The template version it became, once applied. */
  template: string | null;
  version: number | null;
  createdAt: string;
  updatedAt: string;
  appliedAt: string | null;
}

const COLUMNS = `id, resource_set_id AS "resourceSetId", base_revision AS "baseRevision", kind, proposal, expected_gain AS "expectedGain",
  proposal->>'reason' AS reason, status, template, version, ${isoText('created_at')} AS "createdAt",
  ${isoText('updated_at')} AS "updatedAt", ${isoText('applied_at')} AS "appliedAt"`;

/**
 * Records a proposal, or refreshes its gain and reason when the same one was made before; open
 * proposals made against another revision are superseded, since that revision no longer runs.
 */
export async function recordRecommendation(
  db: Db,
  r: { resourceSetId: string; fingerprint: string; baseRevision: number; recommendation: Recommendation },
): Promise<RecommendationRow> {
  await db.query(
    `UPDATE recommendations SET status = 'superseded', updated_at = now()
                   WHERE resource_set_id = $1 AND status = 'open' AND base_revision <> $2`,
    [r.resourceSetId, r.baseRevision],
  );
  const { rows } = await db.query<RecommendationRow>(
    `INSERT INTO recommendations AS r (resource_set_id, fingerprint, base_revision, kind, proposal, expected_gain)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (resource_set_id, fingerprint) DO UPDATE SET proposal = EXCLUDED.proposal, expected_gain = EXCLUDED.expected_gain, updated_at = now()
     RETURNING ${COLUMNS}`,
    [
      r.resourceSetId,
      r.fingerprint,
      r.baseRevision,
      r.recommendation.kind,
      JSON.stringify(r.recommendation),
      r.recommendation.expectedGain,
    ],
  );
  return rows[0]!;
}

/** Newest first. */
export async function listRecommendations(
  db: Db,
  resourceSetId: string,
  options: { limit: number; status?: RecommendationStatus },
): Promise<RecommendationRow[]> {
  const { rows } = await db.query<RecommendationRow>(
    `SELECT ${COLUMNS} FROM recommendations WHERE resource_set_id = $1 AND ($2::text IS NULL OR status = $2)
      ORDER BY created_at DESC, id DESC LIMIT $3`,
    [resourceSetId, options.status ?? null, options.limit],
  );
  return rows;
}

export async function getRecommendation(
  db: Db,
  resourceSetId: string,
  id: number,
): Promise<RecommendationRow | undefined> {
  const { rows } = await db.query<RecommendationRow>(
    `SELECT ${COLUMNS} FROM recommendations WHERE resource_set_id = $1 AND id = $2`,
    [resourceSetId, id],
  );
  return rows[0];
}

/** Marks it applied as the given template version; false when it was no longer open (applied by someone else). */
export async function markApplied(
  db: Db,
  id: number,
  applied: { template: string; version: number },
): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE recommendations SET status = 'applied', template = $2, version = $3, applied_at = now(), updated_at = now()
      WHERE id = $1 AND status = 'open'`,
    [id, applied.template, applied.version],
  );
  return (rowCount ?? 0) > 0;
}
