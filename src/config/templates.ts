import { createHash } from 'node:crypto';
import type { Db } from '../store/db.js';
import type { ObjectStore } from '../store/objects/index.js';
import { getTemplateVersion, insertTemplateVersion, type TemplateVersionRow } from '../store/templates.js';
import { templateBodySchema, type TemplateBody } from './template.js';

export interface TemplateVersion extends TemplateVersionRow {
  body: TemplateBody;
}

/** The schema's key order is fixed, so a parsed body serialises to one canonical text. */
const canonical = (body: TemplateBody): string => JSON.stringify(body);
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * Stores a validated body as the template's next version, or answers the existing version with the
 * same content. The body goes to object storage first under its hash (so a crash in between leaves
 * at most an unreferenced object, never a row without a body).
 */
export async function putTemplateVersion(db: Db, objects: ObjectStore, template: string, body: TemplateBody): Promise<{ created: boolean; version: TemplateVersion }> {
  const text = canonical(body);
  const contentHash = sha256(text);
  const objectKey = `templates/${template}/${contentHash}.json`;
  await objects.put(objectKey, text, { contentType: 'application/json' });
  const { created, row } = await insertTemplateVersion(db, { template, contentHash, objectKey });
  return { created, version: { ...row, body } };
}

export class TemplateIntegrityError extends Error {
  override name = 'TemplateIntegrityError';
}

/** A version with its body; undefined when the template has no such version. */
export async function readTemplateVersion(db: Db, objects: ObjectStore, template: string, version: number): Promise<TemplateVersion | undefined> {
  const row = await getTemplateVersion(db, template, version);
  if (!row) return undefined;
  const text = Buffer.from(await objects.get(row.objectKey)).toString('utf8');
  if (sha256(text) !== row.contentHash) throw new TemplateIntegrityError(`${template} v${version}: the stored body does not match its content hash`);
  return { ...row, body: templateBodySchema.parse(JSON.parse(text)) };
}
