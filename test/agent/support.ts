// Real agent processes for tests, and a stand-in for the control plane's ingest endpoint: a small
// HTTP receiver that checks and stores what agents push (the real endpoint is built separately).
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { agentToken } from '../../src/domain/agent-token.js';
import { metricBatchSchema, type MetricBatch, type MetricSample } from '../../src/domain/metrics.js';
import { startChild, waitUntilReady, type Child } from '../../src/infra/child.js';
import { parsePrometheusText, type Exposition } from '../../src/agent/prometheus-text.js';
import { SAMPLE_CONFIG_DELIVERY } from '../../src/sample-service/app-params.js';
import { freePort } from '../support/ports.js';

const MAIN = fileURLToPath(new URL('../../src/agent/main.ts', import.meta.url));
export const TEST_SECRET = 'test-agent-secret';

export interface AgentProcess {
  url: string;
  token: string;
  child: Child;
  metrics(): Promise<Exposition>;
  /** JSON request; `token` defaults to the agent's own. */
  request(method: string, path: string, body?: unknown, token?: string | null): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export interface AgentOptions {
  logDir: string;
  appUrl: string;
  ingestUrl: string;
  stateDir: string;
  instanceId?: string;
  intervalMs?: number;
  appPid?: number;
  bufferMaxSamples?: number;
  port?: number;
  /** The profile's `config` section, as the provider hands it on; the sample service's by default. */
  configDelivery?: unknown;
}

export async function startAgent(options: AgentOptions): Promise<AgentProcess> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const instanceId = options.instanceId ?? 'i-test';
  const token = agentToken(TEST_SECRET, instanceId);
  const args = [
    '--import',
    'tsx',
    MAIN,
    '--port',
    String(port),
    '--app-url',
    options.appUrl,
    '--instance-id',
    instanceId,
    '--resource-set-id',
    'rs-test',
    '--ingest-url',
    options.ingestUrl,
    '--state-dir',
    options.stateDir,
    '--interval-ms',
    String(options.intervalMs ?? 1000),
    ...(options.appPid ? ['--app-pid', String(options.appPid)] : []),
    ...(options.bufferMaxSamples ? ['--buffer-max-samples', String(options.bufferMaxSamples)] : []),
    '--config-delivery',
    JSON.stringify(options.configDelivery ?? SAMPLE_CONFIG_DELIVERY),
  ];
  const child = await startChild(`agent-${port}`, process.execPath, args, {
    logDir: options.logDir,
    env: { ...process.env, PRESCALE_AGENT_TOKEN: token, LOG_LEVEL: 'info' },
  });
  const authorization = { authorization: `Bearer ${token}` };
  await waitUntilReady(
    child,
    () =>
      fetch(`${url}/metrics`, { headers: authorization }).then((r) => {
        if (!r.ok) throw new Error(`metrics ${r.status}`);
      }),
    30_000,
  );
  return {
    url,
    token,
    child,
    metrics: async () => parsePrometheusText(await (await fetch(`${url}/metrics`, { headers: authorization })).text()),
    async request(method, path, body, withToken = token) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(withToken ? { authorization: `Bearer ${withToken}` } : {}) },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    stop: () => child.stop(10_000),
  };
}

/** Stands in for the control plane's POST /v1/metrics: checks the token and the batch, stores every sample. */
export class StandInControlPlane {
  readonly batches: MetricBatch[] = [];
  private server: Server | null = null;

  private constructor(
    readonly port: number,
    private readonly secret: string,
  ) {}

  static async start(secret = TEST_SECRET): Promise<StandInControlPlane> {
    const receiver = new StandInControlPlane(await freePort(), secret);
    await receiver.restart();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get samples(): MetricSample[] {
    return this.batches.flatMap((b) => b.samples);
  }

  async restart(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const answer = (status: number, body: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        if (req.method !== 'POST' || req.url !== '/v1/metrics') return answer(404, { error: 'not found' });
        const parsed = metricBatchSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        if (!parsed.success) return answer(400, { error: parsed.error.message });
        if (req.headers.authorization !== `Bearer ${agentToken(this.secret, parsed.data.instanceId)}`)
          return answer(401, { error: 'bad token' });
        this.batches.push(parsed.data);
        answer(202, { accepted: parsed.data.samples.length });
      });
    });
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  }
}
