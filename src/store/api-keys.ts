import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { generateApiKey } from '../auth/api-key.js';
import type { Role } from '../auth/principal.js';
import { appendAudit, type AuditChange } from './audit.js';
import { type Db, inTransaction, isoText } from './db.js';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

export interface ApiKeySpec {
  role: Role;
  /** Resource set ids; absent means every set. */
  scopes?: string[] | undefined;
  name?: string | undefined;
}

export interface ApiKeyRow {
  id: string;
  name: string;
  role: Role;
  scopes: string[] | null;
  createdAt: string;
  createdBy: string | null;
  revokedAt: string | null;
  rotatedFrom: string | null;
}

export interface StoredSecret {
  role: Role;
  scopes: string[] | null;
  salt: Buffer;
  hash: Buffer;
}

const columns = `id, name, role, scopes, ${isoText('created_at')} AS "createdAt", created_by AS "createdBy",
  ${isoText('revoked_at')} AS "revokedAt", rotated_from AS "rotatedFrom"`;

// A rotated key stays usable until its revocation time, which rotation may set in the future.
const ACTIVE = '(revoked_at IS NULL OR revoked_at > now())';

/** Stores a new key and returns its row with the whole key, which exists nowhere else. */
export async function createApiKey(
  db: Queryable,
  spec: ApiKeySpec,
  createdBy: string | null,
  rotatedFrom?: string,
): Promise<ApiKeyRow & { key: string }> {
  const generated = generateApiKey();
  const { rows } = await db.query<ApiKeyRow>(
    `INSERT INTO api_keys (id, name, role, scopes, salt, hash, created_by, rotated_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     RETURNING ${columns}`,
    [
      generated.id,
      spec.name ?? '',
      spec.role,
      spec.scopes ?? null,
      generated.salt,
      generated.hash,
      createdBy,
      rotatedFrom ?? null,
    ],
  );
  return { ...rows[0]!, key: generated.key };
}

/** The secret material of an active key (a rotated one until its overlap ends); revoked and unknown keys are both absent. */
export async function activeKeySecret(db: Queryable, id: string): Promise<StoredSecret | undefined> {
  const { rows } = await db.query<StoredSecret>(
    `SELECT role, scopes, salt, hash FROM api_keys WHERE id = $1 AND ${ACTIVE}`,
    [id],
  );
  return rows[0];
}

export async function getApiKey(db: Queryable, id: string): Promise<ApiKeyRow | undefined> {
  const { rows } = await db.query<ApiKeyRow>(`SELECT ${columns} FROM api_keys WHERE id = $1`, [id]);
  return rows[0];
}

export async function listApiKeys(
  db: Queryable,
  page: { limit: number; after?: string | undefined; includeRevoked: boolean },
): Promise<ApiKeyRow[]> {
  const { rows } = await db.query<ApiKeyRow>(
    `SELECT ${columns} FROM api_keys WHERE ($1::text IS NULL OR id > $1) AND ($2 OR ${ACTIVE}) ORDER BY id LIMIT $3`,
    [page.after ?? null, page.includeRevoked, page.limit],
  );
  return rows;
}

/** Revokes a key now, ending a rotation's overlap too (a no-op for one already revoked: `change` is null); undefined when there is no such key. */
export async function revokeApiKey(
  db: Queryable,
  id: string,
): Promise<{ row: ApiKeyRow; change: AuditChange | null } | undefined> {
  const before = await getApiKey(db, id);
  const { rowCount } = await db.query(`UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND ${ACTIVE}`, [id]);
  const row = await getApiKey(db, id);
  return (
    row && {
      row,
      change: rowCount
        ? { before: { revokedAt: before?.revokedAt ?? null }, after: { revokedAt: row.revokedAt } }
        : null,
    }
  );
}

/** The audit log's record of a key made: everything about it but the secret, which is kept nowhere. */
export const keyCreated = ({ key: _secret, ...row }: ApiKeyRow & { key?: string }): AuditChange => ({
  before: null,
  after: row,
});

export type RotateOutcome =
  | { outcome: 'rotated'; key: ApiKeyRow & { key: string }; old: ApiKeyRow; oldRevokedAt: string }
  | { outcome: 'missing' }
  | { outcome: 'revoked' };

/**
 * A new key with the old one's role, scopes and name; in the same transaction the old one is set
 * to be revoked `overlapSeconds` from now (at once with 0), so its users can switch meanwhile. A
 * key already in an overlap may be rotated again: its revocation only comes sooner, never later.
 */
export function rotateApiKey(
  db: Db,
  id: string,
  rotatedBy: string | null,
  overlapSeconds: number,
): Promise<RotateOutcome> {
  return inTransaction(db, (tx) => rotateApiKeyWithin(tx, id, rotatedBy, overlapSeconds));
}

/** `rotateApiKey` inside a transaction the caller holds (and may write its audit row in). */
export async function rotateApiKeyWithin(
  tx: Queryable,
  id: string,
  rotatedBy: string | null,
  overlapSeconds: number,
): Promise<RotateOutcome> {
  const { rows } = await tx.query<ApiKeyRow & { active: boolean }>(
    `SELECT ${columns}, ${ACTIVE} AS active FROM api_keys WHERE id = $1 FOR UPDATE`,
    [id],
  );
  if (!rows[0]) return { outcome: 'missing' };
  const { active, ...old } = rows[0];
  if (!active) return { outcome: 'revoked' };
  const {
    rows: [ends],
  } = await tx.query<{ revokedAt: string }>(
    `UPDATE api_keys SET revoked_at = LEAST(revoked_at, now() + make_interval(secs => $2)) WHERE id = $1 RETURNING ${isoText('revoked_at')} AS "revokedAt"`,
    [id, overlapSeconds],
  );
  const key = await createApiKey(
    tx,
    { role: old.role, scopes: old.scopes ?? undefined, name: old.name },
    rotatedBy,
    id,
  );
  return { outcome: 'rotated', key, old, oldRevokedAt: ends!.revokedAt };
}

/** The audit log's record of a rotation: the old key before, the new one (no secret) and until when the old one works after. */
export function keyRotated({
  key: { key: _secret, ...replacement },
  old,
  oldRevokedAt,
}: Extract<RotateOutcome, { outcome: 'rotated' }>): AuditChange {
  return { before: old, after: { ...replacement, replaces: { id: old.id, revokedAt: oldRevokedAt } } };
}

// Any constant works as long as every Prescale process uses the same one.
const FIRST_KEY_LOCK = 7_297_401_338;

/**
 * Creates an admin key when no active key exists, so a fresh installation can be used at all;
 * concurrent starters queue on a lock and only the first creates one. Returns the new key.
 */
export async function ensureFirstAdminKey(db: Db): Promise<string | undefined> {
  return inTransaction(db, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [FIRST_KEY_LOCK]);
    const { rows } = await tx.query(`SELECT 1 FROM api_keys WHERE ${ACTIVE} LIMIT 1`);
    if (rows.length) return undefined;
    const made = await createApiKey(tx, { role: 'admin', name: 'first admin key' }, 'cli:prescale start');
    await appendAudit(tx, {
      requestId: randomUUID(),
      principalKind: 'cli',
      principalId: 'cli:prescale start',
      method: 'CLI',
      route: 'keys create',
      target: made.id,
      status: 201,
      change: keyCreated(made),
    });
    return made.key;
  });
}
