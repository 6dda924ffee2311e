import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { poissonArrivals } from './arrivals.js';
import { seededRandom } from '../domain/random.js';
import { expectedRequests, rateAt, scheduleSeconds, traceMinuteAt, type RateSchedule } from './schedule.js';
import { loopbackTarget } from './target.js';
import { Tally, type LatencySummary } from './tally.js';

export const DEFAULT_MAX_IN_FLIGHT = 2_000;
const REQUEST_TIMEOUT_MS = 10_000;
// When the sender falls behind, it still sends every late request, but yields to the event loop
// now and then so that responses (and the progress line) are not starved.
const SENDS_BETWEEN_YIELDS = 256;
const MAX_SLEEP_MS = 50;

export interface ReplayOptions {
  schedule: RateSchedule;
  /** Must be a loopback http:// URL. */
  target: string;
  durationSeconds: number;
  /** Arrivals (sent or dropped) after which the replay stops. */
  maxRequests: number;
  /** Requests outstanding at once; arrivals beyond it are dropped and counted. */
  maxInFlight?: number;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ReplayProgress) => void;
  progressIntervalMs?: number;
}

export interface ReplayProgress {
  elapsedSeconds: number;
  /** Trace time being replayed, epoch minutes. */
  traceMinute: number;
  targetRps: number;
  /** Requests sent per second since the previous report. */
  achievedRps: number;
  /** p95 of the responses since the previous report. */
  p95Ms: number | null;
  sent: number;
  errors: number;
  dropped: number;
  inFlight: number;
}

export type StopReason = 'duration' | 'trace-end' | 'max-requests' | 'aborted';

export interface ReplaySummary {
  target: string;
  seed: number;
  /** Epoch milliseconds of the replay's time zero. */
  startedAt: number;
  stoppedBy: StopReason;
  /** Real seconds during which requests were generated. */
  elapsedSeconds: number;
  /** Trace time covered, ISO 8601. */
  trace: { from: string; to: string };
  /** Requests the schedule asked for over the elapsed time. */
  expected: number;
  /** Arrivals generated: sent + dropped. */
  offered: number;
  sent: number;
  /** Arrivals not sent because maxInFlight requests were outstanding (client-side drops). */
  dropped: number;
  /** Responses with a status below 400. */
  ok: number;
  /**
   * Those responses by the wall-clock minute (ISO 8601) they ended in, to set against per-minute
   * demand the target recorded: a send delayed across a minute's edge counts where it happened.
   */
  okPerMinute: Record<string, number>;
  errors: Record<string, number>;
  latencyMs: LatencySummary | null;
  targetRps: number;
  achievedRps: number;
}

const isoMinute = (epochMinutes: number) => new Date(epochMinutes * 60_000).toISOString();

/**
 * Open-loop replay: requests leave at the schedule's Poisson arrival times whether or not earlier
 * ones have been answered (a late arrival is still sent), so a slow target sees the load pile up
 * the way real users would pile it up, instead of a closed loop politely waiting for it.
 */
export async function replay(options: ReplayOptions): Promise<ReplaySummary> {
  const url = loopbackTarget(options.target);
  const {
    schedule,
    durationSeconds,
    maxRequests,
    maxInFlight = DEFAULT_MAX_IN_FLIGHT,
    seed = 1,
    signal,
    onProgress,
    progressIntervalMs = 1_000,
  } = options;
  for (const [name, value] of Object.entries({ durationSeconds, maxRequests, maxInFlight })) {
    if (!(value > 0)) throw new RangeError(`${name} must be positive (got ${value})`);
  }
  const horizon = Math.min(durationSeconds, scheduleSeconds(schedule));
  const agent = new http.Agent({ keepAlive: true, maxSockets: maxInFlight });
  const tally = new Tally();
  const okPerMinute: Record<string, number> = {};

  const send = (): void => {
    if (tally.inFlight >= maxInFlight) {
      tally.dropped++;
      return;
    }
    tally.start();
    const started = performance.now();
    let finished = false;
    const finish = (outcome: { status: number } | { error: string }) => {
      if (finished) return;
      finished = true;
      if ('status' in outcome && outcome.status < 400) {
        const minute = isoMinute(Math.floor(Date.now() / 60_000));
        okPerMinute[minute] = (okPerMinute[minute] ?? 0) + 1;
      }
      tally.finish('error' in outcome ? outcome : { status: outcome.status, latencyMs: performance.now() - started });
    };
    const req = http.get(url, { agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('close', () => finish(res.complete ? { status: res.statusCode ?? 0 } : { error: 'incomplete-response' }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'timeout' })));
    req.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? 'error' }));
  };

  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const progressTimer = setInterval(() => {
    const now = elapsed();
    const window = tally.takeWindow();
    onProgress?.({
      elapsedSeconds: now,
      traceMinute: traceMinuteAt(schedule, now),
      targetRps: rateAt(schedule, now),
      achievedRps: window.sent / (progressIntervalMs / 1000),
      p95Ms: window.latency?.p95 ?? null,
      sent: tally.sent,
      errors: tally.errorCount,
      dropped: tally.dropped,
      inFlight: tally.inFlight,
    });
  }, progressIntervalMs);

  let stoppedBy: StopReason;
  try {
    const arrivals = poissonArrivals(schedule, seededRandom(seed));
    let next = arrivals.next();
    for (;;) {
      if (signal?.aborted) {
        stoppedBy = 'aborted';
        break;
      }
      if (tally.sent + tally.dropped >= maxRequests) {
        stoppedBy = 'max-requests';
        break;
      }
      const arrival = next.done || next.value >= horizon ? horizon : next.value;
      const wait = arrival - elapsed();
      if (wait > 0) {
        await sleep(Math.min(wait * 1000, MAX_SLEEP_MS));
        continue;
      }
      if (arrival === horizon) {
        stoppedBy = horizon < durationSeconds ? 'trace-end' : 'duration';
        break;
      }
      send();
      next = arrivals.next();
      if ((tally.sent + tally.dropped) % SENDS_BETWEEN_YIELDS === 0) await setImmediate();
    }
  } finally {
    clearInterval(progressTimer);
  }
  const elapsedSeconds = Math.min(elapsed(), horizon);
  // Every outstanding request ends within its timeout; the summary waits for them.
  while (tally.inFlight > 0) await sleep(10);
  agent.destroy();

  const expected = expectedRequests(schedule, 0, elapsedSeconds);
  return {
    target: url.href,
    seed,
    startedAt: performance.timeOrigin + t0,
    stoppedBy,
    elapsedSeconds,
    trace: { from: isoMinute(schedule.traceStart), to: isoMinute(traceMinuteAt(schedule, elapsedSeconds)) },
    expected,
    offered: tally.sent + tally.dropped,
    sent: tally.sent,
    dropped: tally.dropped,
    ok: tally.ok,
    okPerMinute,
    errors: tally.errors,
    latencyMs: tally.latency(),
    targetRps: elapsedSeconds > 0 ? expected / elapsedSeconds : 0,
    achievedRps: elapsedSeconds > 0 ? tally.sent / elapsedSeconds : 0,
  };
}
