import { isDeepStrictEqual } from 'node:util';
import type pg from 'pg';
import type { ResourceSetSpec } from '../domain/resource-set.js';
import { type Db, isoText } from './db.js';

export interface ResourceSetRow {
  id: string;
  spec: ResourceSetSpec;
  workflowId: string;
  createdAt: string;
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

const columns = `id, spec, workflow_id AS "workflowId", ${isoText('created_at')} AS "createdAt"`;

export type InsertOutcome = { outcome: 'created' | 'identical'; row: ResourceSetRow } | { outcome: 'conflict'; row: ResourceSetRow };

/** Inserts a resource set unless one with the id exists; says whether the existing one is the same. */
export async function insertResourceSet(db: Queryable, spec: ResourceSetSpec, workflowId: string): Promise<InsertOutcome> {
  const inserted = await db.query<ResourceSetRow>(
    `INSERT INTO resource_sets (id, spec, workflow_id) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING ${columns}`,
    [spec.id, JSON.stringify(spec), workflowId]);
  if (inserted.rows[0]) return { outcome: 'created', row: inserted.rows[0] };
  const existing = await getResourceSet(db, spec.id);
  if (!existing) throw new Error(`resource set ${spec.id} vanished during insert`);
  return { outcome: isDeepStrictEqual(existing.spec, spec) ? 'identical' : 'conflict', row: existing };
}

export async function getResourceSet(db: Queryable, id: string): Promise<ResourceSetRow | undefined> {
  const { rows } = await db.query<ResourceSetRow>(`SELECT ${columns} FROM resource_sets WHERE id = $1`, [id]);
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
    [page.after ?? null, page.limit]);
  return rows;
}

export async function updateResourceSetSpec(db: Queryable, id: string, spec: ResourceSetSpec): Promise<void> {
  await db.query('UPDATE resource_sets SET spec = $2 WHERE id = $1', [id, JSON.stringify(spec)]);
}

export async function deleteResourceSet(db: Queryable, id: string): Promise<void> {
  await db.query('DELETE FROM resource_sets WHERE id = $1', [id]);
}
