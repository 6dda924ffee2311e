// Before `prescale start` runs an embedded server it makes sure the data directory and the ports
// are its own: a stranger on a port would otherwise answer our readiness probe, and our workers
// would run another data directory's workflows.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger.js';
import type { Child } from './child.js';
import {
  describeHolder,
  isPortFree,
  isRunning,
  parentPid,
  portHolder,
  processArgs,
  processesWithArg,
  type ProcessInfo,
} from './processes.js';

/** Start-up refused for a reason the user can act on; `prescale start` prints it as one line. */
export class StartRefused extends Error {
  override name = 'StartRefused';
}

export interface EmbeddedPort {
  port: number;
  /** What would listen there, for messages: "the embedded Temporal server". */
  server: string;
  /** The setting that moves it. */
  variable: string;
  /** An argument only a server of this data directory carries (its database or state path). */
  stateArg?: string;
  /** The option that argument follows, to say what a stranger's is instead. */
  stateFlag?: string;
}

const SUPERVISOR_PID_FILE = 'supervisor.pid';

/**
 * Records us as the data directory's supervisor, refusing when another `prescale` process that
 * still runs already is: its servers are not leftovers, and ending them would break it.
 */
export async function claimDataDir(dataDir: string): Promise<void> {
  // Its database, Temporal's state and the agent secret are for us alone, not every user of the machine.
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700);
  const file = path.join(dataDir, SUPERVISOR_PID_FILE);
  const pid = Number(await readFile(file, 'utf8').catch(() => ''));
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
    const args = await processArgs(pid);
    // On Linux a reused pid shows a different command; elsewhere a live pid has to do.
    if (args.length === 0 || args.some((a) => a.includes('prescale'))) {
      throw new StartRefused(
        `the data directory ${dataDir} is in use by ${describeHolder({ pid, args })}; stop it first or set PRESCALE_DATA_DIR`,
      );
    }
  }
  await writeFile(file, `${process.pid}\n`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function foreignReason(port: EmbeddedPort, holder: ProcessInfo): string {
  if (!port.stateArg) return '';
  if (!port.stateFlag) return ': not a server of this data directory';
  const at = holder.args.indexOf(port.stateFlag);
  return at >= 0 && holder.args[at + 1]
    ? `: its ${port.stateFlag} is ${holder.args[at + 1]}, not this data directory's ${port.stateArg}`
    : `: it has no ${port.stateFlag}, so it is not this data directory's (${port.stateArg})`;
}

/**
 * Ends the servers an earlier run of this data directory left behind (its supervisor was killed
 * before it could end them): on any port, they would hold the database the new ones need.
 * Call after `claimDataDir`, which makes sure no live supervisor owns them.
 */
export async function endLeftovers(ports: EmbeddedPort[], logger: Logger): Promise<void> {
  const ended = new Set<number>();
  for (const port of ports) {
    if (!port.stateArg) continue;
    for (const leftover of await processesWithArg(port.stateArg)) {
      if (ended.has(leftover.pid)) continue;
      ended.add(leftover.pid);
      logger.warn({ pid: leftover.pid }, `ending ${port.server} left behind by an earlier run of this data directory`);
      await endLeftover(leftover.pid);
    }
  }
}

/** Checks that every port is free; one that is not stops start-up, naming who holds it and why it is not ours. */
export async function claimPorts(ports: EmbeddedPort[]): Promise<void> {
  for (const port of ports) {
    if (await isPortFree(port.port)) continue;
    const holder = await portHolder(port.port);
    const where = `port ${port.port} (${port.server})`;
    throw new StartRefused(
      holder
        ? `${where} is taken by ${describeHolder(holder)}${foreignReason(port, holder)}; stop it or set ${port.variable}`
        : `${where} is taken by another process; stop it or set ${port.variable}`,
    );
  }
}

/** SIGTERM, then SIGKILL; waits for the process to be gone, not just its port: it may still hold its database. */
async function endLeftover(pid: number): Promise<void> {
  for (const [signal, waitMs] of [
    ['SIGTERM', 10_000],
    ['SIGKILL', 3_000],
  ] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      if (!(await isRunning(pid))) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new StartRefused(`pid ${pid}, left behind by an earlier run of this data directory, does not end`);
}

/**
 * After `child` answers on `port`, checks that it is `child` (or the program it runs, under
 * tether.ts) that listens there, not someone who took the port between our check and its start.
 */
export async function assertOwnListener(child: Child, port: number, server: string): Promise<void> {
  const holder = await portHolder(port);
  // Where we cannot see listeners (not Linux) the port check before start has to do.
  if (!holder) return;
  if (holder.pid === child.process.pid || (await parentPid(holder.pid)) === child.process.pid) return;
  throw new StartRefused(`port ${port} answered, but from ${describeHolder(holder)}, not from ${server} we started`);
}
