import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { MetricSample } from '../domain/metrics.js';

/** Counters read from /proc at one moment; a part that could not be read is null. */
export interface HostSnapshot {
  /** performance.now() when read. */
  at: number;
  cpu: { total: number; idle: number } | null;
  memoryUsedBytes: number | null;
  net: { rx: number; tx: number } | null;
  disk: { read: number; write: number } | null;
}

export interface ProcessSnapshot {
  at: number;
  /** utime + stime, in clock ticks. */
  cpuTicks: number;
  rssBytes: number;
}

export type HostFigures = Pick<
  MetricSample,
  | 'cpuPercent'
  | 'memoryBytes'
  | 'netRxBytesPerSec'
  | 'netTxBytesPerSec'
  | 'diskReadBytesPerSec'
  | 'diskWriteBytesPerSec'
>;
export type ProcessFigures = Pick<MetricSample, 'processCpuPercent' | 'processRssBytes'>;

function sysconf(name: string, fallback: number): number {
  try {
    const value = Number(execFileSync('getconf', [name], { encoding: 'utf8' }).trim());
    return Number.isInteger(value) && value > 0 ? value : fallback;
  } catch {
    return fallback;
  }
}

const CLOCK_TICKS = sysconf('CLK_TCK', 100);
const PAGE_SIZE = sysconf('PAGESIZE', 4096);
const SECTOR_BYTES = 512;

/**
 * Whole disks only: partitions and device-mapper volumes would count the same bytes twice, and
 * loop/ram devices are not storage traffic.
 */
const DISKS: ReadonlySet<string> | null = (() => {
  try {
    return new Set(readdirSync('/sys/block').filter((d) => !/^(loop|ram|zram|dm-|sr)/.test(d)));
  } catch {
    return null;
  }
})();

const read = (path: string): Promise<string | null> => readFile(path, 'utf8').catch(() => null);

function parseCpu(stat: string): HostSnapshot['cpu'] {
  const fields = stat.slice(0, stat.indexOf('\n')).trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 8 || fields.some((f) => !Number.isFinite(f))) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { total: user + nice + system + idle + iowait + irq + softirq + steal, idle: idle + iowait };
}

function parseMemoryUsed(meminfo: string): number | null {
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(meminfo);
    return m ? Number(m[1]) : undefined;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  return total === undefined || available === undefined ? null : (total - available) * 1024;
}

/** Bytes over every interface but loopback (traffic that never leaves the host is not network). */
function parseNet(netDev: string): HostSnapshot['net'] {
  let rx = 0;
  let tx = 0;
  for (const line of netDev.split('\n').slice(2)) {
    const [iface, rest] = line.split(':');
    if (!rest || iface?.trim() === 'lo') continue;
    const f = rest.trim().split(/\s+/).map(Number);
    rx += f[0] ?? 0;
    tx += f[8] ?? 0;
  }
  return { rx, tx };
}

function parseDisk(diskstats: string): HostSnapshot['disk'] {
  let sectorsRead = 0;
  let sectorsWritten = 0;
  for (const line of diskstats.split('\n')) {
    const f = line.trim().split(/\s+/);
    const name = f[2];
    if (!name || (DISKS ? !DISKS.has(name) : /^(loop|ram)/.test(name))) continue;
    sectorsRead += Number(f[5]) || 0;
    sectorsWritten += Number(f[9]) || 0;
  }
  return { read: sectorsRead * SECTOR_BYTES, write: sectorsWritten * SECTOR_BYTES };
}

export async function readHost(): Promise<HostSnapshot> {
  const [stat, meminfo, netDev, diskstats] = await Promise.all([
    read('/proc/stat'),
    read('/proc/meminfo'),
    read('/proc/net/dev'),
    read('/proc/diskstats'),
  ]);
  return {
    at: performance.now(),
    cpu: stat === null ? null : parseCpu(stat),
    memoryUsedBytes: meminfo === null ? null : parseMemoryUsed(meminfo),
    net: netDev === null ? null : parseNet(netDev),
    disk: diskstats === null ? null : parseDisk(diskstats),
  };
}

/** Null when the process is gone (or was never there). */
export async function readProcess(pid: number): Promise<ProcessSnapshot | null> {
  const stat = await read(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' do not.
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .trim()
    .split(/\s+/)
    .map(Number);
  // Field n of proc(5) is index n - 3 here: utime 14, stime 15, rss 24.
  const [utime, stime, rss] = [fields[11], fields[12], fields[21]];
  if (utime === undefined || stime === undefined || rss === undefined) return null;
  return { at: performance.now(), cpuTicks: utime + stime, rssBytes: rss * PAGE_SIZE };
}

function rate(prev: number, cur: number, seconds: number): number | null {
  return seconds > 0 && cur >= prev ? (cur - prev) / seconds : null;
}

/** Host CPU is the busy share of all cores, 0..100; rates are per second over the window. */
export function hostFigures(prev: HostSnapshot, cur: HostSnapshot): HostFigures {
  const seconds = (cur.at - prev.at) / 1000;
  const cpuTotal = prev.cpu && cur.cpu ? cur.cpu.total - prev.cpu.total : 0;
  return {
    cpuPercent:
      prev.cpu && cur.cpu && cpuTotal > 0
        ? Math.min(100, Math.max(0, 100 * (1 - (cur.cpu.idle - prev.cpu.idle) / cpuTotal)))
        : null,
    memoryBytes: cur.memoryUsedBytes,
    netRxBytesPerSec: prev.net && cur.net ? rate(prev.net.rx, cur.net.rx, seconds) : null,
    netTxBytesPerSec: prev.net && cur.net ? rate(prev.net.tx, cur.net.tx, seconds) : null,
    diskReadBytesPerSec: prev.disk && cur.disk ? rate(prev.disk.read, cur.disk.read, seconds) : null,
    diskWriteBytesPerSec: prev.disk && cur.disk ? rate(prev.disk.write, cur.disk.write, seconds) : null,
  };
}

/** Process CPU is per core, as top shows it: a process busy on two cores reads 200. */
export function processFigures(prev: ProcessSnapshot | null, cur: ProcessSnapshot | null): ProcessFigures {
  const seconds = prev && cur ? (cur.at - prev.at) / 1000 : 0;
  const ticksPerSecond = prev && cur ? rate(prev.cpuTicks, cur.cpuTicks, seconds) : null;
  return {
    processCpuPercent: ticksPerSecond === null ? null : (100 * ticksPerSecond) / CLOCK_TICKS,
    processRssBytes: cur?.rssBytes ?? null,
  };
}
