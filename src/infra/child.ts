import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { LIFELINE_ENV } from './lifeline.js';

/** A managed child process whose output goes to a log file, surfaced only when it fails. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly logFile: string;
  /** Resolves with the exit code when the process ends. */
  readonly exited: Promise<number | null>;
  /** Signals the process and waits; escalates to SIGKILL of its process group after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** The last lines of its log, for error messages. */
  tail(lines?: number): Promise<string>;
}

// If we exit without stopping our children, do not leave them running (one listener for all).
// Children on a lifeline see it cut and stop cleanly by themselves; the others are killed.
const live = new Map<ChildProcess, { lifeline: boolean }>();
process.once('exit', () => {
  for (const [child, { lifeline }] of live) if (!lifeline) killGroup(child);
});

/** SIGKILL to the child's process group: the child and whatever it runs in its group (tether.ts's program). */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

export async function startChild(
  name: string,
  command: string,
  args: string[],
  options: {
    logDir: string;
    env?: NodeJS.ProcessEnv;
    ipc?: boolean;
    /** Give it a lifeline (see lifeline.ts): it must stop when we go away, however we end. */
    lifeline?: boolean;
  },
): Promise<Child> {
  await mkdir(options.logDir, { recursive: true });
  const logFile = path.join(options.logDir, `${name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const spawnOptions: SpawnOptions = {
    env: { ...(options.env ?? process.env), ...(options.lifeline ? { [LIFELINE_ENV]: '1' } : {}) },
    // Own process group: Ctrl-C reaches only us, and we stop children in order.
    detached: true,
    stdio: [options.lifeline ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(options.ipc ? ['ipc' as const] : [])],
  };
  const child = spawn(command, args, spawnOptions);
  // We never write to the lifeline; it only has to stay open while we live.
  child.stdin?.on('error', () => undefined);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => {
    child.once('error', (err) => {
      log.write(`\n[prescale] ${name} failed to start: ${err.message}\n`);
      resolve(null);
    });
    child.once('exit', (code) => resolve(code));
  });
  void exited.then(() => log.end());
  live.set(child, { lifeline: options.lifeline ?? false });
  void exited.then(() => live.delete(child));

  return {
    name,
    process: child,
    logFile,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => killGroup(child), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async tail(lines = 20) {
      const text = await readFile(logFile, 'utf8').catch(() => '');
      return text.trimEnd().split('\n').slice(-lines).join('\n');
    },
  };
}

/** Polls `probe` until it succeeds, the child exits, or the time runs out. */
export async function waitUntilReady(child: Child, probe: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  for (;;) {
    try {
      await probe();
      return;
    } catch (err) {
      if (exited)
        throw new Error(
          `${child.name} exited before it was ready; its log (${child.logFile}) ends:\n${await child.tail()}`,
        );
      if (Date.now() > deadline) {
        throw new Error(
          `${child.name} did not answer within ${timeoutMs / 1000} s (${(err as Error).message}); its log (${child.logFile}) ends:\n${await child.tail()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
