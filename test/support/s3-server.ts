import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

// s3rver signs ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17) only offers
// through its legacy provider, a process-wide flag: so s3rver runs in a child process started with
// it. The IPC channel reports the port, and its loss (the test process died) ends the server.
const CHILD_SCRIPT = `
const [s3rverPath, port, directory] = process.argv.slice(1);
const S3rver = require(s3rverPath);
new S3rver({ address: '127.0.0.1', port: Number(port), silent: true, directory })
  .run()
  .then((address) => process.send(address.port));
process.on('disconnect', () => process.exit(0));
`;

export interface S3Server {
  /** e.g. http://127.0.0.1:43123; address buckets path-style. */
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts s3rver on 127.0.0.1, on a random free port unless one is given. It accepts only the
 * access key S3RVER with secret S3RVER. Without a directory its files go to a temp dir removed on stop.
 */
export async function startS3Server(options: { port?: number; directory?: string } = {}): Promise<S3Server> {
  const directory = options.directory ?? (await mkdtemp(path.join(os.tmpdir(), 'prescale-s3rver-')));
  const s3rverPath = createRequire(import.meta.url).resolve('s3rver');
  const child = spawn(
    process.execPath,
    ['--openssl-legacy-provider', '-e', CHILD_SCRIPT, s3rverPath, String(options.port ?? 0), directory],
    { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit');

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill();
      await exited;
    }
    if (!options.directory) await rm(directory, { recursive: true, force: true });
  };

  try {
    const port = await Promise.race([
      once(child, 'message').then(([message]) => message as number),
      exited.then(([code]) => {
        throw new Error(`s3rver exited with code ${String(code)} before listening: ${stderr.trim()}`);
      }),
    ]);
    return { endpoint: `http://127.0.0.1:${port}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
