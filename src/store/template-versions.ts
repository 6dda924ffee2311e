import { createHash } from 'node:crypto';
import { templateBodySchema, templateBodyUnder, templateImage, type TemplateBody } from '../config/template.js';
import { DEFAULT_PROFILE_NAME, type ProfileRef } from '../domain/app-profile.js';
import { profileOfSet } from '../domain/resource-set.js';
import { findInstanceType } from '../providers/local/instance-types.js';
import type { Db } from './db.js';
import type { ObjectStore } from './objects/index.js';
import { readProfileVersion, type ProfileVersion } from './profiles.js';
import { getResourceSet } from './resource-sets.js';
import { getTemplateVersion, insertTemplateVersion, type TemplateVersionRow } from './templates.js';

export interface TemplateVersion extends TemplateVersionRow {
  body: TemplateBody;
  /** What its instances run: the software version under the profile. */
  image: string;
}

/** The schema's key order is fixed, so a parsed body serialises to one canonical text. */
const canonical = (body: TemplateBody): string => JSON.stringify(body);
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A template names a profile that does not exist: `path` is the field that named it. */
export class UnknownProfileError extends Error {
  override name = 'UnknownProfileError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** The profile a body names, else `inherited` (the set's), else the default one; the latest version unless it says. */
export async function resolveProfile(
  db: Db,
  named: ProfileRef | undefined,
  inherited?: ProfileRef,
): Promise<ProfileVersion> {
  const ref = named ?? inherited ?? { name: DEFAULT_PROFILE_NAME };
  const found = await readProfileVersion(db, ref.name, ref.version);
  if (found) return found;
  const path = named ? (ref.version === undefined ? 'profile.name' : 'profile.version') : 'profile';
  throw new UnknownProfileError(
    path,
    ref.version === undefined
      ? `profile "${ref.name}" does not exist`
      : `profile "${ref.name}" has no version ${ref.version}`,
  );
}

/** The profile a resource set runs, for the templates made for it (tuning trials, recommendations); undefined for a set that is gone. */
export async function profileOfResourceSet(db: Db, resourceSetId: string): Promise<ProfileRef | undefined> {
  const row = await getResourceSet(db, resourceSetId);
  return row && profileOfSet(row.spec);
}

/**
 * Validates a body against its profile and stores it as the template's next version, or answers
 * the existing version with the same content. The body goes to object storage first under its hash
 * (so a crash in between leaves at most an unreferenced object, never a row without a body).
 * Throws a ZodError naming the fields that break the profile, or UnknownProfileError.
 */
export async function putTemplateVersion(
  db: Db,
  objects: ObjectStore,
  template: string,
  written: TemplateBody,
  inheritedProfile?: ProfileRef,
): Promise<{ created: boolean; version: TemplateVersion }> {
  const profile = await resolveProfile(db, written.profile, inheritedProfile);
  const body = templateBodyUnder(profile.body, findInstanceType).parse(written);
  const text = canonical(body);
  const contentHash = sha256(text);
  const objectKey = `templates/${template}/${contentHash}.json`;
  await objects.put(objectKey, text, { contentType: 'application/json' });
  const { created, row } = await insertTemplateVersion(db, {
    template,
    contentHash,
    objectKey,
    profile: profile.profile,
    profileVersion: profile.version,
  });
  // An identical body stored earlier keeps the profile version it was checked against.
  const image =
    row.profileVersion === profile.version ? templateImage(profile.body, body) : await imageUnder(db, row, body);
  return { created, version: { ...row, body, image } };
}

export class TemplateIntegrityError extends Error {
  override name = 'TemplateIntegrityError';
}

async function imageUnder(db: Db, row: TemplateVersionRow, body: TemplateBody): Promise<string> {
  const profile = await readProfileVersion(db, row.profile, row.profileVersion);
  if (!profile)
    throw new TemplateIntegrityError(
      `${row.template} v${row.version}: its profile ${row.profile} v${row.profileVersion} is missing`,
    );
  return templateImage(profile.body, body);
}

/** A version with its body; undefined when the template has no such version. */
export async function readTemplateVersion(
  db: Db,
  objects: ObjectStore,
  template: string,
  version: number,
): Promise<TemplateVersion | undefined> {
  const row = await getTemplateVersion(db, template, version);
  if (!row) return undefined;
  const text = Buffer.from(await objects.get(row.objectKey)).toString('utf8');
  if (sha256(text) !== row.contentHash)
    throw new TemplateIntegrityError(`${template} v${version}: the stored body does not match its content hash`);
  const body = templateBodySchema.parse(JSON.parse(text));
  return { ...row, body, image: await imageUnder(db, row, body) };
}
