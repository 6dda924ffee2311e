import type { MetricBatch } from '../domain/metrics.js';
import type { Logger } from '../logger.js';
import type { DiskBuffer } from './disk-buffer.js';

export const MAX_BATCH_SAMPLES = 500;
/** Well under a 1 MB request-body limit, even when samples carry many custom gauges. */
export const MAX_BATCH_BYTES = 512 * 1024;
const REQUEST_TIMEOUT_MS = 10_000;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;

export interface PusherOptions {
  buffer: DiskBuffer;
  ingestUrl: string;
  token: string;
  instanceId: string;
  resourceSetId: string;
  logger: Logger;
}

type Outcome =
  | { kind: 'delivered' }
  /** The control plane says the batch itself is bad: retrying cannot help. */
  | { kind: 'rejected'; status: number; detail: string }
  | { kind: 'retry'; reason: string; retryAfterMs: number };

/**
 * Delivers buffered samples, oldest first, in batches; a batch leaves the buffer only after a 2xx
 * (or a verdict that it is bad). Failures back off exponentially with jitter.
 */
export class Pusher {
  pushFailuresTotal = 0;
  rejectedSamplesTotal = 0;
  private failures = 0;
  private stopping = false;
  private deadline = Infinity;
  private wake: (() => void) | null = null;
  /** Whether the current sleep is waiting for samples (a kick ends it) rather than backing off. */
  private idle = false;
  private readonly inFlight = new AbortController();
  private readonly loop: Promise<void>;

  constructor(private readonly options: PusherOptions) {
    this.loop = this.run();
  }

  /** Something new is in the buffer. */
  kick(): void {
    if (this.idle) this.wake?.();
  }

  /** Tries to empty the buffer for up to `flushMs`, then stops; what is left stays on disk. */
  async stop(flushMs: number): Promise<void> {
    this.stopping = true;
    this.deadline = Date.now() + flushMs;
    const timer = setTimeout(() => {
      this.inFlight.abort();
      this.wake?.();
    }, flushMs);
    this.wake?.();
    await this.loop;
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    const { buffer, logger } = this.options;
    while (!(this.stopping && (buffer.size === 0 || Date.now() >= this.deadline))) {
      if (buffer.size === 0) {
        await this.sleep(Infinity, true);
        continue;
      }
      try {
        if ((await this.pushOldest()) === 'gave up') return;
      } catch (err) {
        // The buffer's disk failed under us; the samples are still there, so try again later.
        logger.error({ err }, 'cannot read or update the sample buffer');
        await this.sleep(BACKOFF_MAX_MS);
      }
    }
  }

  /** One batch: delivered, dropped as bad, or kept after a failure and a backoff. */
  private async pushOldest(): Promise<'gave up' | void> {
    const { buffer, logger } = this.options;
    const batch = await buffer.peek(MAX_BATCH_SAMPLES, MAX_BATCH_BYTES);
    const outcome: Outcome = batch.samples.length === 0 ? { kind: 'delivered' } : await this.post(batch.samples);
    if (outcome.kind === 'retry') {
      this.failures++;
      this.pushFailuresTotal++;
      if (this.stopping) return 'gave up';
      const delay = Math.max(outcome.retryAfterMs, backoffMs(this.failures));
      logger.warn(
        { reason: outcome.reason, retryInMs: Math.round(delay), buffered: buffer.size },
        'push failed; samples stay buffered',
      );
      await this.sleep(delay);
      return;
    }
    if (outcome.kind === 'rejected') {
      this.rejectedSamplesTotal += batch.samples.length;
      logger.error(
        {
          status: outcome.status,
          detail: outcome.detail,
          samples: batch.samples.length,
          firstSeq: batch.samples[0]?.seq,
        },
        'the control plane rejected a batch; dropping it',
      );
    } else if (this.failures > 0) {
      logger.info({ afterFailures: this.failures }, 'push recovered');
    }
    this.failures = 0;
    await buffer.remove(batch.end);
  }

  private async post(samples: MetricBatch['samples']): Promise<Outcome> {
    const { ingestUrl, token, instanceId, resourceSetId } = this.options;
    const body: MetricBatch = { resourceSetId, instanceId, samples };
    let response: Response;
    try {
      response = await fetch(`${ingestUrl.replace(/\/+$/, '')}/v1/metrics`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
        signal: AbortSignal.any([this.inFlight.signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return { kind: 'retry', reason: cause ?? (err as Error).message, retryAfterMs: 0 };
    }
    const detail = (await response.text().catch(() => '')).slice(0, 500);
    if (response.ok) return { kind: 'delivered' };
    // Throttling, a timeout, or credentials the control plane does not accept (yet): the batch
    // is fine, so keep it and let the bounded buffer decide what to drop if this lasts.
    if (response.status >= 500 || [401, 403, 408, 429].includes(response.status)) {
      const retryAfter = Number(response.headers.get('retry-after'));
      return {
        kind: 'retry',
        reason: `HTTP ${response.status} ${detail}`,
        retryAfterMs: Number.isFinite(retryAfter) ? Math.min(retryAfter, 300) * 1000 : 0,
      };
    }
    return { kind: 'rejected', status: response.status, detail };
  }

  private sleep(ms: number, idle = false): Promise<void> {
    this.idle = idle;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = null;
        this.idle = false;
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      this.wake = done;
    });
  }
}

/** Exponential with "equal jitter": half fixed, half random, so agents do not retry in step. */
export function backoffMs(failures: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1));
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}
