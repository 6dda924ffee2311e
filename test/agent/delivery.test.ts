// The agent's configuration contract with an app that is not the sample service, against real
// processes: a file written atomically then SIGHUP or a reload command, an HTTP hook, and restart.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { renderConfigFile } from '../../src/agent/delivery/config-formats.js';
import type { AppConfig } from '../../src/domain/app-config.js';
import { startChild, waitUntilReady, type Child } from '../../src/infra/child.js';
import { freePort } from '../support/ports.js';
import { eventually } from '../sample-service/support.js';
import { StandInControlPlane, startAgent, type AgentProcess } from './support.js';

const SETTINGS_APP = fileURLToPath(new URL('./settings-app.ts', import.meta.url));

interface SettingsApp {
  url: string;
  child: Child;
  running(): Promise<{ settings: unknown; version: unknown; reloads: number }>;
  stop(): Promise<void>;
}

let dir: string;
let controlPlane: StandInControlPlane;

async function startSettingsApp(args: string[] = []): Promise<SettingsApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = await startChild(
    `settings-app-${port}`,
    process.execPath,
    ['--import', 'tsx', SETTINGS_APP, '--port', String(port), ...args],
    { logDir: dir },
  );
  await waitUntilReady(
    child,
    async () => {
      if (!(await fetch(`${url}/healthz`)).ok) throw new Error('not ready');
    },
    30_000,
  );
  return {
    url,
    child,
    running: async () => (await fetch(`${url}/settings`)).json() as never,
    stop: () => child.stop(5_000),
  };
}

const launchAgent = (app: SettingsApp, configDelivery: unknown, stateDir: string): Promise<AgentProcess> =>
  startAgent({
    logDir: dir,
    appUrl: app.url,
    ingestUrl: controlPlane.url,
    stateDir: path.join(dir, stateDir),
    configDelivery,
  });
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-agent-delivery-'));
  controlPlane = await StandInControlPlane.start();
});
after(async () => {
  await controlPlane.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('config delivery by a YAML file and SIGHUP', () => {
  let file: string;
  let pidFile: string;
  let app: SettingsApp;
  let agent: AgentProcess;
  const v1: AppConfig = { version: 1, params: { workers: 4, mode: 'fast', ratio: 0.5 } };
  const v2: AppConfig = { version: 2, params: { workers: 8, mode: 'yes: no # not a comment', ratio: 0.25 } };
  const startApp = (): Promise<SettingsApp> =>
    startSettingsApp(['--file', file, '--format', 'yaml', '--pid-file', pidFile]);

  before(async () => {
    file = path.join(dir, 'settings.yaml');
    pidFile = path.join(dir, 'settings-app.pid');
    app = await startApp();
    agent = await launchAgent(
      app,
      { method: 'file', path: file, format: 'yaml', reload: { signal: 'SIGHUP', pidFile } },
      'agent-yaml',
    );
  });
  after(async () => {
    await agent.stop();
    await app.stop();
  });

  it('writes each version to the file and signals the app, which serves it', async () => {
    assert.deepEqual((await agent.request('PUT', '/config', v1)).body, { appliedVersion: 1, changed: true });
    await eventually('the app to run v1', async () => (await app.running()).reloads === 1);
    assert.deepEqual((await app.running()).settings, v1.params);

    assert.deepEqual((await agent.request('PUT', '/config', v2)).body, { appliedVersion: 2, changed: true });
    await eventually('the app to run v2', async () => (await app.running()).reloads === 2);
    assert.deepEqual((await app.running()).settings, v2.params);
    assert.equal(await readFile(file, 'utf8'), renderConfigFile(v2.params, 'yaml'));
  });

  it('applies the same version once: no second write, no second reload', async () => {
    assert.deepEqual((await agent.request('PUT', '/config', v2)).body, { appliedVersion: 2, changed: false });
    await pause(500);
    assert.equal((await app.running()).reloads, 2);
  });

  it('writes the file again when someone else changed it', async () => {
    await writeFile(file, 'workers: 1\n');
    await eventually(
      'the agent to restore the file and reload the app',
      async () => (await app.running()).reloads === 3,
    );
    assert.equal(await readFile(file, 'utf8'), renderConfigFile(v2.params, 'yaml'));
    assert.deepEqual((await app.running()).settings, v2.params);
  });

  it('puts the previous file back and reports failure when the app cannot be signalled', async () => {
    await app.stop();
    const failed = await agent.request('PUT', '/config', {
      version: 3,
      params: { workers: 16, mode: 'safe', ratio: 1 },
    });
    assert.equal(failed.status, 502);
    assert.equal(failed.body.error.code, 'app_unavailable');
    assert.match(failed.body.error.details.reason, /cannot send SIGHUP to pid \d+ .*no such process/);
    assert.equal(failed.body.error.details.appliedVersion, 2);
    assert.equal(await readFile(file, 'utf8'), renderConfigFile(v2.params, 'yaml'));
    assert.deepEqual((await agent.request('GET', '/config')).body, v2);

    // Started again, the app reads the version that is still applied.
    app = await startApp();
    assert.deepEqual((await app.running()).settings, v2.params);
  });
});

describe('config delivery by an env file and a reload command', () => {
  let app: SettingsApp;
  let agent: AgentProcess;
  const v1: AppConfig = {
    version: 1,
    params: { workers: 4, mode: 'fast', label: 'say "hi" to $HOME\nand leave', debug: false },
  };

  before(async () => {
    const file = path.join(dir, 'settings.env');
    const pidFile = path.join(dir, 'env-app.pid');
    app = await startSettingsApp(['--file', file, '--format', 'env', '--pid-file', pidFile]);
    // A reload command as an operator writes one: check the file, then signal the app; exit non-zero to refuse.
    const script = `const fs = require('node:fs');
      if (fs.readFileSync(process.env.PRESCALE_CONFIG_FILE, 'utf8').includes('mode="reject"')) { console.error('mode "reject" is not a mode'); process.exit(3); }
      process.kill(Number(fs.readFileSync(${JSON.stringify(pidFile)}, 'utf8')), 'SIGHUP');`;
    agent = await launchAgent(
      app,
      { method: 'file', path: file, format: 'env', reload: { command: [process.execPath, '-e', script] } },
      'agent-env',
    );
  });
  after(async () => {
    await agent.stop();
    await app.stop();
  });

  it('writes an env file the app reads back value for value', async () => {
    assert.equal((await agent.request('PUT', '/config', v1)).status, 200);
    await eventually('the app to run v1', async () => (await app.running()).reloads === 1);
    assert.deepEqual((await app.running()).settings, v1.params);
  });

  it('puts the previous file back when the command refuses one, and says so', async () => {
    const refused = await agent.request('PUT', '/config', { version: 2, params: { ...v1.params, mode: 'reject' } });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'config_refused');
    assert.match(refused.body.error.details.reason, /exited 3: mode "reject" is not a mode/);
    assert.equal(refused.body.error.details.restored, true);
    assert.deepEqual((await agent.request('GET', '/config')).body, v1);
    assert.deepEqual((await app.running()).settings, v1.params);
  });
});

describe('config delivery by an HTTP hook on an app that is not the sample service', () => {
  let app: SettingsApp;
  let agent: AgentProcess;
  const v1: AppConfig = { version: 1, params: { workers: 4, mode: 'fast' } };

  before(async () => {
    app = await startSettingsApp();
    agent = await launchAgent(app, { method: 'http', url: `${app.url}/settings` }, 'agent-http');
  });
  after(async () => {
    await agent.stop();
    await app.stop();
  });

  it('PUTs each version once to the hook', async () => {
    assert.deepEqual((await agent.request('PUT', '/config', v1)).body, { appliedVersion: 1, changed: true });
    assert.deepEqual(await app.running(), { settings: v1.params, version: 1, reloads: 1 });
    assert.deepEqual((await agent.request('PUT', '/config', v1)).body, { appliedVersion: 1, changed: false });
    assert.equal((await app.running()).reloads, 1);
  });

  it('puts the previous version back when the hook refuses one (4xx)', async () => {
    const refused = await agent.request('PUT', '/config', { version: 2, params: { ...v1.params, mode: 'reject' } });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.error.code, 'config_refused');
    assert.match(refused.body.error.details.reason, /HTTP 422: mode "reject" is not a mode/);
    assert.equal(refused.body.error.details.restored, true);
    assert.deepEqual((await app.running()).settings, v1.params);
  });
});

describe('config delivery by restart', () => {
  it('is refused by the agent, saying the instance must be replaced', async () => {
    const app = await startSettingsApp();
    const agent = await launchAgent(app, { method: 'restart' }, 'agent-restart');
    try {
      const refused = await agent.request('PUT', '/config', { version: 1, params: { workers: 2 } });
      assert.equal(refused.status, 409);
      assert.match(refused.body.error.message, /only on a restart .*replace the instance/);
    } finally {
      await agent.stop();
      await app.stop();
    }
  });
});
