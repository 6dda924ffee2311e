import { fileURLToPath } from 'node:url';
import { startChild, waitUntilReady, type Child } from '../../infra/child.js';
import { assertOwnListener } from '../../infra/embedded-claims.js';
import { localCloudToken } from './token.js';

const MAIN_SCRIPT = fileURLToPath(new URL('./main.ts', import.meta.url));
/**
 * Stopping the cloud may stop its instances, each of which drains for up to a few seconds: a
 * SIGKILL after the usual 10 s would leave some running.
 */
const STOP_GRACE_MS = 30_000;

export interface LocalCloudStartOptions {
  port: number;
  lbPort: number;
  stateDir: string;
  /** Where the instances' agents push their metrics. */
  ingestUrl: string;
  /** Shared with the control plane, which verifies the agents' tokens with it. */
  agentSecret: string;
  /** The API's bearer token; derived from the agent secret when unset. */
  token?: string;
  logDir: string;
  bootDelaySeconds?: number;
  instanceLimit?: number;
  healthIntervalMs?: number;
  /** `npm start` sets it, so Ctrl-C leaves no instance process behind. */
  stopInstancesOnExit?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface StartedLocalCloud {
  child: Child;
  apiUrl: string;
  /** What LocalProvider (or any caller of the API but /healthz) sends as its bearer token. */
  token: string;
  lbUrl: string;
}

/**
 * Starts the local cloud process and resolves once its API answers /healthz. It ends when we do,
 * however we end (its lifeline), stopping its instances too if `stopInstancesOnExit`.
 */
export async function startLocalCloud(options: LocalCloudStartOptions): Promise<StartedLocalCloud> {
  const args = [
    '--import',
    'tsx',
    MAIN_SCRIPT,
    '--port',
    String(options.port),
    '--lb-port',
    String(options.lbPort),
    '--state-dir',
    options.stateDir,
    '--ingest-url',
    options.ingestUrl,
  ];
  if (options.bootDelaySeconds !== undefined) args.push('--boot-delay-seconds', String(options.bootDelaySeconds));
  if (options.instanceLimit !== undefined) args.push('--instance-limit', String(options.instanceLimit));
  if (options.healthIntervalMs !== undefined) args.push('--health-interval-ms', String(options.healthIntervalMs));
  if (options.stopInstancesOnExit) args.push('--stop-instances-on-exit');
  const token = localCloudToken(options.token, options.agentSecret);
  const child = await startChild('local-cloud', process.execPath, args, {
    logDir: options.logDir,
    env: { ...(options.env ?? process.env), PRESCALE_AGENT_SECRET: options.agentSecret, LOCAL_CLOUD_TOKEN: token },
    lifeline: true,
  });
  const apiUrl = `http://127.0.0.1:${options.port}`;
  await waitUntilReady(
    child,
    async () => {
      const response = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (!response.ok) throw new Error(`/healthz answered ${response.status}`);
    },
    60_000,
  );
  await assertOwnListener(child, options.port, 'the local cloud');
  return {
    child: { ...child, stop: (graceMs = STOP_GRACE_MS) => child.stop(graceMs) },
    apiUrl,
    token,
    lbUrl: `http://127.0.0.1:${options.lbPort}`,
  };
}
