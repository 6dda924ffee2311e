import { execFile, spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Later tags carry `replace` directives in go.mod, which `go install pkg@version` refuses. */
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

async function executable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function goBinDir(): Promise<string | undefined> {
  try {
    const { stdout } = await run('go', ['env', 'GOBIN', 'GOPATH']);
    const [gobin, gopath] = stdout.split('\n').map((s) => s.trim());
    return gobin || (gopath ? path.join(gopath.split(path.delimiter)[0]!, 'bin') : undefined);
  } catch {
    return undefined;
  }
}

/** The `temporal` binary from PATH or Go's bin directory, or undefined. */
export async function findTemporalCli(): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean)];
  const goBin = await goBinDir();
  if (goBin) dirs.push(goBin);
  for (const dir of dirs) {
    const file = path.join(dir, 'temporal');
    if (await executable(file)) return file;
  }
  return undefined;
}

/**
 * Builds the Temporal CLI with `go install`, reporting elapsed time while the (multi-minute) build
 * runs. Throws with go's own error text and the proxy settings that usually explain it.
 */
export async function buildTemporalCli(progress: (line: string) => void): Promise<string> {
  const goBin = await goBinDir();
  if (!goBin) {
    throw new Error(
      'No `temporal` binary found and Go is not installed. Install the Temporal CLI ' +
        '(https://docs.temporal.io/cli) or Go (then `go install ' +
        TEMPORAL_CLI_MODULE +
        '`), or set TEMPORAL_ADDRESS to an existing server.',
    );
  }
  progress(`Building the Temporal CLI: go install ${TEMPORAL_CLI_MODULE} (first run only; takes a few minutes)…`);
  const started = Date.now();
  const ticker = setInterval(
    () => progress(`  still building the Temporal CLI… ${Math.round((Date.now() - started) / 1000)} s`),
    15_000,
  );
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('go', ['install', TEMPORAL_CLI_MODULE], { stdio: ['ignore', 'ignore', 'pipe'] });
      let text = '';
      child.stderr.on('data', (d: Buffer) => {
        text += d.toString();
      });
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(text.trim().split('\n').slice(-15).join('\n'))),
      );
    });
  } catch (err) {
    const { stdout } = await run('go', ['env', 'GOPROXY', 'GOSUMDB', 'GOFLAGS']).catch(() => ({ stdout: '' }));
    throw new Error(
      `go install ${TEMPORAL_CLI_MODULE} failed:\n${(err as Error).message}\n` +
        `go env GOPROXY GOSUMDB GOFLAGS:\n${stdout.trim()}\nInstall the Temporal CLI yourself or set TEMPORAL_ADDRESS.`,
    );
  } finally {
    clearInterval(ticker);
  }
  progress(`Built the Temporal CLI in ${Math.round((Date.now() - started) / 1000)} s.`);
  return path.join(goBin, 'temporal');
}

export async function ensureTemporalCli(progress: (line: string) => void): Promise<string> {
  return (await findTemporalCli()) ?? buildTemporalCli(progress);
}
