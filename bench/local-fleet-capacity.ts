// How many local-cloud instances (sample service + agent, real processes) fit on this machine,
// at what load: for each fleet size, a flat open-loop load through the load balancer.
//   npx tsx bench/local-fleet-capacity.ts [--sizes 10,20,30] [--rps-per-instance 8] [--seconds 20]
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { rateSchedule } from '../src/load/schedule.js';
import { replay } from '../src/load/replay.js';
import { LocalProvider } from '../src/providers/local/client.js';
import { startLocalCloud } from '../src/providers/local/start-local-cloud.js';
import { freePort } from '../test/support/ports.js';
import { waitFor } from '../test/support/wait.js';
import { recordSection } from './support/results.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,20,30' },
    'rps-per-instance': { type: 'string', default: '8' },
    seconds: { type: 'string', default: '20' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const perInstance = Number(values['rps-per-instance']);
const seconds = Number(values.seconds);

/** Busy share of all cores between two reads of /proc/stat. */
async function cpuTimes(): Promise<{ busy: number; total: number }> {
  const fields = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3]! + fields[4]!;
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-fleet-bench-'));
const cloud = await startLocalCloud({
  port: await freePort(),
  lbPort: await freePort(),
  stateDir: path.join(dir, 'cloud'),
  logDir: path.join(dir, 'logs'),
  // Agents push to a port nothing listens on: they buffer, as they would during an outage.
  ingestUrl: `http://127.0.0.1:${await freePort()}`,
  agentSecret: 'bench-agent-secret-0123456789',
  bootDelaySeconds: 1,
  instanceLimit: 100,
  stopInstancesOnExit: true,
});
const provider = new LocalProvider({ url: cloud.apiUrl, token: cloud.token });
const rows: string[] = [];
try {
  let launched = 0;
  for (const size of sizes) {
    await provider.provision({
      resourceSetId: 'bench',
      count: size - launched,
      instanceType: 'local.small',
      image: 'sample-service:v1',
      idempotencyToken: `bench-${size}`,
    });
    launched = size;
    await waitFor(
      `${size} healthy instances`,
      async () => (await provider.describeInstances('bench')).filter((i) => i.healthy).length === size,
      180_000,
      1_000,
    );
    const rps = size * perInstance;
    const schedule = rateSchedule({ start: 0, values: [1] }, { speedup: 60 / seconds, peakRps: rps });
    const before = await cpuTimes();
    const summary = await replay({
      schedule,
      target: `${cloud.lbUrl}/rs/bench/work`,
      durationSeconds: seconds,
      maxRequests: rps * seconds * 2,
    });
    const after = await cpuTimes();
    const cpu = (after.busy - before.busy) / (after.total - before.total);
    const row = `| ${size} | ${2 * size} | ${rps} | ${summary.achievedRps.toFixed(1)} | ${((100 * summary.ok) / Math.max(1, summary.sent)).toFixed(2)} % | ${summary.latencyMs?.p50.toFixed(0) ?? '—'} | ${summary.latencyMs?.p95.toFixed(0) ?? '—'} | ${(cpu * 100).toFixed(0)} % |`;
    console.log(row);
    rows.push(row);
  }
} finally {
  await cloud.child.stop();
  await rm(dir, { recursive: true, force: true });
}
await recordSection(
  'Local fleet capacity',
  [
    `Command: \`npx tsx bench/local-fleet-capacity.ts --sizes ${sizes.join(',')} --rps-per-instance ${perInstance} --seconds ${seconds}\` — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} cores, Node ${process.version}.`,
    "Each instance is two real processes (sample service with its default configuration, and its agent); a flat open-loop Poisson load goes through the local cloud's load balancer; CPU is the busy share of both cores over the load window (the load generator and the load balancer included).",
    '',
    '| instances | processes | offered req/s | achieved req/s | 2xx | p50 ms | p95 ms | machine CPU busy |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n'),
);
