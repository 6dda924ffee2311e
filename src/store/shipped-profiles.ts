import { readdir, readFile } from 'node:fs/promises';
import { appProfileSchema } from '../domain/app-profile.js';
import { describeIssues } from '../domain/resource-set.js';
import type { DbClient } from './db.js';
import { putProfileVersion } from './profiles.js';

/** The app profiles shipped with Prescale (the sample service's), one `<name>.json` each. */
export const SHIPPED_PROFILES_DIR = new URL('../../deploy/profiles/', import.meta.url);

export async function loadShippedProfiles(dir: URL = SHIPPED_PROFILES_DIR) {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  return Promise.all(
    files.map(async (file) => {
      const parsed = appProfileSchema.safeParse(JSON.parse(await readFile(new URL(file, dir), 'utf8')));
      if (!parsed.success) throw new Error(`shipped profile ${file}: ${describeIssues(parsed.error)}`);
      return { name: file.replace(/\.json$/, ''), profile: parsed.data };
    }),
  );
}

/**
 * Stores each shipped profile unless a version with the same content exists: a fresh database gets
 * them as version 1, and a changed file becomes the next version. Profiles a user made are untouched.
 */
export async function seedShippedProfiles(tx: DbClient, dir?: URL): Promise<string[]> {
  const created: string[] = [];
  for (const { name, profile } of await loadShippedProfiles(dir)) {
    const { created: isNew, version } = await putProfileVersion(tx, name, profile);
    if (isNew) created.push(`${name} v${version.version}`);
  }
  return created;
}
