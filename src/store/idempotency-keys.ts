import type { Db } from './db.js';

export interface IdempotencyKey {
  principal: string;
  key: string;
  /** Method and path, e.g. `POST /v1/resource-sets/web/rollback`. */
  route: string;
  bodyHash: string;
}

/** What was stored of a response: enough to send it again. */
export interface StoredResponse {
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Claim =
  | { outcome: 'claimed' }
  | { outcome: 'replay'; status: number; response: StoredResponse }
  | { outcome: 'in-flight' }
  | { outcome: 'mismatch'; route: string };

// A claim whose request never finished (its process died) stops blocking the key after this.
const ABANDONED = "interval '5 minutes'";

/**
 * Claims a key for a request, or says what became of the request that claimed it: answered
 * (replay it), still running, or a different request (another route or body) under the same key.
 */
export async function claimIdempotencyKey(db: Db, k: IdempotencyKey): Promise<Claim> {
  await db.query("DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'");
  const { rowCount } = await db.query(
    `INSERT INTO idempotency_keys (principal, key, route, body_hash) VALUES ($1, $2, $3, $4)
     ON CONFLICT (principal, key) DO UPDATE SET route = EXCLUDED.route, body_hash = EXCLUDED.body_hash, created_at = now()
     WHERE idempotency_keys.status IS NULL AND idempotency_keys.created_at < now() - ${ABANDONED}`,
    [k.principal, k.key, k.route, k.bodyHash],
  );
  if (rowCount) return { outcome: 'claimed' };
  const {
    rows: [row],
  } = await db.query<{ route: string; bodyHash: string; status: number | null; response: StoredResponse | null }>(
    'SELECT route, body_hash AS "bodyHash", status, response FROM idempotency_keys WHERE principal = $1 AND key = $2',
    [k.principal, k.key],
  );
  // Released between the two statements: the key is free again.
  if (!row) return claimIdempotencyKey(db, k);
  if (row.route !== k.route || row.bodyHash !== k.bodyHash) return { outcome: 'mismatch', route: row.route };
  if (row.status === null) return { outcome: 'in-flight' };
  return { outcome: 'replay', status: row.status, response: row.response ?? {} };
}

export async function storeIdempotentResponse(
  db: Db,
  k: Pick<IdempotencyKey, 'principal' | 'key'>,
  status: number,
  response: StoredResponse,
): Promise<void> {
  await db.query('UPDATE idempotency_keys SET status = $3, response = $4 WHERE principal = $1 AND key = $2', [
    k.principal,
    k.key,
    status,
    JSON.stringify(response),
  ]);
}

/** Frees a claimed key whose request failed: a retry may run it again. */
export async function releaseIdempotencyKey(db: Db, k: Pick<IdempotencyKey, 'principal' | 'key'>): Promise<void> {
  await db.query('DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 AND status IS NULL', [
    k.principal,
    k.key,
  ]);
}
