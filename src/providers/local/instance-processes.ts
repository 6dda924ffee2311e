import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppConfig } from '../../domain/app-config.js';
import { SAMPLE_CONFIG_DELIVERY } from '../../sample-service/app-params.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const APP_SCRIPT = fileURLToPath(new URL('../../sample-service/main.ts', import.meta.url));
const AGENT_SCRIPT = fileURLToPath(new URL('../../agent/main.ts', import.meta.url));

/** Everything needed to start (or start again) one instance's two processes. */
export interface InstanceLaunch {
  id: string;
  resourceSetId: string;
  speed: number;
  image: string;
  config: AppConfig;
  appPort: number;
  agentPort: number;
  /** The instance's own directory: the agent's state and both processes' logs. */
  dir: string;
  ingestUrl: string;
  agentToken: string;
}

/**
 * Starts the sample service and its agent, each in its own process group with its output going
 * straight to a file: they must outlive the cloud process (a real cloud's VMs do not stop when its
 * control API restarts), which rules out pipes through us and `startChild`'s kill-on-exit.
 */
export async function spawnInstance(launch: InstanceLaunch): Promise<{ appPid: number; agentPid: number }> {
  await mkdir(launch.dir, { recursive: true });
  // The instance never needs the cloud's secret or its API token, only its own agent token: the
  // agent authenticates with it, and the app asks for it on /reload.
  const { PRESCALE_AGENT_SECRET: _secret, LOCAL_CLOUD_TOKEN: _token, ...env } = process.env;
  const appPid = spawnDetached(
    APP_SCRIPT,
    [
      '--port',
      String(launch.appPort),
      '--speed',
      String(launch.speed),
      '--image',
      launch.image,
      '--config',
      JSON.stringify(launch.config),
    ],
    path.join(launch.dir, 'app.log'),
    { ...env, PRESCALE_AGENT_TOKEN: launch.agentToken },
  );
  const agentPid = spawnDetached(
    AGENT_SCRIPT,
    [
      '--port',
      String(launch.agentPort),
      '--app-url',
      `http://127.0.0.1:${launch.appPort}`,
      '--app-pid',
      String(appPid),
      '--instance-id',
      launch.id,
      '--resource-set-id',
      launch.resourceSetId,
      '--ingest-url',
      launch.ingestUrl,
      '--state-dir',
      launch.dir,
      '--config-delivery',
      JSON.stringify(SAMPLE_CONFIG_DELIVERY),
    ],
    path.join(launch.dir, 'agent.log'),
    { ...env, PRESCALE_AGENT_TOKEN: launch.agentToken },
  );
  return { appPid, agentPid };
}

function spawnDetached(script: string, args: string[], logFile: string, env: NodeJS.ProcessEnv): number {
  const log = openSync(logFile, 'a');
  try {
    // cwd is the repository so `--import tsx` resolves whatever directory we were started from.
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    child.on('error', () => undefined);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${path.relative(ROOT, script)}`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

export type InstanceProcess = 'app' | 'agent';

/**
 * Whether `pid` is still the instance process we started on `port`. A pid alone is not enough:
 * after a reboot it may belong to a stranger, and we must neither adopt nor signal that one.
 */
export async function isInstanceProcess(
  pid: number | undefined,
  kind: InstanceProcess,
  port: number,
): Promise<boolean> {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.includes([kind === 'app' ? APP_SCRIPT : AGENT_SCRIPT, '--port', String(port)].join('\0'));
}

/** SIGTERM to each live process group, SIGKILL to what is left after `graceMs`. */
export async function stopInstanceProcesses(
  processes: { pid: number | undefined; kind: InstanceProcess; port: number }[],
  graceMs: number,
): Promise<void> {
  const alive = async (): Promise<number[]> => {
    const checks = await Promise.all(
      processes.map(async (p) => ((await isInstanceProcess(p.pid, p.kind, p.port)) ? p.pid : undefined)),
    );
    return checks.filter((pid): pid is number => pid !== undefined);
  };
  const signal = (pids: number[], name: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(-pid, name);
      } catch {
        // Gone in the meantime.
      }
    }
  };
  const gone = async (withinMs: number): Promise<boolean> => {
    const deadline = Date.now() + withinMs;
    while ((await alive()).length) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
    return true;
  };
  signal(await alive(), 'SIGTERM');
  if (await gone(graceMs)) return;
  signal(await alive(), 'SIGKILL');
  await gone(5_000);
}

/** A loopback port nobody listens on right now. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function isPortFree(port: number): Promise<boolean> {
  const server = createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false)).listen(port, '127.0.0.1', () => resolve(true));
  });
  if (free) await new Promise((resolve) => server.close(resolve));
  return free;
}
