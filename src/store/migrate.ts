import { readdir, readFile } from 'node:fs/promises';
import type { Db } from './db.js';

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
  const migrations = await Promise.all(files.map(async (file) => {
    const match = /^(\d+)_([\w-]+)\.sql$/.exec(file);
    if (!match) throw new Error(`migration file "${file}" must be named NNN_name.sql`);
    return { version: Number(match[1]), name: match[2]!, sql: await readFile(new URL(file, dir), 'utf8') };
  }));
  migrations.sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (i > 0 && migrations[i - 1]!.version === m.version) throw new Error(`two migrations share version ${m.version}`);
  });
  return migrations;
}

/**
 * Applies pending migrations. A session-level advisory lock makes concurrent starters wait for
 * each other, so two processes never migrate at once; each migration commits with its own row.
 */
export async function migrate(db: Db, migrations?: Migration[]): Promise<number[]> {
  const all = migrations ?? await loadMigrations();
  const client = await db.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of all.filter((x) => !done.has(x.version))) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${m.version}_${m.name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    client.release();
  }
}
