// Samples from a real agent beside a real sample service, pushed to a stand-in for the control
// plane's ingest endpoint (a test receiver: the real endpoint is built separately).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, sendLoad, startSampleService, type SampleServiceProcess } from '../sample-service/support.js';
import { StandInControlPlane, startAgent, type AgentProcess } from './support.js';

const INTERVAL_MS = 1000;
let dir: string;
let app: SampleServiceProcess;
let agent: AgentProcess;
let controlPlane: StandInControlPlane;

const launchAgent = (): Promise<AgentProcess> =>
  startAgent({
    logDir: dir,
    appUrl: app.url,
    ingestUrl: controlPlane.url,
    stateDir: path.join(dir, 'agent-state'),
    appPid: app.child.process.pid!,
    intervalMs: INTERVAL_MS,
  });
const maxSeq = (): number => Math.max(-1, ...controlPlane.samples.map((s) => s.seq));

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-agent-samples-'));
  controlPlane = await StandInControlPlane.start();
  app = await startSampleService({
    logDir: dir,
    speed: 2,
    config: { params: { poolSize: 8, cacheSize: 1000, queueLimit: 1000 } },
  });
  agent = await launchAgent();
});
after(async () => {
  await agent.stop();
  await app.stop();
  await controlPlane.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('agent samples, pushed to a stand-in ingest receiver', () => {
  it('counts the requests sent to its app, within 2%', async () => {
    // The first sample means the agent has its baseline: every request from here on is counted.
    await eventually('a first sample', () => controlPlane.samples.length > 0);
    const sent = 600;
    const load = await sendLoad(app.url, sent, 8);
    assert.equal(load.statuses.get(200), sent);
    const loadEnded = Date.now();
    await eventually(
      'the interval holding the end of the load to be delivered',
      () => controlPlane.samples.some((s) => s.ts - s.intervalMs >= loadEnded),
      15_000,
    );

    const samples = controlPlane.samples;
    const counted = samples.reduce((n, s) => n + s.requests, 0);
    assert.ok(Math.abs(counted - sent) <= sent * 0.02, `samples count ${counted} requests; ${sent} were sent`);
    assert.equal(
      samples.reduce((n, s) => n + s.errors, 0),
      0,
    );
    const busy = samples.filter((s) => s.requests > 0);
    assert.ok(busy.every((s) => s.latencyP50Ms! > 0 && s.latencyP99Ms! >= s.latencyP50Ms! && s.poolUtilization! > 0));
    for (const s of samples) {
      assert.equal(s.ts % INTERVAL_MS, 0, 'aligned to the wall clock');
      // The first covers the agent's start to the first boundary: its baseline is taken at start.
      if (s === samples[0])
        assert.ok(s.intervalMs > 0 && s.intervalMs <= INTERVAL_MS, `first interval ${s.intervalMs} ms`);
      else assert.equal(s.intervalMs, INTERVAL_MS);
      assert.ok(s.processRssBytes! > 10_000_000, 'the app process was found');
      assert.notEqual(s.cpuPercent, null);
      assert.equal(s.custom.app_pool_size, 8);
    }
    const own = await agent.metrics();
    assert.ok(own.samples.some((m) => m.name === 'prescale_instance_requests'));
    assert.equal(own.samples.find((m) => m.name === 'prescale_agent_buffered_samples')?.value, 0);
  });

  it('counts requests made just before the app stopped answering scrapes, once it answers again', async () => {
    const sent = 300;
    const countedFrom = controlPlane.samples.length;
    const load = await sendLoad(app.url, sent, 8);
    assert.equal(load.statuses.get(200), sent);
    // Frozen for longer than a scrape's timeout: the scrapes in between fail, as on a starved host.
    const pid = app.child.process.pid!;
    process.kill(pid, 'SIGSTOP');
    try {
      await new Promise((r) => setTimeout(r, 4_000));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const resumed = Date.now();
    await eventually(
      'a sample closing after the app answered again',
      () => controlPlane.samples.some((s) => s.ts - s.intervalMs >= resumed),
      15_000,
    );
    const counted = controlPlane.samples.slice(countedFrom).reduce((n, s) => n + s.requests, 0);
    assert.ok(Math.abs(counted - sent) <= sent * 0.02, `samples count ${counted} requests; ${sent} were sent`);
  });

  it('keeps seq strictly increasing across an agent restart', async () => {
    const before = maxSeq();
    await agent.stop();
    agent = await launchAgent();
    await eventually('samples from the restarted agent', () => maxSeq() >= before + 2, 15_000);
    const seqs = controlPlane.samples.map((s) => s.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'delivered in order',
    );
    assert.equal(new Set(seqs).size, seqs.length, 'no seq twice');
    assert.deepEqual(
      seqs,
      Array.from({ length: seqs.length }, (_, i) => i),
      'no gaps',
    );
  });
});
