import { createHash } from 'node:crypto';
import { appProfileSchema, type AppProfile } from '../domain/app-profile.js';
import { canonicalJson } from '../domain/canonical-json.js';
import { type Db, type DbClient, inTransaction, isoText } from './db.js';

export interface ProfileVersionRow {
  profile: string;
  version: number;
  contentHash: string;
  /** The validated profile as canonical JSON. */
  document: string;
  createdAt: string;
}

const columns = `profile, version, content_hash AS "contentHash", document, ${isoText('created_at')} AS "createdAt"`;

/**
 * The version holding this document, created with the next number unless the profile already has
 * one with the same hash. Serialised per profile, so concurrent puts never share a number.
 */
export async function insertProfileVersion(
  db: Db | DbClient,
  v: { profile: string; contentHash: string; document: string },
): Promise<{ created: boolean; row: ProfileVersionRow }> {
  const insert = async (tx: Db | DbClient) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('profile:' || $1))", [v.profile]);
    const same = await tx.query<ProfileVersionRow>(
      `SELECT ${columns} FROM app_profile_versions WHERE profile = $1 AND content_hash = $2`,
      [v.profile, v.contentHash],
    );
    if (same.rows[0]) return { created: false, row: same.rows[0] };
    const { rows } = await tx.query<ProfileVersionRow>(
      `INSERT INTO app_profile_versions (profile, version, content_hash, document)
       SELECT $1, coalesce(max(version), 0) + 1, $2, $3 FROM app_profile_versions WHERE profile = $1
       RETURNING ${columns}`,
      [v.profile, v.contentHash, v.document],
    );
    return { created: true, row: rows[0]! };
  };
  // A pool runs it in a transaction of its own; a client is already inside the caller's.
  return 'totalCount' in db ? inTransaction(db, insert) : insert(db);
}

/** One version, or the latest when `version` is undefined. */
export async function getProfileVersion(
  db: Db,
  profile: string,
  version?: number,
): Promise<ProfileVersionRow | undefined> {
  const { rows } =
    version === undefined
      ? await db.query<ProfileVersionRow>(
          `SELECT ${columns} FROM app_profile_versions WHERE profile = $1 ORDER BY version DESC LIMIT 1`,
          [profile],
        )
      : await db.query<ProfileVersionRow>(
          `SELECT ${columns} FROM app_profile_versions WHERE profile = $1 AND version = $2`,
          [profile, version],
        );
  return rows[0];
}

/** Oldest first, without their documents. */
export async function listProfileVersions(db: Db, profile: string): Promise<Omit<ProfileVersionRow, 'document'>[]> {
  const { rows } = await db.query<ProfileVersionRow>(
    `SELECT ${columns} FROM app_profile_versions WHERE profile = $1 ORDER BY version`,
    [profile],
  );
  return rows.map(({ document: _document, ...row }) => row);
}

export interface ProfileSummary {
  profile: string;
  latestVersion: number;
  versions: number;
  updatedAt: string;
}

/** Every profile by name, with its latest version. */
export async function listProfiles(db: Db): Promise<ProfileSummary[]> {
  const { rows } = await db.query<ProfileSummary>(
    `SELECT profile, max(version) AS "latestVersion", count(*)::int AS versions, ${isoText('max(created_at)')} AS "updatedAt"
     FROM app_profile_versions GROUP BY profile ORDER BY profile`,
  );
  return rows;
}

export interface ProfileVersion extends Omit<ProfileVersionRow, 'document'> {
  body: AppProfile;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Stores a validated profile as its next version, or answers the existing version with the same content. */
export async function putProfileVersion(
  db: Db | DbClient,
  profile: string,
  body: AppProfile,
): Promise<{ created: boolean; version: ProfileVersion }> {
  const document = canonicalJson(body);
  const { created, row } = await insertProfileVersion(db, { profile, contentHash: sha256(document), document });
  return { created, version: withBody(row) };
}

export class ProfileIntegrityError extends Error {
  override name = 'ProfileIntegrityError';
}

function withBody({ document, ...row }: ProfileVersionRow): ProfileVersion {
  if (sha256(document) !== row.contentHash)
    throw new ProfileIntegrityError(
      `profile ${row.profile} v${row.version}: the stored document does not match its content hash`,
    );
  return { ...row, body: appProfileSchema.parse(JSON.parse(document)) };
}

/** A version with its profile (the latest when `version` is undefined); undefined when there is none. */
export async function readProfileVersion(
  db: Db,
  profile: string,
  version?: number,
): Promise<ProfileVersion | undefined> {
  const row = await getProfileVersion(db, profile, version);
  return row && withBody(row);
}
