// The embedded Postgres: PGlite (Postgres compiled to WASM) behind a wire-protocol socket server,
// in a child process of its own so its synchronous WASM work never stalls the API or the workers.
// Run by embedded-postgres.ts; talks to its parent over IPC and exits when the parent goes away.
// pglite-socket's handler reads each connection's messages; our ExchangeQueue decides whose run
// next, since PGlite has one session for every client (see pglite-exchange-queue.ts).
import { createServer, type Socket } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { ExchangeQueue } from './pglite-exchange-queue.js';

/** Our pools together (API, workers, demo, a CLI) stay well below it. */
const MAX_CONNECTIONS = 64;

const [dataDir, portText] = process.argv.slice(2);
if (!dataDir || !portText) throw new Error('usage: pglite-server.ts <dataDir> <port>');

const db = await PGlite.create(dataDir);
const queue = new ExchangeQueue(db);
const handlers = new Set<PGLiteSocketHandler>();

function accept(socket: Socket): void {
  if (handlers.size >= MAX_CONNECTIONS) {
    socket.end();
    return;
  }
  // The handler's option is typed as pglite-socket's own (unexported) queue class; ours has its shape.
  const handler = new PGLiteSocketHandler({
    queryQueue: queue as unknown as ConstructorParameters<typeof PGLiteSocketHandler>[0]['queryQueue'],
    closeOnDetach: true,
  });
  handlers.add(handler);
  const forget = (): void => {
    handlers.delete(handler);
  };
  handler.addEventListener('close', forget);
  handler.addEventListener('error', forget);
  handler.attach(socket).catch(() => {
    forget();
    socket.destroy();
  });
}

const server = createServer(accept);
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(Number(portText), '127.0.0.1', resolve);
});
process.send?.('ready');

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const handler of handlers) await handler.detach(true);
  await new Promise((resolve) => server.close(resolve));
  await db.close();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop());
process.on('disconnect', () => void stop());
