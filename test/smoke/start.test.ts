import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  startEnv,
  startPrescale as start,
  stopPrescale as stop,
  waitReady,
  type RunningStart,
} from '../support/prescale-start.js';
import { describeSoak, soak } from '../support/soak.js';
import { waitFor } from '../support/wait.js';

const ROOT = new URL('../../', import.meta.url).pathname;

describe('npm start: the whole system on embedded defaults', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let api: string;
  let key: string;
  /** The second start, left running for the soak. */
  let second: RunningStart | undefined;
  before(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'prescale-smoke-'));
    // Known, so the soak's fake agents can sign their pushes.
    env = {
      ...(await startEnv(dataDir)),
      PRESCALE_AGENT_SECRET: 'smoke-agent-secret-0123456789',
      RATE_LIMIT_PER_SECOND: '1000',
      RATE_LIMIT_BURST: '1000',
    };
    api = `http://127.0.0.1:${env.PORT}`;
  });
  after(async () => {
    if (second) assert.equal(await stop(second), 0, `clean exit on Ctrl-C:\n${second.output()}`);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('is what `npm start` runs', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    assert.equal(pkg.scripts.start, 'node bin/prescale.js start');
  });

  it('serves /readyz and the Temporal UI, keeps a resource set across a stop and a second start', async () => {
    const first = start(env);
    await waitReady(api, first);
    // The first run prints the first admin key once, after readiness.
    key = await waitFor(
      'the first admin key',
      () => Promise.resolve(/psk_[0-9a-f]{16}_[\w-]{43}/.exec(first.output())?.[0]),
      30_000,
    );
    const auth = { authorization: `Bearer ${key}` };
    const ui = await fetch(`http://127.0.0.1:${env.TEMPORAL_UI_PORT}/`);
    assert.equal(ui.status, 200, 'the Temporal Web UI answers');

    const created = await fetch(`${api}/v1/resource-sets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ id: 'web', provider: 'local', minInstances: 1, maxInstances: 10 }),
    });
    assert.equal(created.status, 201);
    // The demo: a resource set on the local cloud, fed by the replayed trace, deciding already.
    const demo = await waitFor(
      'a decision of the demo resource set',
      async () => {
        const res = await fetch(`${api}/v1/resource-sets/demo/decisions?limit=1`, { headers: auth });
        return res.ok ? ((await res.json()) as { items: { desiredInstances: number }[] }).items[0] : undefined;
      },
      60_000,
      1_000,
    );
    assert.ok(demo.desiredInstances >= 1);
    const lb = await waitFor(
      'demo traffic at the load balancer',
      async () =>
        /prescale_lb_arrivals_total\{resource_set="demo"\} [1-9]/.exec(
          await (await fetch(`http://127.0.0.1:${env.LOCAL_LB_PORT}/lb-metrics`)).text(),
        ),
      60_000,
      1_000,
    );
    assert.ok(lb);
    assert.equal((await fetch(`${api}/v1/resource-sets/web/pause`, { method: 'POST', headers: auth })).status, 202);
    assert.equal((await fetch(`${api}/v1/resource-sets/web`)).status, 401, 'the API wants a key');
    assert.equal(await stop(first), 0, `clean exit on Ctrl-C:\n${first.output()}`);
    assert.equal(
      await fetch(`${api}/healthz`).then(
        () => 'up',
        () => 'down',
      ),
      'down',
    );

    second = start(env);
    await waitReady(api, second);
    assert.doesNotMatch(second.output(), /Admin key/, 'the key is shown on the first run only');
    const got = await fetch(`${api}/v1/resource-sets/web`, { headers: auth });
    assert.equal(got.status, 200);
    const body = (await got.json()) as { status: { state: string } };
    assert.equal(body.status.state, 'paused', 'the workflow kept its state through the restart');
  });

  it('holds 50 writers and 10 agents pushing for 30 s: no 5xx, no wrong 401, no unanswered request, every write audited, every sample kept once', async () => {
    assert.ok(second, 'the system is running');
    const tally = await soak({
      url: api,
      adminKey: key,
      agentSecret: env.PRESCALE_AGENT_SECRET!,
      databaseUrl: `postgres://postgres@127.0.0.1:${env.PGLITE_PORT}/postgres`,
      seconds: 30,
      writers: 50,
      instances: 10,
      sets: 10,
    });
    const summary = describeSoak(tally);
    assert.ok(tally.writes > 100, summary);
    assert.deepEqual(
      [
        tally.serverErrors,
        tally.unauthorized,
        tally.unanswered,
        tally.auditMissing,
        tally.samplesLost,
        tally.rollupExcess,
      ],
      [0, 0, 0, 0, 0, 0],
      summary,
    );
  });
});
