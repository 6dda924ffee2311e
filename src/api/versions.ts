import { z } from 'zod';
import { HttpError } from '../infra/http-error.js';
import type { AuditChange } from '../store/audit.js';
import { changedFields } from './audit.js';

/** What numbered, immutable documents (templates, app profiles) share in their routes. */
export const versionNumberSchema = z.coerce.number().int().min(1).max(2_147_483_647);

interface Versioned<B> {
  version: number;
  body: B;
}

/** A reader of one version that answers 404 naming the kind ("template", "profile") when there is none. */
export function versionReader<V>(
  kind: string,
  find: (name: string, version: number) => Promise<V | undefined>,
): (name: string, version: number) => Promise<V> {
  return async (name, version) => {
    const found = await find(name, version);
    if (!found) throw new HttpError(404, 'not_found', `${kind} "${name}" has no version ${version}`);
    return found;
  };
}

/**
 * The audit entry of a put: for a new version, the top-level fields that differ from the version
 * before it (all of it for a first version); none for a repeat that created nothing.
 */
export async function auditOfNewVersion<B extends object>(
  created: boolean,
  version: Versioned<B>,
  previous: (version: number) => Promise<Versioned<B>>,
): Promise<{ audit?: { change: AuditChange | null } }> {
  if (!created) return {};
  const after = { version: version.version, ...version.body };
  if (version.version === 1) return { audit: { change: { before: null, after } } };
  const before = await previous(version.version - 1);
  return { audit: { change: changedFields({ version: before.version, ...before.body }, after) } };
}
