import type { Db } from './db.js';

export interface AuditEntry {
  requestId: string;
  principalKind: 'key' | 'oidc' | 'agent' | 'anonymous';
  principalId: string | null;
  method: string;
  /** The route's pattern (/v1/resource-sets/:id), not the raw path. */
  route: string;
  target: string | null;
  status: number;
}

export interface AuditRow extends AuditEntry {
  id: string;
  at: string;
}

export async function appendAudit(db: Db, e: AuditEntry): Promise<void> {
  await db.query(
    'INSERT INTO audit_log (request_id, principal_kind, principal_id, method, route, target, status) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [e.requestId, e.principalKind, e.principalId, e.method, e.route, e.target, e.status]);
}

/** Newest first; `before` pages by id. */
export async function listAudit(db: Db, page: { limit: number; before?: string | undefined }): Promise<AuditRow[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT id::text, to_json(at)#>>'{}' AS at, request_id AS "requestId", principal_kind AS "principalKind",
            principal_id AS "principalId", method, route, target, status
       FROM audit_log WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2`,
    [page.before ?? null, page.limit]);
  return rows;
}
