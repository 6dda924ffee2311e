import { type Db, type DbClient, isoText } from './db.js';

/** What a write replaced and what it put in its place; only the fields that differ. */
export interface AuditChange {
  before: unknown;
  after: unknown;
}

export interface AuditEntry {
  requestId: string;
  /** `cli` for keys made or revoked with `prescale keys`, straight in the database. */
  principalKind: 'key' | 'oidc' | 'agent' | 'cli' | 'anonymous';
  principalId: string | null;
  /** The HTTP method, or CLI. */
  method: string;
  /** The route's pattern (/v1/resource-sets/:id), not the raw path; for the CLI, its command. */
  route: string;
  target: string | null;
  /** The resource set acted on, when there is one. */
  resourceSet?: string | null | undefined;
  status: number;
  change?: AuditChange | null | undefined;
}

export interface AuditRow extends AuditEntry {
  id: string;
  at: string;
  resourceSet: string | null;
  change: AuditChange | null;
}

export interface AuditFilter {
  /** Entries older than this id (a page's position). */
  before?: string | undefined;
  /** A principal id as entries show it, or `anonymous`. */
  principal?: string | undefined;
  resourceSet?: string | undefined;
  action?: { method: string; route: string } | undefined;
  /** ISO 8601 instants: since inclusive, until exclusive. */
  since?: string | undefined;
  until?: string | undefined;
}

export async function appendAudit(db: Db | DbClient, e: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (request_id, principal_kind, principal_id, method, route, target, resource_set, status, change)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      e.requestId,
      e.principalKind,
      e.principalId,
      e.method,
      e.route,
      e.target,
      e.resourceSet ?? null,
      e.status,
      e.change ? JSON.stringify(e.change) : null,
    ],
  );
}

/** Newest first, by id (numerically: the text of the ids would put 99 before 139). */
export async function listAudit(db: Db, page: AuditFilter & { limit: number }): Promise<AuditRow[]> {
  const { rows } = await db.query<AuditRow>(
    `SELECT a.id::text AS id, ${isoText('a.at')} AS at, a.request_id AS "requestId", a.principal_kind AS "principalKind",
            a.principal_id AS "principalId", a.method, a.route, a.target, a.resource_set AS "resourceSet", a.status, a.change
       FROM audit_log a
      WHERE ($1::bigint IS NULL OR a.id < $1::bigint)
        AND ($2::text IS NULL OR ($2 = 'anonymous' AND a.principal_kind = 'anonymous') OR a.principal_id = $2)
        AND ($3::text IS NULL OR a.resource_set = $3)
        AND ($4::text IS NULL OR (a.method = $4 AND a.route = $5::text))
        AND ($6::timestamptz IS NULL OR a.at >= $6::timestamptz)
        AND ($7::timestamptz IS NULL OR a.at < $7::timestamptz)
      ORDER BY a.id DESC LIMIT $8`,
    [
      page.before ?? null,
      page.principal ?? null,
      page.resourceSet ?? null,
      page.action?.method ?? null,
      page.action?.route ?? null,
      page.since ?? null,
      page.until ?? null,
      page.limit,
    ],
  );
  return rows;
}
