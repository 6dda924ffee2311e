import { readdir, readFile } from 'node:fs/promises';
import { inTransaction, type Db } from './db.js';
import { seedShippedProfiles } from './shipped-profiles.js';

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);
// Any constant works as long as every Prescale process uses the same one.
const MIGRATION_LOCK_KEY = 7_297_401_337;

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Migrations are files named `NNN_name.sql`, applied in version order, each exactly once. */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql'));
  const migrations = await Promise.all(
    files.map(async (file) => {
      const match = /^(\d+)_([\w-]+)\.sql$/.exec(file);
      if (!match) throw new Error(`migration file "${file}" must be named NNN_name.sql`);
      return { version: Number(match[1]), name: match[2]!, sql: await readFile(new URL(file, dir), 'utf8') };
    }),
  );
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (i > 0 && migrations[i - 1]!.version === m.version) throw new Error(`two migrations share version ${m.version}`);
  });
  return migrations;
}

/**
 * Applies pending migrations in one transaction that first takes a transaction-scoped advisory
 * lock: concurrent starters queue behind it and then find nothing to do, and a failing migration
 * leaves the schema exactly as it was. (A session-level lock would not do: PGlite multiplexes
 * every connection onto one session, where advisory locks are re-entrant; it does, however, run
 * a transaction's statements exclusively.)
 */
export async function migrate(db: Db, migrations?: Migration[]): Promise<number[]> {
  const all = migrations ?? (await loadMigrations());
  return inTransaction(db, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const pending = all.filter((m) => !done.has(m.version));
    for (const m of pending) {
      await tx.query(m.sql).catch((err: Error) => {
        throw new Error(`migration ${m.version}_${m.name} failed: ${err.message}`, { cause: err });
      });
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    }
    // The shipped app profiles belong to the schema's contents: templates default to one of them.
    if (!migrations) await seedShippedProfiles(tx);
    return pending.map((m) => m.version);
  });
}
