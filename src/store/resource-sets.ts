import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import { canonicalJson } from '../domain/canonical-json.js';
import type { ResourceSetSpec } from '../domain/resource-set.js';
import { type Db, isoText } from './db.js';

export interface ResourceSetRow {
  id: string;
  spec: ResourceSetSpec;
  /** Counts the spec's changes: 1 at create, one more per stored PATCH. */
  specVersion: number;
  workflowId: string;
  createdAt: string;
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const columns = `id, spec, spec_version::int AS "specVersion", workflow_id AS "workflowId", ${isoText('created_at')} AS "createdAt"`;

export type InsertOutcome =
  { outcome: 'created' | 'identical'; row: ResourceSetRow } | { outcome: 'conflict'; row: ResourceSetRow };

/** Inserts a resource set unless one with the id exists; says whether the existing one is the same. */
export async function insertResourceSet(
  db: Queryable,
  spec: ResourceSetSpec,
  workflowId: string,
): Promise<InsertOutcome> {
  const inserted = await db.query<ResourceSetRow>(
    `INSERT INTO resource_sets (id, spec, workflow_id) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING ${columns}`,
    [spec.id, JSON.stringify(spec), workflowId],
  );
  if (inserted.rows[0]) return { outcome: 'created', row: inserted.rows[0] };
  const existing = await getResourceSet(db, spec.id);
  if (!existing) throw new Error(`resource set ${spec.id} vanished during insert`);
  return { outcome: isDeepStrictEqual(existing.spec, spec) ? 'identical' : 'conflict', row: existing };
}

export async function getResourceSet(db: Queryable, id: string): Promise<ResourceSetRow | undefined> {
  const { rows } = await db.query<ResourceSetRow>(`SELECT ${columns} FROM resource_sets WHERE id = $1`, [id]);
  return rows[0];
}

/** The set's stored spec when its version is newer than `known`, else undefined (one index probe). */
export async function newerResourceSetSpec(
  db: Queryable,
  id: string,
  known: number,
): Promise<{ spec: ResourceSetSpec; version: number } | undefined> {
  const { rows } = await db.query<{ spec: ResourceSetSpec; version: number }>(
    'SELECT spec, spec_version::int AS version FROM resource_sets WHERE id = $1 AND spec_version > $2',
    [id, known],
  );
  return rows[0];
}

/** Those of `ids` that name no resource set, in the order given. */
export async function missingResourceSets(db: Queryable, ids: readonly string[]): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>('SELECT id FROM resource_sets WHERE id = ANY($1::text[])', [ids]);
  const found = new Set(rows.map((r) => r.id));
  return ids.filter((id) => !found.has(id));
}

export async function listResourceSets(db: Db, page: { limit: number; after?: string }): Promise<ResourceSetRow[]> {
  const { rows } = await db.query<ResourceSetRow>(
    `SELECT ${columns} FROM resource_sets WHERE ($1::text IS NULL OR id > $1) ORDER BY id LIMIT $2`,
    [page.after ?? null, page.limit],
  );
  return rows;
}

/** Compare-and-set attempts before giving up: each lost one means another write landed meanwhile. */
const SPEC_CHANGE_ATTEMPTS = 50;

export class SpecContendedError extends Error {
  override name = 'SpecContendedError';
}

/**
 * Stores `change(row)` as the set's spec if nobody wrote it since `row` was read (compare-and-set
 * on its version), else reads again and re-applies the change: concurrent changes all land and
 * none undoes another's fields. An unchanged spec is not written (a repeat keeps its version).
 * Answers the row before and after, or undefined when the set does not exist.
 */
export async function changeResourceSetSpec(
  db: Queryable,
  id: string,
  change: (row: ResourceSetRow) => ResourceSetSpec | Promise<ResourceSetSpec>,
): Promise<{ before: ResourceSetRow; after: ResourceSetRow } | undefined> {
  for (let attempt = 0; attempt < SPEC_CHANGE_ATTEMPTS; attempt++) {
    const before = await getResourceSet(db, id);
    if (!before) return undefined;
    const spec = await change(before);
    // Canonical text, as jsonb holds no undefined members and orders keys its own way.
    if (canonicalJson(spec) === canonicalJson(before.spec)) return { before, after: before };
    const { rows } = await db.query<ResourceSetRow>(
      `UPDATE resource_sets SET spec = $3, spec_version = spec_version + 1 WHERE id = $1 AND spec_version = $2 RETURNING ${columns}`,
      [id, before.specVersion, JSON.stringify(spec)],
    );
    if (rows[0]) return { before, after: rows[0] };
  }
  throw new SpecContendedError(
    `the spec of resource set "${id}" changed under ${SPEC_CHANGE_ATTEMPTS} attempts in a row; retry`,
  );
}

export async function deleteResourceSet(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM resource_sets WHERE id = $1', [id]);
}
