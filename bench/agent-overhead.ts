// What one instance costs on its host: the sample service and its agent (default 5 s interval,
// pushing to a stand-in ingest receiver), at idle and under a moderate open-loop load.
// Run: npx tsx bench/agent-overhead.ts [--seconds 30] [--rate 100]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { processFigures, readProcess, type ProcessSnapshot } from '../src/agent/proc-stats.js';
import { StandInControlPlane, startAgent } from '../test/agent/support.js';
import { startSampleService } from '../test/sample-service/support.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '30' }, rate: { type: 'string', default: '100' } },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
if (!(seconds > 0) || !(rate > 0)) throw new Error('--seconds and --rate must be positive numbers');

interface Usage {
  cpuPercent: number;
  rssAvgMb: number;
  rssMaxMb: number;
}

/** CPU (per core, %) over the phase and RSS sampled every second, for each pid. */
async function measure(pids: number[], durationMs: number): Promise<Usage[]> {
  const first = await Promise.all(pids.map(readProcess));
  const rss: number[][] = pids.map(() => []);
  const deadline = Date.now() + durationMs;
  let last: (ProcessSnapshot | null)[] = first;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    last = await Promise.all(pids.map(readProcess));
    last.forEach((s, i) => {
      if (s) rss[i]!.push(s.rssBytes / 1e6);
    });
  }
  return pids.map((pid, i) => {
    const [a, b] = [first[i], last[i]];
    if (!a || !b) throw new Error(`process ${pid} went away during the measurement`);
    const samples = rss[i]!;
    return {
      cpuPercent: processFigures(a, b).processCpuPercent ?? NaN,
      rssAvgMb: samples.reduce((x, y) => x + y, 0) / samples.length,
      rssMaxMb: Math.max(...samples),
    };
  });
}

/** Open loop: `rate` requests per second whatever the answers, as real users send them. */
function openLoopLoad(url: string, perSecond: number): { stop(): Promise<Map<number, number>> } {
  const statuses = new Map<number, number>();
  const pending = new Set<Promise<void>>();
  let owed = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    // By elapsed time, not ticks: on a busy host the timer fires late, the users still arrive.
    const now = performance.now();
    owed += (perSecond * (now - last)) / 1000;
    last = now;
    for (; owed >= 1; owed--) {
      const p = fetch(`${url}/work`)
        .then(
          async (res) => {
            await res.arrayBuffer();
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          },
          () => {
            statuses.set(0, (statuses.get(0) ?? 0) + 1);
          },
        )
        .finally(() => pending.delete(p));
      pending.add(p);
    }
  }, 10);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      return statuses;
    },
  };
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-bench-agent-'));
const controlPlane = await StandInControlPlane.start();
// Fixed here (not the contract's default), so results stay comparable: ~35% busy at 100 req/s.
const params = { poolSize: 8, cacheSize: 1000, queueLimit: 64 };
const app = await startSampleService({ logDir: dir, config: { params } });
const agent = await startAgent({
  logDir: dir,
  appUrl: app.url,
  ingestUrl: controlPlane.url,
  stateDir: path.join(dir, 'state'),
  appPid: app.child.process.pid!,
  intervalMs: 5000,
});
const pids = [app.child.process.pid!, agent.child.process.pid!];
try {
  // Let start-up compilation (tsx) settle before measuring.
  await new Promise((r) => setTimeout(r, 5000));
  console.error(`measuring idle for ${seconds} s…`);
  const idle = await measure(pids, seconds * 1000);
  console.error(`measuring under ${rate} req/s for ${seconds} s…`);
  const load = openLoopLoad(app.url, rate);
  const loaded = await measure(pids, seconds * 1000);
  const statuses = await load.stop();

  const rows = [
    ['idle', 'sample service', idle[0]!],
    ['idle', 'agent', idle[1]!],
    [`${rate} req/s`, 'sample service', loaded[0]!],
    [`${rate} req/s`, 'agent', loaded[1]!],
  ] as const;
  console.log(
    `\nOne instance (sample-service:v1, speed 1, ${JSON.stringify(params)}; agent interval 5 s), ${seconds} s per phase, ${os.cpus().length} cores\n`,
  );
  console.log('phase        process          CPU % (one core)   RSS avg MB   RSS max MB');
  for (const [phase, name, u] of rows) {
    console.log(
      `${phase.padEnd(12)} ${name.padEnd(16)} ${u.cpuPercent.toFixed(2).padStart(17)} ${u.rssAvgMb.toFixed(1).padStart(12)} ${u.rssMaxMb.toFixed(1).padStart(12)}`,
    );
  }
  console.log(
    `\nanswers under load: ${[...statuses].map(([code, n]) => `${code === 0 ? 'failed' : code}×${n}`).join(', ')}`,
  );
  console.log(`samples delivered to the stand-in ingest receiver: ${controlPlane.samples.length}`);
} finally {
  await agent.stop();
  await app.stop();
  await controlPlane.stop();
  await rm(dir, { recursive: true, force: true });
}
