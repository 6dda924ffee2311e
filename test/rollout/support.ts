import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentToken } from '../../src/domain/agent-token.js';
import { startChild, waitUntilReady, type Child } from '../../src/infra/child.js';
import type { RolloutProgress } from '../../src/workflows/rollout-messages.js';
import { TEMPORAL_ADDRESS, startTestApi, uniqueId, type SystemApi, type TestApi } from '../support/api.js';

const WORKER_SCRIPT = fileURLToPath(new URL('../support/worker-process.ts', import.meta.url));

/** A rollout as GET /v1/resource-sets/:id/rollouts shows it. */
export type RolloutView = RolloutProgress;

export interface CloudInstance {
  id: string;
  state: string;
  healthy: boolean;
  image: string;
  instanceType: string;
  agentUrl: string;
}

/**
 * The real system (API, Postgres, object storage, Temporal, a local cloud of real instances whose
 * agents push metrics) with the resource sets' workflows and activities served by a worker in a
 * process of its own, which a test can kill and start again.
 */
export class RolloutHarness {
  private worker: Child | null = null;
  private workers = 0;

  private constructor(
    readonly api: TestApi,
    private readonly taskQueue: string,
    private readonly logDir: string,
  ) {}

  static async start(): Promise<RolloutHarness> {
    const api = await startTestApi({ fleet: { bootDelaySeconds: 1 } });
    // Sets created through the API run on our worker's queue; the harness's own main worker idles.
    const taskQueue = `test-rollout-${randomBytes(4).toString('hex')}`;
    api.ctx.temporal.taskQueue = taskQueue;
    const harness = new RolloutHarness(
      api,
      taskQueue,
      path.join(path.dirname(api.cloud!.child.logFile), 'rollout-workers'),
    );
    await harness.startWorker();
    return harness;
  }

  get lbUrl(): string {
    return this.api.cloud!.lbUrl;
  }

  async startWorker(): Promise<void> {
    const child = await startChild(`worker-${++this.workers}`, process.execPath, ['--import', 'tsx', WORKER_SCRIPT], {
      logDir: this.logDir,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS,
        TASK_QUEUE: this.taskQueue,
        DATABASE_URL: this.api.database.url,
        LOCAL_CLOUD_URL: this.api.cloud!.apiUrl,
        PRESCALE_AGENT_SECRET: this.api.ctx.agentSecret,
        OBJECTS_DIR: path.join(this.logDir, 'objects'),
      },
    });
    await waitUntilReady(
      child,
      async () => {
        if (!(await child.tail(50)).includes('worker ready')) throw new Error('not ready yet');
      },
      120_000,
    );
    this.worker = child;
  }

  /** SIGKILL: no graceful shutdown, in-flight activities are simply lost. */
  async killWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    worker?.process.kill('SIGKILL');
    await worker?.exited;
  }

  async instances(resourceSetId: string): Promise<CloudInstance[]> {
    return liveInstances(this.api, resourceSetId);
  }

  /** Each live instance with the configuration version its agent applied. */
  async configured(resourceSetId: string): Promise<{ id: string; image: string; version: number | null }[]> {
    return configuredInstances(this.api, resourceSetId);
  }

  /** A set of `count` instances kept at that size, every one running and healthy. */
  async fleet(count: number): Promise<string> {
    const id = uniqueId('roll');
    const created = await this.api.request('POST', '/v1/resource-sets', {
      id,
      provider: 'local',
      minInstances: count,
      maxInstances: count,
      policy: { intervalSeconds: 5 },
    });
    if (created.status !== 201) throw new Error(`create: ${created.status} ${JSON.stringify(created.body)}`);
    await waitFor(
      async () => (await this.instances(id)).filter((i) => i.state === 'running' && i.healthy).length === count,
      90_000,
    );
    return id;
  }

  async template(name: string, body: unknown): Promise<number> {
    const res = await this.api.request('POST', `/v1/templates/${name}/versions`, body);
    if (res.status !== 201 && res.status !== 200)
      throw new Error(`template: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.version as number;
  }

  async rollouts(resourceSetId: string): Promise<RolloutView[]> {
    return rolloutsOf(this.api, resourceSetId);
  }

  /** Waits for the set's latest rollout to finish and answers it. */
  async finished(resourceSetId: string, timeoutMs = 150_000): Promise<RolloutView> {
    let latest: RolloutView | undefined;
    await waitFor(async () => {
      latest = (await this.rollouts(resourceSetId))[0];
      const state = await this.api.request('GET', `/v1/resource-sets/${resourceSetId}`);
      return Boolean(latest?.finishedAt) && state.body.status.activeRollout === null;
    }, timeoutMs);
    return latest!;
  }

  /**
   * Steady traffic through the cloud's load balancer until stopped: `concurrency` callers in a
   * loop, each pausing between requests. Bounded by `maxSeconds` whatever happens.
   */
  traffic(
    resourceSetId: string,
    options: { concurrency?: number; pauseMs?: number; maxSeconds?: number } = {},
  ): { stop(): Promise<void> } {
    const { concurrency = 4, pauseMs = 40, maxSeconds = 240 } = options;
    const controller = new AbortController();
    const deadline = Date.now() + maxSeconds * 1000;
    const caller = async (): Promise<void> => {
      while (!controller.signal.aborted && Date.now() < deadline) {
        await fetch(`${this.lbUrl}/rs/${resourceSetId}/work`, {
          signal: AbortSignal.any([controller.signal, AbortSignal.timeout(5_000)]),
        })
          .then((r) => r.body?.cancel())
          .catch(() => undefined);
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    };
    const callers = Array.from({ length: concurrency }, caller);
    return {
      async stop() {
        controller.abort();
        await Promise.all(callers);
      },
    };
  }

  async close(): Promise<void> {
    await this.worker?.stop();
    await this.api.close();
  }
}

/** The set's live instances, as the local cloud lists them. */
export async function liveInstances(api: SystemApi, resourceSetId: string): Promise<CloudInstance[]> {
  const res = await fetch(`${api.cloud!.apiUrl}/instances?resourceSetId=${resourceSetId}`, {
    headers: { authorization: `Bearer ${api.cloud!.token}` },
  });
  const { instances } = (await res.json()) as { instances: CloudInstance[] };
  return instances.filter((i) => i.state === 'pending' || i.state === 'running');
}

/** Each live instance with the configuration version its agent applied. */
export async function configuredInstances(
  api: SystemApi,
  resourceSetId: string,
): Promise<{ id: string; image: string; version: number | null }[]> {
  return Promise.all(
    (await liveInstances(api, resourceSetId)).map(async (i) => {
      const res = await fetch(`${i.agentUrl}/config`, {
        headers: { authorization: `Bearer ${agentToken(api.ctx.agentSecret, i.id)}` },
      });
      const version = res.ok ? ((await res.json()) as { version: number }).version : null;
      return { id: i.id, image: i.image, version };
    }),
  );
}

/** The set's rollouts, newest first. */
export async function rolloutsOf(api: SystemApi, resourceSetId: string): Promise<RolloutView[]> {
  return (await api.request('GET', `/v1/resource-sets/${resourceSetId}/rollouts`)).body.items as RolloutView[];
}

type TrafficOptions = Parameters<RolloutHarness['traffic']>[1];

/** A harness with a fleet of `count` under steady traffic; `stop` ends the traffic, then the harness. */
export async function loadedFleet(
  count: number,
  traffic?: TrafficOptions,
): Promise<{ h: RolloutHarness; id: string; stop: () => Promise<void> }> {
  const h = await RolloutHarness.start();
  try {
    const id = await h.fleet(count);
    const load = h.traffic(id, traffic);
    return {
      h,
      id,
      stop: async () => {
        await load.stop();
        await h.close();
      },
    };
  } catch (err) {
    await h.close();
    throw err;
  }
}

export async function waitFor(predicate: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Short bakes and few samples: the judge's production defaults would take ten minutes a step. */
export const FAST_ROLLOUT = { bakeSeconds: 20, warmupSeconds: 0, sampleIntervalSeconds: 5, confidence: 0.9 };
