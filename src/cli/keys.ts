import { z } from 'zod';
import { apiKeyIdPattern } from '../auth/api-key.js';
import { apiKeySpecSchema } from '../api/routes/keys.js';
import { loadConfig, type Config } from '../config.js';
import { createApiKey, ensureFirstAdminKey, listApiKeys, revokeApiKey, type ApiKeyRow } from '../store/api-keys.js';
import { createPool, isDatabaseUnavailable, type Db } from '../store/db.js';
import { UsageError, type Command } from './command.js';

/** DATABASE_URL, or the embedded PGlite — which answers only while `prescale start` runs. */
const databaseUrl = (config: Config): string => config.DATABASE_URL ?? `postgres://postgres@127.0.0.1:${config.PGLITE_PORT}/postgres`;

async function withDatabase<T>(url: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = createPool(url, { max: 1 });
  try {
    return await fn(db);
  } catch (err) {
    if (isDatabaseUnavailable(err)) throw new UsageError(`cannot reach Postgres at ${url}: set DATABASE_URL, or run this while \`prescale start\` runs`);
    if ((err as { code?: string }).code === '42P01') throw new UsageError('the database has no API key table yet: run `prescale migrate` (or `prescale start`) first');
    throw err;
  } finally {
    await db.end();
  }
}

/** Creates the first admin key of a fresh installation; `prescale start` prints it. */
export function firstAdminKey(url: string): Promise<string | undefined> {
  return withDatabase(url, ensureFirstAdminKey);
}

const scopesText = (k: Pick<ApiKeyRow, 'scopes'>): string => k.scopes?.join(',') ?? 'all resource sets';

function table(keys: ApiKeyRow[]): string {
  const rows = [['ID', 'ROLE', 'SCOPES', 'NAME', 'CREATED', 'REVOKED'],
    ...keys.map((k) => [k.id, k.role, scopesText(k), k.name || '-', k.createdAt, k.revokedAt ?? '-'])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export const keysCommand: Command = {
  name: 'keys',
  summary: 'Create, list and revoke API keys, straight in Postgres (DATABASE_URL, else the embedded one while `prescale start` runs)',
  usage: 'keys create --role viewer|operator|admin [--scope SET,SET] [--name TEXT] [--json] | keys list [--all] [--json] | keys revoke ID',
  options: {
    role: { type: 'string' }, scope: { type: 'string' }, name: { type: 'string' },
    all: { type: 'boolean', default: false }, json: { type: 'boolean', default: false },
  },
  async run(values, positionals) {
    const [action, ...rest] = positionals;
    const url = databaseUrl(loadConfig());
    const json = values.json === true;
    switch (action) {
      case 'create': {
        if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
        const parsed = apiKeySpecSchema.safeParse({
          role: values.role,
          ...(typeof values.scope === 'string' ? { scopes: values.scope.split(',') } : {}),
          ...(typeof values.name === 'string' ? { name: values.name } : {}),
        });
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          throw new UsageError(`--${issue.path[0] === 'scopes' ? 'scope' : String(issue.path[0])}: ${issue.message}`);
        }
        const created = await withDatabase(url, (db) => createApiKey(db, parsed.data, 'cli'));
        console.log(json
          ? JSON.stringify({ key: created.key, id: created.id, role: created.role, scopes: created.scopes })
          : `Created ${created.role} key ${created.id} (${scopesText(created)}). It is shown this once:\n${created.key}`);
        return 0;
      }
      case 'list': {
        const keys = await withDatabase(url, (db) => listApiKeys(db, { limit: 10_000, includeRevoked: values.all === true }));
        console.log(json ? JSON.stringify(keys) : table(keys));
        return 0;
      }
      case 'revoke': {
        const id = z.string().regex(apiKeyIdPattern).safeParse(rest[0]);
        if (!id.success || rest.length !== 1) throw new UsageError('revoke takes one key id (16 hex digits; see `prescale keys list`)');
        const revoked = await withDatabase(url, (db) => revokeApiKey(db, id.data));
        if (!revoked) {
          console.error(`prescale keys: no key with id ${id.data}`);
          return 1;
        }
        console.log(json ? JSON.stringify(revoked) : `Revoked key ${revoked.id} at ${revoked.revokedAt}`);
        return 0;
      }
      default:
        throw new UsageError(action ? `unknown action "${action}" (create, list or revoke)` : 'which action? create, list or revoke');
    }
  },
};
