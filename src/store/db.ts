import pg from 'pg';

export type Db = pg.Pool;
export type DbClient = pg.PoolClient;

/**
 * A pool that fails fast when Postgres is away (so the API can answer 503 instead of hanging)
 * and never lets an idle connection's error crash the process.
 */
export function createPool(connectionString: string, options: { max?: number } = {}): Db {
  const pool = new pg.Pool({
    connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 10_000,
    query_timeout: 30_000,
  });
  pool.on('error', () => {
    // An idle client lost its server; the pool drops it and the next query reconnects.
  });
  return pool;
}

/** Errors that mean "the database is unreachable right now" rather than "the query is wrong". */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  if (!e) return false;
  if (
    e.code &&
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P03', '08006', '08001', '08003'].includes(e.code)
  )
    return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    e.message ?? '',
  );
}

/** Runs `fn` in a transaction on one connection: committed if it resolves, rolled back if it throws. */
export async function inTransaction<T>(db: Db, fn: (client: DbClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** SQL for a timestamptz as the API writes every instant: ISO 8601 in UTC to the millisecond (2026-12-07T16:12:52.000Z). */
export const isoText = (column: string): string =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
