import { type Db, inTransaction, isoText } from './db.js';

export interface TemplateVersionRow {
  template: string;
  version: number;
  revision: number;
  contentHash: string;
  objectKey: string;
  /** The app profile version its body was validated against. */
  profile: string;
  profileVersion: number;
  createdAt: string;
  /** When it was retired (it can no longer be newly rolled out); null while it is in service. */
  retiredAt: string | null;
}

const columns = `template, version, revision, content_hash AS "contentHash", object_key AS "objectKey",
  profile, profile_version AS "profileVersion", ${isoText('created_at')} AS "createdAt",
  CASE WHEN retired_at IS NULL THEN NULL ELSE ${isoText('retired_at')} END AS "retiredAt"`;

/**
 * The version holding this content, created with the next number unless the template already has
 * one with the same hash. Serialised per template, so concurrent puts never share a number.
 */
export async function insertTemplateVersion(
  db: Db,
  v: { template: string; contentHash: string; objectKey: string; profile: string; profileVersion: number },
): Promise<{ created: boolean; row: TemplateVersionRow }> {
  return inTransaction(db, async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('template:' || $1))", [v.template]);
    const same = await tx.query<TemplateVersionRow>(
      `SELECT ${columns} FROM template_versions WHERE template = $1 AND content_hash = $2`,
      [v.template, v.contentHash],
    );
    if (same.rows[0]) return { created: false, row: same.rows[0] };
    const { rows } = await tx.query<TemplateVersionRow>(
      `INSERT INTO template_versions (template, version, content_hash, object_key, profile, profile_version)
       SELECT $1, coalesce(max(version), 0) + 1, $2, $3, $4, $5 FROM template_versions WHERE template = $1
       RETURNING ${columns}`,
      [v.template, v.contentHash, v.objectKey, v.profile, v.profileVersion],
    );
    return { created: true, row: rows[0]! };
  });
}

export async function getTemplateVersion(
  db: Db,
  template: string,
  version: number,
): Promise<TemplateVersionRow | undefined> {
  const { rows } = await db.query<TemplateVersionRow>(
    `SELECT ${columns} FROM template_versions WHERE template = $1 AND version = $2`,
    [template, version],
  );
  return rows[0];
}

/** Oldest first. */
export async function listTemplateVersions(db: Db, template: string): Promise<TemplateVersionRow[]> {
  const { rows } = await db.query<TemplateVersionRow>(
    `SELECT ${columns} FROM template_versions WHERE template = $1 ORDER BY version`,
    [template],
  );
  return rows;
}

/** Marks a version retired (once: a second retirement keeps the first instant); undefined when there is no such version. */
export async function retireTemplateVersion(
  db: Db,
  template: string,
  version: number,
): Promise<TemplateVersionRow | undefined> {
  const { rows } = await db.query<TemplateVersionRow>(
    `UPDATE template_versions SET retired_at = coalesce(retired_at, now()) WHERE template = $1 AND version = $2 RETURNING ${columns}`,
    [template, version],
  );
  return rows[0];
}
