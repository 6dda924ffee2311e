import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LocalProvider } from '../../src/providers/local/client.js';
import {
  startLocalCloud,
  type LocalCloudStartOptions,
  type StartedLocalCloud,
} from '../../src/providers/local/start-local-cloud.js';
import type { CloudState } from '../../src/providers/local/state-file.js';
import { localCloudToken } from '../../src/providers/local/token.js';
import type { Instance } from '../../src/domain/provider.js';
import { freePort } from '../support/ports.js';

/** A local cloud in its own temporary directory, with a short boot delay, and a provider for it. */
export class TestCloud {
  started!: StartedLocalCloud;
  readonly provider: LocalProvider;

  private constructor(readonly options: LocalCloudStartOptions) {
    this.provider = new LocalProvider({
      url: `http://127.0.0.1:${options.port}`,
      token: localCloudToken(options.token, options.agentSecret),
      pollIntervalMs: 200,
      settleTimeoutMs: 90_000,
      // A launch answers once its processes are spawned: 20 instances (40 processes) on a busy
      // 2-core CI machine took more than the client's default 10 s once.
      requestTimeoutMs: 60_000,
    });
  }

  static async create(overrides: Partial<LocalCloudStartOptions> = {}): Promise<TestCloud> {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'prescale-local-cloud-'));
    const cloud = new TestCloud({
      port: await freePort(),
      lbPort: await freePort(),
      stateDir,
      logDir: path.join(stateDir, 'logs'),
      // Nothing listens there: agents buffer their samples, which is all these tests need.
      ingestUrl: `http://127.0.0.1:${await freePort()}`,
      agentSecret: randomBytes(24).toString('hex'),
      bootDelaySeconds: 1,
      healthIntervalMs: 250,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      ...overrides,
    });
    await cloud.start();
    return cloud;
  }

  async start(): Promise<void> {
    this.started = await startLocalCloud(this.options);
  }

  get lbUrl(): string {
    return this.started.lbUrl;
  }

  async state(): Promise<CloudState> {
    return JSON.parse(await readFile(path.join(this.options.stateDir, 'cloud-state.json'), 'utf8')) as CloudState;
  }

  /** Polls describe until `done` holds for the set's instances. */
  async waitFor(
    resourceSetId: string,
    done: (instances: Instance[]) => boolean,
    timeoutMs = 90_000,
  ): Promise<Instance[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const instances = await this.provider.describeInstances(resourceSetId);
      if (done(instances)) return instances;
      if (Date.now() > deadline)
        throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(instances)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Instance processes (agent, app) of this cloud that run on the machine, found by their command lines. */
  async runningProcesses(): Promise<{ agents: number[]; apps: number[] }> {
    const agents: number[] = [];
    const apps: number[] = [];
    const marker = `--state-dir\0${path.join(this.options.stateDir, 'instances')}`;
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
      if (!cmdline.includes(marker)) continue;
      agents.push(Number(entry));
      // Each agent is told its app's pid; an app without its agent cannot exist (they start together).
      const appPid = /--app-pid\0(\d+)/.exec(cmdline)?.[1];
      if (appPid && isAlive(Number(appPid))) apps.push(Number(appPid));
    }
    return { agents: agents.sort(), apps: apps.sort() };
  }

  /** Stops the cloud and, whatever happened in the test, every instance process it recorded. */
  async destroy(): Promise<void> {
    await this.started.child.stop(15_000);
    const state = await this.state().catch(() => undefined);
    for (const record of Object.values(state?.instances ?? {})) {
      for (const pid of [record.app.pid, record.agent.pid]) {
        if (pid !== undefined && isAlive(pid)) process.kill(-pid, 'SIGKILL');
      }
    }
    await rm(this.options.stateDir, { recursive: true, force: true });
  }
}

/** Running, not just a zombie waiting for whoever adopted it to reap it (its command line is empty then). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').length > 0;
  } catch {
    return false;
  }
}

/** GETs through the load balancer; returns each answer's status and the instance that served it. */
export async function requestThroughLb(
  lbUrl: string,
  resourceSetId: string,
  count: number,
): Promise<{ status: number; instance: string | null }[]> {
  const results = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${lbUrl}/rs/${resourceSetId}/work`);
    await response.arrayBuffer();
    results.push({ status: response.status, instance: response.headers.get('x-prescale-instance-id') });
  }
  return results;
}
