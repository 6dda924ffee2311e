// Real sample-service processes for tests, and a bounded load loop to drive them.
import { fileURLToPath } from 'node:url';
import { DEFAULT_APP_CONFIG, type SampleConfig as AppConfig } from '../../src/sample-service/app-params.js';
import { agentToken } from '../../src/domain/agent-token.js';
import { startChild, waitUntilReady, type Child } from '../../src/infra/child.js';
import { parsePrometheusText, type Exposition } from '../../src/agent/prometheus-text.js';
import { freePort } from '../support/ports.js';
import { TEST_SECRET } from '../agent/support.js';

/** What the app's /reload requires: the token of the agent `startAgent` starts by default. */
export const APP_TOKEN = agentToken(TEST_SECRET, 'i-test');

const MAIN = fileURLToPath(new URL('../../src/sample-service/main.ts', import.meta.url));

export interface SampleServiceProcess {
  url: string;
  child: Child;
  metrics(): Promise<Exposition>;
  stop(): Promise<void>;
}

export interface SampleServiceOptions {
  logDir: string;
  name?: string;
  speed?: number;
  image?: string;
  config?: { version?: number; params?: Partial<AppConfig['params']> };
  port?: number;
}

export function sampleServiceArgs(port: number, options: Omit<SampleServiceOptions, 'logDir'> = {}): string[] {
  const config: AppConfig = {
    version: options.config?.version ?? 1,
    params: { ...DEFAULT_APP_CONFIG.params, ...options.config?.params },
  };
  return [
    '--import',
    'tsx',
    MAIN,
    '--port',
    String(port),
    '--speed',
    String(options.speed ?? 1),
    '--image',
    options.image ?? 'sample-service:v1',
    '--config',
    JSON.stringify(config),
  ];
}

export async function startSampleService(options: SampleServiceOptions): Promise<SampleServiceProcess> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = await startChild(
    options.name ?? `sample-service-${port}`,
    process.execPath,
    sampleServiceArgs(port, options),
    {
      logDir: options.logDir,
      env: { ...process.env, PRESCALE_AGENT_TOKEN: APP_TOKEN, LOG_LEVEL: 'warn' },
    },
  );
  await waitUntilReady(
    child,
    async () => {
      const res = await fetch(`${url}/healthz`);
      if (!res.ok) throw new Error(`healthz ${res.status}`);
    },
    30_000,
  );
  return {
    url,
    child,
    metrics: async () => parsePrometheusText(await (await fetch(`${url}/metrics`)).text()),
    stop: () => child.stop(5_000),
  };
}

/** The sum of a metric's samples whose labels include `labels`. */
export function metricValue(exposition: Exposition, name: string, labels: Record<string, string> = {}): number {
  return exposition.samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

export interface LoadResult {
  /** Status code → responses. */
  statuses: Map<number, number>;
  elapsedMs: number;
}

/**
 * Sends exactly `count` GET requests to `url`, `concurrency` at a time; `path(i)` picks each
 * request's path (default: /work, letting the service draw its own keys).
 */
export async function sendLoad(
  url: string,
  count: number,
  concurrency: number,
  path: (i: number) => string = () => '/work',
): Promise<LoadResult> {
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const res = await fetch(`${url}${path(i)}`);
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    }),
  );
  return { statuses, elapsedMs: performance.now() - started };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
