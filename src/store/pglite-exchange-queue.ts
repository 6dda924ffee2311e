import type { PGlite } from '@electric-sql/pglite';

// Client messages of the extended query protocol: Parse, Bind, Describe, Execute, Close, Flush.
// From the first of them until Sync the unnamed statement and portal are that client's.
const EXTENDED = new Set([...'PBDECH'].map((c) => c.charCodeAt(0)));
const SYNC = Uint8Array.of('S'.charCodeAt(0), 0, 0, 0, 4);

interface Pending {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: Error) => void;
  /** The owner left mid-exchange or mid-transaction: end both, so the next client starts clean. */
  reset?: boolean;
}

/**
 * Runs every client's protocol messages on PGlite's one session, a whole exchange at a time.
 *
 * pglite-socket's own queue hands the session over between any two messages unless a transaction
 * is open, so under concurrent load one client's Bind met another's Parse ("bind message supplies
 * 1 parameters, but prepared statement "" requires 14", "portal "" does not exist") and answers
 * reached the wrong client (issue 17). Here a client that starts an extended-protocol exchange, or
 * a transaction, keeps the session until its Sync, or its transaction's end, has been run.
 *
 * It has the shape pglite-socket's PGLiteSocketHandler calls (enqueue, clearQueueForHandler,
 * clearTransactionIfNeeded).
 */
export class ExchangeQueue {
  private pending: Pending[] = [];
  private owner: number | undefined;
  private draining = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise((resolve, reject) => {
      this.pending.push({ handlerId, message, onData, resolve, reject });
      void this.drain();
    });
  }

  clearQueueForHandler(handlerId: number): void {
    this.pending = this.pending.filter((p) => {
      if (p.handlerId === handlerId) p.reject(new Error('Handler disconnected'));
      return p.handlerId !== handlerId;
    });
  }

  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    await new Promise<void>((resolve) => {
      this.pending.unshift({
        handlerId,
        message: SYNC,
        onData: () => undefined,
        resolve: () => resolve(),
        reject: () => resolve(),
        reset: true,
      });
      void this.drain();
    });
  }

  /** The owner's next message while it holds the session, else the oldest of anyone's. */
  private next(): Pending | undefined {
    const at = this.owner === undefined ? 0 : this.pending.findIndex((p) => p.handlerId === this.owner);
    return at < 0 ? undefined : this.pending.splice(at, 1)[0];
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let item = this.next(); item; item = this.next()) {
        let bytes = 0;
        try {
          await this.db.runExclusive(async () => {
            await this.db.execProtocolRawStream(item.message, {
              onRawData: (data) => {
                bytes += data.length;
                item.onData(data);
              },
            });
            if (item.reset && this.db.isInTransaction())
              await this.db.execProtocolRawStream(simpleQuery('ROLLBACK'), { onRawData: () => undefined });
          });
          item.resolve(bytes);
        } catch (err) {
          item.reject(err as Error);
        }
        this.owner =
          !item.reset && (this.db.isInTransaction() || EXTENDED.has(item.message[0]!)) ? item.handlerId : undefined;
      }
    } finally {
      this.draining = false;
    }
  }
}

/** A simple-protocol Query message. */
function simpleQuery(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`);
  const message = Buffer.alloc(5 + text.length);
  message.write('Q', 0);
  message.writeInt32BE(4 + text.length, 1);
  text.copy(message, 5);
  return message;
}
