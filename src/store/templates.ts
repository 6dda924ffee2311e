import { type Db, inTransaction, isoText } from './db.js';

export interface TemplateVersionRow {
  template: string;
  version: number;
  revision: number;
  contentHash: string;
  objectKey: string;
  createdAt: string;
}

const columns = `template, version, revision, content_hash AS "contentHash", object_key AS "objectKey",
  ${isoText('created_at')} AS "createdAt"`;

/**
 * The version holding this content, created with the next number unless the template already has
 * one with the same hash. Serialised per template, so concurrent puts never share a number.
 */
export async function insertTemplateVersion(db: Db, v: { template: string; contentHash: string; objectKey: string }): Promise<{ created: boolean; row: TemplateVersionRow }> {
  return inTransaction(db, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('template:' || $1))", [v.template]);
    const same = await tx.query<TemplateVersionRow>(`SELECT ${columns} FROM template_versions WHERE template = $1 AND content_hash = $2`, [v.template, v.contentHash]);
    if (same.rows[0]) return { created: false, row: same.rows[0] };
    const { rows } = await tx.query<TemplateVersionRow>(
      `INSERT INTO template_versions (template, version, content_hash, object_key)
       SELECT $1, coalesce(max(version), 0) + 1, $2, $3 FROM template_versions WHERE template = $1
       RETURNING ${columns}`,
      [v.template, v.contentHash, v.objectKey]);
    return { created: true, row: rows[0]! };
  });
}

export async function getTemplateVersion(db: Db, template: string, version: number): Promise<TemplateVersionRow | undefined> {
  const { rows } = await db.query<TemplateVersionRow>(`SELECT ${columns} FROM template_versions WHERE template = $1 AND version = $2`, [template, version]);
  return rows[0];
}

/** Oldest first. */
export async function listTemplateVersions(db: Db, template: string): Promise<TemplateVersionRow[]> {
  const { rows } = await db.query<TemplateVersionRow>(`SELECT ${columns} FROM template_versions WHERE template = $1 ORDER BY version`, [template]);
  return rows;
}
