import { readdir, readFile, readlink } from 'node:fs/promises';
import { createServer } from 'node:net';

/** A process as far as this machine lets us see it (Linux: /proc). */
export interface ProcessInfo {
  pid: number;
  args: string[];
}

/** Whether nothing listens on `port` on loopback: we could bind it right now. */
export async function isPortFree(port: number): Promise<boolean> {
  const server = createServer();
  const free = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (free) await new Promise((resolve) => server.close(resolve));
  return free;
}

/** Socket inodes listening on `port`, from /proc/net/tcp{,6} (state 0A is LISTEN). */
async function listeningInodes(port: number): Promise<Set<string>> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A' && cols[9]) inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** The process listening on `port`, or undefined when there is none or we cannot tell (not Linux, not ours to see). */
export async function portHolder(port: number): Promise<ProcessInfo | undefined> {
  const inodes = await listeningInodes(port);
  if (inodes.size === 0) return undefined;
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (inodes.has(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? ''))
        return { pid: Number(pid), args: await processArgs(Number(pid)) };
    }
  }
  return undefined;
}

/** Processes one of whose arguments is exactly `arg` (Linux; elsewhere none are found). */
export async function processesWithArg(arg: string): Promise<ProcessInfo[]> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name)).map(Number);
  const found = await Promise.all(pids.map(async (pid) => ({ pid, args: await processArgs(pid) })));
  return found.filter((p) => p.pid !== process.pid && p.args.includes(arg));
}

export async function processArgs(pid: number): Promise<string[]> {
  const text = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return text.split('\0').filter(Boolean);
}

/** The parent of `pid` (field 4 of /proc/<pid>/stat, after the parenthesised name). */
export async function parentPid(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
}

/** Whether `pid` still runs (a zombie, dead but not yet reaped, does not). */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // Where there is no /proc, a pid that takes signals has to do.
  return stat === undefined
    ? process.platform !== 'linux'
    : stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

/** `pid 123 (temporal server start-dev …)`, short enough for one line. */
export function describeHolder(holder: ProcessInfo): string {
  const command = holder.args.join(' ');
  return `pid ${holder.pid} (${command.length > 160 ? `${command.slice(0, 157)}…` : command || 'command unknown'})`;
}
