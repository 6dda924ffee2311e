// The embedded Postgres: PGlite (Postgres compiled to WASM) behind its wire-protocol socket server,
// in a child process of its own so its synchronous WASM work never stalls the API or the workers.
// Run by embedded-postgres.ts; talks to its parent over IPC and exits when the parent goes away.
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const [dataDir, portText] = process.argv.slice(2);
if (!dataDir || !portText) throw new Error('usage: pglite-server.ts <dataDir> <port>');

const db = await PGlite.create(dataDir);
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: Number(portText), maxConnections: 32 });
await server.start();
process.send?.('ready');

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.stop();
  await db.close();
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop());
process.on('disconnect', () => void stop());
