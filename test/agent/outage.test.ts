// The agent's on-disk buffer through an outage of a stand-in for the control plane's ingest
// endpoint (a test receiver that stores what it gets: the real endpoint is built separately).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, metricValue, startSampleService, type SampleServiceProcess } from '../sample-service/support.js';
import { freePort } from '../support/ports.js';
import { StandInControlPlane, startAgent, type AgentProcess } from './support.js';

let dir: string;
let app: SampleServiceProcess;
const agents: AgentProcess[] = [];
const receivers: StandInControlPlane[] = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-agent-outage-'));
  app = await startSampleService({ logDir: dir });
});
after(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await Promise.all(receivers.map((r) => r.stop()));
  await app.stop();
  await rm(dir, { recursive: true, force: true });
});

async function setUp(
  name: string,
  options: { bufferMaxSamples?: number; intervalMs: number },
): Promise<{ agent: AgentProcess; controlPlane: StandInControlPlane }> {
  const controlPlane = await StandInControlPlane.start();
  receivers.push(controlPlane);
  const agent = await startAgent({
    logDir: dir,
    appUrl: app.url,
    ingestUrl: controlPlane.url,
    stateDir: path.join(dir, name),
    instanceId: name,
    ...options,
  });
  agents.push(agent);
  return { agent, controlPlane };
}

const agentFigure = async (agent: AgentProcess, name: string): Promise<number> =>
  metricValue(await agent.metrics(), name);

/** Waits until the agent has delivered everything it sampled so far. */
async function drained(agent: AgentProcess, controlPlane: StandInControlPlane): Promise<void> {
  await eventually(
    'the buffer to drain',
    async () => {
      const m = await agent.metrics();
      const last = metricValue(m, 'prescale_agent_last_seq');
      return (
        metricValue(m, 'prescale_agent_buffered_samples') === 0 && controlPlane.samples.some((s) => s.seq === last)
      );
    },
    45_000,
  );
}

describe('agent buffering, pushing to a stand-in ingest receiver', () => {
  it('keeps samples through a control-plane outage and delivers every seq exactly once', async () => {
    const { agent, controlPlane } = await setUp('outage', { intervalMs: 500 });
    await eventually('samples before the outage', () => controlPlane.samples.length >= 3);
    await controlPlane.stop();
    await new Promise((r) => setTimeout(r, 10_000));
    assert.ok((await agentFigure(agent, 'prescale_agent_buffered_samples')) >= 10, 'samples pile up on disk');
    assert.ok((await agentFigure(agent, 'prescale_agent_push_failures_total')) >= 1);
    await controlPlane.restart();
    await drained(agent, controlPlane);

    const seqs = controlPlane.samples.map((s) => s.seq);
    assert.equal(new Set(seqs).size, seqs.length, 'no seq delivered twice');
    assert.deepEqual(
      [...seqs].sort((a, b) => a - b),
      Array.from({ length: seqs.length }, (_, i) => i),
      'no gaps',
    );
    assert.equal(await agentFigure(agent, 'prescale_agent_dropped_samples_total'), 0);
  });

  it('drops the oldest samples past its bound, and counts them', async () => {
    const { agent, controlPlane } = await setUp('bound', { intervalMs: 200, bufferMaxSamples: 5 });
    await controlPlane.stop();
    // The first sample covers the agent's start to its first boundary: it may arrive before the stop.
    const before = controlPlane.samples.length;
    await eventually(
      'drops',
      async () => (await agentFigure(agent, 'prescale_agent_dropped_samples_total')) >= 5,
      20_000,
    );
    assert.equal(await agentFigure(agent, 'prescale_agent_buffered_samples'), 5);
    await controlPlane.restart();
    await drained(agent, controlPlane);

    // Nothing else was delivered before the drops, so the dropped ones are exactly the seqs after those.
    const dropped = await agentFigure(agent, 'prescale_agent_dropped_samples_total');
    const seqs = controlPlane.samples.map((s) => s.seq);
    assert.equal(new Set(seqs).size, seqs.length);
    assert.deepEqual(
      seqs.slice(0, before),
      Array.from({ length: before }, (_, i) => i),
      'delivered before the stop',
    );
    const after = seqs.slice(before);
    assert.equal(Math.min(...after), before + dropped, 'the oldest were dropped');
    assert.deepEqual(
      after,
      Array.from({ length: after.length }, (_, i) => before + dropped + i),
      'everything newer arrived',
    );
  });

  it('refuses bad flags with a clear message', async () => {
    const agent = startAgent({
      logDir: dir,
      appUrl: app.url,
      ingestUrl: 'http://127.0.0.1:1',
      stateDir: path.join(dir, 'bad'),
      intervalMs: 7000,
      port: await freePort(),
    });
    await assert.rejects(agent, /--interval-ms: must divide a minute/);
  });
});
