import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { z } from 'zod';
import { apiKeyIdPattern } from '../auth/api-key.js';
import { apiKeySpecSchema, overlapSecondsSchema } from '../api/routes/keys.js';
import { loadConfig, type Config } from '../config.js';
import {
  createApiKey,
  ensureFirstAdminKey,
  keyCreated,
  keyRotated,
  listApiKeys,
  revokeApiKey,
  rotateApiKeyWithin,
  type ApiKeyRow,
} from '../store/api-keys.js';
import { appendAudit, type AuditChange } from '../store/audit.js';
import { createPool, inTransaction, isDatabaseUnavailable, type Db, type DbClient } from '../store/db.js';
import { UsageError, type Command } from './command.js';

/** DATABASE_URL, or the embedded PGlite — which answers only while `prescale start` runs. */
const databaseUrl = (config: Config): string =>
  config.DATABASE_URL ?? `postgres://postgres@127.0.0.1:${config.PGLITE_PORT}/postgres`;

async function withDatabase<T>(url: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = createPool(url, { max: 1 });
  try {
    return await fn(db);
  } catch (err) {
    if (isDatabaseUnavailable(err))
      throw new UsageError(
        `cannot reach Postgres at ${url}: set DATABASE_URL, or run this while \`prescale start\` runs`,
      );
    if ((err as { code?: string }).code === '42P01')
      throw new UsageError('the database has no API key table yet: run `prescale migrate` (or `prescale start`) first');
    throw err;
  } finally {
    await db.end();
  }
}

/** Creates the first admin key of a fresh installation; `prescale start` prints it. */
export function firstAdminKey(url: string): Promise<string | undefined> {
  return withDatabase(url, ensureFirstAdminKey);
}

/** Who runs the CLI, as the audit log names them: the account, since there is no API key in play. */
function operator(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return `cli:uid ${process.getuid?.() ?? 'unknown'}`;
  }
}

/** Keys made or revoked here bypass the API, so they are audited here, in the same transaction. */
const audit = (
  tx: DbClient,
  command: 'create' | 'revoke' | 'rotate',
  target: string,
  status: number,
  change: AuditChange | null,
) =>
  appendAudit(tx, {
    requestId: randomUUID(),
    principalKind: 'cli',
    principalId: operator(),
    method: 'CLI',
    route: `keys ${command}`,
    target,
    status,
    change,
  });

const scopesText = (k: Pick<ApiKeyRow, 'scopes'>): string => k.scopes?.join(',') ?? 'all resource sets';

function table(keys: ApiKeyRow[]): string {
  const rows = [
    ['ID', 'ROLE', 'SCOPES', 'NAME', 'CREATED', 'REVOKED'],
    ...keys.map((k) => [k.id, k.role, scopesText(k), k.name || '-', k.createdAt, k.revokedAt ?? '-']),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The one argument of `keys rotate|revoke`: a key id. */
function oneKeyId(action: string, rest: string[]): string {
  const id = z.string().regex(apiKeyIdPattern).safeParse(rest[0]);
  if (!id.success || rest.length !== 1)
    throw new UsageError(`${action} takes one key id (16 hex digits; see \`prescale keys list\`)`);
  return id.data;
}

export const keysCommand: Command = {
  name: 'keys',
  summary:
    'Create, list, rotate and revoke API keys, straight in Postgres (DATABASE_URL, else the embedded one while `prescale start` runs)',
  usage:
    'keys create --role viewer|operator|admin [--scope SET,SET] [--name TEXT] [--json] | keys list [--all] [--json] | keys rotate ID [--overlap-seconds N] [--json] | keys revoke ID',
  options: {
    role: { type: 'string' },
    scope: { type: 'string' },
    name: { type: 'string' },
    'overlap-seconds': { type: 'string' },
    all: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
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
        const created = await withDatabase(url, (db) =>
          inTransaction(db, async (tx) => {
            const made = await createApiKey(tx, parsed.data, operator());
            await audit(tx, 'create', made.id, 201, keyCreated(made));
            return made;
          }),
        );
        console.log(
          json
            ? JSON.stringify({ key: created.key, id: created.id, role: created.role, scopes: created.scopes })
            : `Created ${created.role} key ${created.id} (${scopesText(created)}). It is shown this once:\n${created.key}`,
        );
        return 0;
      }
      case 'list': {
        const keys = await withDatabase(url, (db) =>
          listApiKeys(db, { limit: 10_000, includeRevoked: values.all === true }),
        );
        console.log(json ? JSON.stringify(keys) : table(keys));
        return 0;
      }
      case 'rotate': {
        // What POST /v1/keys/ID/rotate does, in one transaction with its audit row.
        const id = oneKeyId('rotate', rest);
        const overlap = overlapSecondsSchema.safeParse(
          values['overlap-seconds'] === undefined ? undefined : Number(values['overlap-seconds']),
        );
        if (!overlap.success) throw new UsageError(`--overlap-seconds: ${overlap.error.issues[0]!.message}`);
        const result = await withDatabase(url, (db) =>
          inTransaction(db, async (tx) => {
            const done = await rotateApiKeyWithin(tx, id, operator(), overlap.data);
            const status = { rotated: 201, missing: 404, revoked: 409 }[done.outcome];
            await audit(tx, 'rotate', id, status, done.outcome === 'rotated' ? keyRotated(done) : null);
            return done;
          }),
        );
        if (result.outcome !== 'rotated') {
          console.error(
            `prescale keys: ${result.outcome === 'missing' ? `no key with id ${id}` : `key ${id} is revoked; create a new one instead`}`,
          );
          return 1;
        }
        const { key } = result;
        console.log(
          json
            ? JSON.stringify({
                key: key.key,
                id: key.id,
                role: key.role,
                scopes: key.scopes,
                replaces: { id, revokedAt: result.oldRevokedAt },
              })
            : `Rotated key ${id}: it works until ${result.oldRevokedAt}. New ${key.role} key ${key.id} (${scopesText(key)}), shown this once:\n${key.key}`,
        );
        return 0;
      }
      case 'revoke': {
        const id = oneKeyId('revoke', rest);
        const revoked = await withDatabase(url, (db) =>
          inTransaction(db, async (tx) => {
            const done = await revokeApiKey(tx, id);
            await audit(tx, 'revoke', id, done ? 200 : 404, done?.change ?? null);
            return done?.row;
          }),
        );
        if (!revoked) {
          console.error(`prescale keys: no key with id ${id}`);
          return 1;
        }
        console.log(json ? JSON.stringify(revoked) : `Revoked key ${revoked.id} at ${revoked.revokedAt}`);
        return 0;
      }
      default:
        throw new UsageError(
          action
            ? `unknown action "${action}" (create, list, rotate or revoke)`
            : 'which action? create, list, rotate or revoke',
        );
    }
  },
};
