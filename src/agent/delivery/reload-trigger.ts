import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { DeliveryError } from './config-delivery.js';

// Short enough that an apply and its put-back answer within a caller's 5 s timeout.
const COMMAND_TIMEOUT_MS = 2_000;

export type ReloadSpec = { signal: NodeJS.Signals; pidFile: string } | { command: string[] };

/** Tells the app its configuration file changed: a signal to the pid in its pid file, or a command that must exit 0. */
export async function triggerReload(spec: ReloadSpec, configFile: string): Promise<void> {
  if ('command' in spec) return runCommand(spec.command, configFile);
  const pid = await readPid(spec.pidFile);
  try {
    process.kill(pid, spec.signal);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DeliveryError(
      `cannot send ${spec.signal} to pid ${pid} (from ${spec.pidFile}): ${code === 'ESRCH' ? 'no such process' : (code ?? (err as Error).message)}`,
      false,
    );
  }
}

async function readPid(pidFile: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(pidFile, 'utf8');
  } catch (err) {
    throw new DeliveryError(
      `cannot read the app's pid file ${pidFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      false,
    );
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid < 1)
    throw new DeliveryError(`${pidFile} holds no process id (${JSON.stringify(text.slice(0, 40))})`, false);
  return pid;
}

/** Exit 0 is success; a non-zero exit is the app refusing the file; no start or a timeout is the app out of reach. */
function runCommand([file, ...args]: string[], configFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // The command learns which file changed, so one script can serve several apps.
    execFile(
      file!,
      args,
      { timeout: COMMAND_TIMEOUT_MS, env: { ...process.env, PRESCALE_CONFIG_FILE: configFile } },
      (err, _stdout, stderr) => {
        if (!err) return resolve();
        const { code, killed } = err as { code?: number | string; killed?: boolean };
        const output = stderr.trim().slice(0, 300);
        if (typeof code === 'number')
          return reject(new DeliveryError(`reload command ${file} exited ${code}${output ? `: ${output}` : ''}`, true));
        reject(
          new DeliveryError(
            `reload command ${file} ${killed ? `did not finish within ${COMMAND_TIMEOUT_MS} ms` : `could not run: ${code ?? err.message}`}`,
            false,
          ),
        );
      },
    );
  });
}
