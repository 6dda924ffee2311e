import { z } from 'zod';
import { appConfigSchema, type AppConfig } from '../domain/app-config.js';

const TIMEOUT_MS = 3_000;
// Short enough that an apply and its put-back answer within a caller's 5 s timeout.
const RELOAD_TIMEOUT_MS = 2_000;

/** A call the app did not answer (`status` null) or answered with an error status. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

const runningConfigSchema = z.object({
  version: appConfigSchema.shape.version.nullable(),
  params: appConfigSchema.shape.params,
});

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError') return 'timed out';
  return e.cause?.code ?? e.message ?? String(err);
}

/** The message of an `{ error: { message } }` body, else the start of the text. */
function errorMessage(text: string): string {
  try {
    const message = (JSON.parse(text) as { error?: { message?: unknown } }).error?.message;
    if (typeof message === 'string') return message;
  } catch {
    // not JSON: the text itself is the best description
  }
  return text.slice(0, 300);
}

/** The agent's side of the app's HTTP interface: /metrics, /healthz, /config and the configuration hook. */
export class AppClient {
  private readonly baseUrl: string;

  /** `token`: the instance's agent token, which the app may require on its configuration hook. */
  constructor(
    baseUrl: string,
    private readonly token: string,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** `target`: a path on the app, or a whole URL (a hook on another port or host). */
  private async call(target: string, init: RequestInit = {}, timeoutMs = TIMEOUT_MS): Promise<Response> {
    const url = URL.canParse(target) ? target : `${this.baseUrl}${target}`;
    try {
      return await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new AppError(`the app at ${this.baseUrl} did not answer ${target}: ${describe(err)}`, null);
    }
  }

  private async ok(path: string, init?: RequestInit, timeoutMs?: number): Promise<string> {
    const response = await this.call(path, init, timeoutMs);
    const text = await response.text();
    if (!response.ok)
      throw new AppError(
        `the app answered ${path} with HTTP ${response.status}: ${errorMessage(text)}`,
        response.status,
      );
    return text;
  }

  /** Its Prometheus exposition. */
  metrics(): Promise<string> {
    return this.ok('/metrics');
  }

  /** Resolves when the app is healthy; otherwise throws the reason. */
  async health(): Promise<void> {
    await this.ok('/healthz');
  }

  /** The configuration the app runs (version null when it was reloaded without one). */
  async runningConfig(): Promise<z.infer<typeof runningConfigSchema>> {
    let body: unknown;
    try {
      body = JSON.parse(await this.ok('/config'));
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw new Error(`the app's /config is not JSON: ${(err as Error).message}`);
    }
    const parsed = runningConfigSchema.safeParse(body);
    if (!parsed.success) throw new Error(`the app's /config is not a configuration: ${parsed.error.message}`);
    return parsed.data;
  }

  /** PUTs `config` to the app's hook (a path or a URL); an AppError with a 4xx status means the app refused it. */
  async putConfig(hook: string, config: AppConfig): Promise<void> {
    await this.ok(
      hook,
      {
        method: 'PUT',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify({ params: config.params, version: config.version }),
      },
      RELOAD_TIMEOUT_MS,
    );
  }
}
