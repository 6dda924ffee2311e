import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import { Registry } from 'prom-client';
import { createApp } from '../../src/api/app.js';
import type { ApiContext } from '../../src/api/context.js';
import { agentToken } from '../../src/domain/agent-token.js';
import { connectForRequests } from '../../src/infra/temporal.js';
import { createLogger } from '../../src/logger.js';
import { LocalProvider } from '../../src/providers/local/client.js';
import { startLocalCloud, type StartedLocalCloud } from '../../src/providers/local/start-local-cloud.js';
import { FolderObjectStore } from '../../src/store/objects/folder.js';
import { TEMPORAL_ADDRESS } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

/**
 * The control plane (the real API and its ingest into Postgres) goes down for 20 s while real
 * agents run on a real local cloud: afterwards every sample each agent made is stored, once.
 */
describe('agents across a control-plane outage (real API, Postgres, local cloud, agents)', () => {
  let database: TestDatabase;
  let dir: string;
  let cloud: StartedLocalCloud;
  let ctx: ApiContext;
  let port: number;
  let server: Server | undefined;
  const agentSecret = randomBytes(24).toString('base64url');

  async function listen(): Promise<void> {
    // A restarted control plane is a new process: a new app with its own metrics.
    server = createApp({ ...ctx, metrics: new Registry() }).listen(port, '127.0.0.1');
    await once(server, 'listening');
  }
  async function shutdown(): Promise<void> {
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
  }

  before(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-outage-'));
    port = await freePort();
    const connection = connectForRequests(TEMPORAL_ADDRESS);
    ctx = {
      db: database.db,
      objects: new FolderObjectStore(path.join(dir, 'objects')),
      logger: createLogger('silent'),
      metrics: new Registry(),
      agentSecret,
      temporal: { connection, client: new Client({ connection }), namespace: 'default', taskQueue: 'unused' },
    };
    await listen();
    cloud = await startLocalCloud({
      port: await freePort(),
      lbPort: await freePort(),
      stateDir: path.join(dir, 'cloud'),
      logDir: path.join(dir, 'logs'),
      ingestUrl: `http://127.0.0.1:${port}`,
      agentSecret,
      bootDelaySeconds: 1,
      stopInstancesOnExit: true,
    });
  });
  after(async () => {
    await cloud.child.stop();
    await shutdown();
    await ctx.temporal.connection.close();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const stored = async (instanceId: string) =>
    (
      await database.db.query<{ n: number; max: number | null }>(
        'SELECT count(*)::int AS n, max(seq)::int AS max FROM metric_samples WHERE instance_id = $1',
        [instanceId],
      )
    ).rows[0]!;
  const agentFigure = async (instance: { id: string; agentUrl?: string }, name: string): Promise<number> => {
    const text = await (
      await fetch(`${instance.agentUrl}/metrics`, {
        headers: { authorization: `Bearer ${agentToken(agentSecret, instance.id)}` },
      })
    ).text();
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  };

  it('stores every sample made during a 20 s outage, exactly once', async () => {
    const provider = new LocalProvider({ url: cloud.apiUrl, token: cloud.token });
    const launched = await provider.provision({
      resourceSetId: 'outage',
      count: 2,
      instanceType: 'local.small',
      image: 'sample-service:v1',
      idempotencyToken: 'outage-1',
    });
    const instances = await waitFor(
      '2 healthy instances',
      async () => {
        const all = (await provider.describeInstances('outage')).filter(
          (i) => launched.some((l) => l.id === i.id) && i.healthy,
        );
        return all.length === 2 ? all : undefined;
      },
      60_000,
    );
    await waitFor(
      'samples from both agents',
      async () => (await Promise.all(instances.map((i) => stored(i.id)))).every((s) => s.n > 0),
      60_000,
    );

    await shutdown();
    await new Promise((r) => setTimeout(r, 20_000));
    const buffered = await Promise.all(instances.map((i) => agentFigure(i, 'prescale_agent_buffered_samples')));
    assert.ok(
      buffered.every((b) => b >= 2),
      `the agents buffered while the control plane was down (${buffered.join(', ')})`,
    );
    const made = await Promise.all(instances.map((i) => agentFigure(i, 'prescale_agent_last_seq')));
    await listen();

    for (const [k, instance] of instances.entries()) {
      const s = await waitFor(
        `every sample of ${instance.id} up to seq ${made[k]}`,
        async () => {
          const figures = await stored(instance.id);
          return figures.max !== null && figures.max >= made[k]! ? figures : undefined;
        },
        60_000,
        1_000,
      );
      assert.equal(s.n, s.max! + 1, 'no gap and no duplicate: seq 0..max each stored once');
      assert.equal(await agentFigure(instance, 'prescale_agent_dropped_samples_total'), 0);
    }
  });
});
