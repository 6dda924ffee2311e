// `npm start` is `prescale start`: helpers that run that command as a real process, with its own
// data directory and ports, and look at the processes it leaves (Linux /proc).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { parentPid } from '../../src/infra/processes.js';
import { freePort } from './ports.js';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface RunningStart {
  child: ChildProcess;
  output: () => string;
}

/** The environment of a `prescale start` on `dataDir` with free ports of its own. */
export async function startEnv(dataDir: string): Promise<NodeJS.ProcessEnv> {
  const [port, temporalPort, uiPort, pglitePort, cloudPort, lbPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  return {
    PRESCALE_DATA_DIR: dataDir,
    PORT: String(port),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    PGLITE_PORT: String(pglitePort),
    LOG_LEVEL: 'warn',
    LOCAL_CLOUD_PORT: String(cloudPort),
    LOCAL_LB_PORT: String(lbPort),
    LOCAL_BOOT_DELAY_SECONDS: '2',
    TEMPORAL_ADDRESS: '',
    DATABASE_URL: '',
    S3_ENDPOINT: '',
    S3_BUCKET: '',
  };
}

/** The ports a `startEnv` environment has `prescale start` listen on. */
export function startPorts(env: NodeJS.ProcessEnv): number[] {
  return ['PORT', 'TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'PGLITE_PORT', 'LOCAL_CLOUD_PORT', 'LOCAL_LB_PORT'].map((k) =>
    Number(env[k]),
  );
}

export function startPrescale(env: NodeJS.ProcessEnv): RunningStart {
  let output = '';
  const child = spawn(process.execPath, ['bin/prescale.js', 'start'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  return { child, output: () => output };
}

export async function waitReady(url: string, running: RunningStart): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (running.child.exitCode !== null)
      throw new Error(`prescale start exited ${running.child.exitCode}:\n${running.output()}`);
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`not ready within 120 s:\n${running.output()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Resolves with the exit code (null when killed by a signal). */
export async function exitCode(running: RunningStart): Promise<number | null> {
  if (running.child.exitCode !== null || running.child.signalCode !== null) return running.child.exitCode;
  const [code] = (await once(running.child, 'exit')) as [number | null];
  return code;
}

/** Ctrl-C, then the exit code. */
export async function stopPrescale(running: RunningStart): Promise<number | null> {
  running.child.kill('SIGINT');
  return exitCode(running);
}

/** Every process below `pid`: children, theirs, and so on (instances included: the local cloud starts them). */
export async function descendants(pid: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const parents = new Map(await Promise.all(pids.map(async (p) => [p, await parentPid(p)] as const)));
  const found: number[] = [];
  const walk = (parent: number): void => {
    for (const [p, pp] of parents)
      if (pp === parent) {
        found.push(p);
        walk(p);
      }
  };
  walk(pid);
  return found;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
