// PUT /config against a real agent and a real sample service: idempotent by version, validated,
// put back when the app refuses or is down, and persisted across agent restarts.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AppConfig } from '../../src/domain/app-config.js';
import { freePort } from '../support/ports.js';
import { eventually, startSampleService, type SampleServiceProcess } from '../sample-service/support.js';
import { StandInControlPlane, startAgent, type AgentProcess } from './support.js';

let dir: string;
let appPort: number;
let app: SampleServiceProcess;
let agent: AgentProcess;
let controlPlane: StandInControlPlane;

const launchParams = { poolSize: 8, cacheSize: 1000, queueLimit: 64 };
const v2: AppConfig = { version: 2, params: { poolSize: 4, cacheSize: 500, queueLimit: 32 } };
const startApp = (): Promise<SampleServiceProcess> =>
  startSampleService({ logDir: dir, port: appPort, config: { version: 1, params: launchParams } });
const appConfig = async (): Promise<unknown> => (await fetch(`${app.url}/config`)).json();
const launchAgent = (): Promise<AgentProcess> =>
  startAgent({
    logDir: dir,
    appUrl: app.url,
    ingestUrl: controlPlane.url,
    stateDir: path.join(dir, 'agent-state'),
    appPid: app.child.process.pid!,
  });

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-agent-config-'));
  appPort = await freePort();
  controlPlane = await StandInControlPlane.start();
  app = await startApp();
  agent = await launchAgent();
});
after(async () => {
  await agent.stop();
  await app.stop();
  await controlPlane.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('agent configuration', () => {
  it('adopts the configuration the app was launched with', async () => {
    const adopted = await eventually('the agent to adopt v1', async () => {
      const res = await agent.request('GET', '/config');
      return res.status === 200 && (res.body as unknown);
    });
    assert.deepEqual(adopted, { version: 1, params: launchParams });
  });

  it('requires the agent token on PUT /config', async () => {
    assert.equal((await agent.request('PUT', '/config', v2, null)).status, 401);
    assert.equal((await agent.request('PUT', '/config', v2, 'not-the-token')).status, 401);
    assert.equal((await agent.request('GET', '/config')).body.version, 1);
  });

  it('applies a version once: the same version again is a no-op', async () => {
    const first = await agent.request('PUT', '/config', v2);
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, { appliedVersion: 2, changed: true });
    assert.deepEqual(await appConfig(), v2);

    const again = await agent.request('PUT', '/config', v2);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { appliedVersion: 2, changed: false });

    const sameVersionOtherParams = await agent.request('PUT', '/config', {
      version: 2,
      params: { ...v2.params, poolSize: 5 },
    });
    assert.equal(sameVersionOtherParams.status, 409);
    assert.equal(sameVersionOtherParams.body.error.code, 'version_conflict');
    assert.deepEqual(await appConfig(), v2);
  });

  it('rejects an invalid configuration and applies nothing', async () => {
    // The agent knows no app's parameters (the app's profile was checked when the template was made): it refuses what is no parameter value at all.
    const invalid = await agent.request('PUT', '/config', {
      version: 3,
      params: { ...v2.params, poolSize: { threads: 2 } },
    });
    assert.equal(invalid.status, 400);
    assert.match(invalid.body.error.message, /body\.params\.poolSize/);
    // Out of the app's range: the app refuses it, and the agent keeps what ran.
    const outOfRange = await agent.request('PUT', '/config', { version: 3, params: { ...v2.params, poolSize: 0 } });
    assert.equal(outOfRange.status, 409);
    assert.match(outOfRange.body.error.details.reason, /poolSize/);
    const extra = await agent.request('PUT', '/config', { version: 3, params: v2.params, instanceType: 'local.large' });
    assert.equal(extra.status, 400);
    assert.equal((await agent.request('PUT', '/config', '{"version": 3,')).status, 400);
    assert.deepEqual((await agent.request('GET', '/config')).body, v2);
    assert.deepEqual(await appConfig(), v2);
  });

  it('puts the previous version back when the app refuses one, and says so', async () => {
    // Valid for the contract, but more cache than a speed-1 instance holds.
    const refused = await agent.request('PUT', '/config', { version: 3, params: { ...v2.params, cacheSize: 900_000 } });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'config_refused');
    assert.match(refused.body.error.message, /version 2 is still applied/);
    assert.deepEqual(refused.body.error.details, {
      appliedVersion: 2,
      requestedVersion: 3,
      restored: true,
      reason: refused.body.error.details.reason,
    });
    assert.deepEqual((await agent.request('GET', '/config')).body, v2);
    assert.deepEqual(await appConfig(), v2);
  });

  it('reports the previous version while the app is down, and re-applies it when the app is back', async () => {
    await app.stop();
    const health = await agent.request('GET', '/healthz');
    assert.equal(health.status, 503);
    assert.match(health.body.reason, /did not answer \/healthz/);

    const failed = await agent.request('PUT', '/config', { version: 4, params: { ...v2.params, poolSize: 6 } });
    assert.equal(failed.status, 502);
    assert.equal(failed.body.error.code, 'app_unavailable');
    assert.equal(failed.body.error.details.appliedVersion, 2);
    assert.equal(failed.body.error.details.restored, false);
    assert.deepEqual((await agent.request('GET', '/config')).body, v2);

    // The app comes back with its launch configuration (v1); the agent brings it to v2.
    app = await startApp();
    await eventually('the app to run v2 again', async () => ((await appConfig()) as AppConfig).version === 2);
    assert.deepEqual(await appConfig(), v2);
    assert.equal((await agent.request('GET', '/healthz')).status, 200);
  });

  it('keeps the applied configuration across an agent restart', async () => {
    await agent.stop();
    agent = await launchAgent();
    assert.deepEqual((await agent.request('GET', '/config')).body, v2);
    assert.equal((await agent.request('PUT', '/config', v2)).body.changed, false);
  });
});
