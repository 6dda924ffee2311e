import { createServer } from 'node:net';
import { isPortFree } from '../../src/infra/processes.js';

/** A TCP port that was free on loopback a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A port free on loopback a moment ago, below the kernel's ephemeral range (32768+): Temporal
 * stores its membership ports as a smallint, which refuses larger ones. `taken` are not answered.
 */
export async function freeLowPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!taken.has(port) && (await isPortFree(port))) return port;
  }
}
