import { metricSampleSchema, type MetricSample } from '../domain/metrics.js';
import type { Logger } from '../logger.js';
import type { AppClient } from './app-client.js';
import { appFigures, appRestarted, appSnapshot, type AppFigures, type AppSnapshot } from './app-metrics.js';
import {
  hostFigures,
  processFigures,
  readHost,
  readProcess,
  type HostSnapshot,
  type ProcessSnapshot,
} from './proc-stats.js';
import { parsePrometheusText } from './prometheus-text.js';
import type { SeqStore } from './seq-store.js';

export interface SamplerOptions {
  intervalMs: number;
  app: AppClient;
  appPid: number | null;
  seq: SeqStore;
  /** Receives each sample, in seq order. */
  emit(sample: MetricSample): Promise<void>;
  logger: Logger;
}

interface Reading {
  /** The wall-clock interval boundary this reading closes. */
  boundary: number;
  host: HostSnapshot;
  process: ProcessSnapshot | null;
  app: AppReading | null;
}

interface AppReading {
  snapshot: AppSnapshot;
  at: number;
}

const NO_APP: AppFigures = {
  requests: 0,
  errors: 0,
  latencyP50Ms: null,
  latencyP95Ms: null,
  latencyP99Ms: null,
  poolUtilization: null,
  queueDepth: null,
  custom: {},
};

/** The first wall-clock multiple of `intervalMs` strictly after `after`. */
export function nextBoundary(after: number, intervalMs: number): number {
  return (Math.floor(after / intervalMs) + 1) * intervalMs;
}

/**
 * Reads host, process and app at start and at every wall-clock multiple of the interval, and emits
 * one sample per interval (the first from the start to the first boundary), so no sample straddles
 * a minute boundary when the interval divides a minute.
 */
export class Sampler {
  /** The newest sample emitted. */
  latest: MetricSample | null = null;
  private previous: Reading | null = null;
  /** The last scrape the app answered: a window the app missed is counted in the next one it answers. */
  private lastApp: AppReading | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastAppError: string | null = null;

  constructor(private readonly options: SamplerOptions) {}

  start(): void {
    // A baseline at once: what the app serves between the agent's start and the first boundary counts.
    void this.read(Date.now()).then(() => this.schedule(nextBoundary(Date.now(), this.options.intervalMs)));
  }

  /**
   * Takes the app's baseline now when there is none (the app was not answering at the last
   * reading): an instance is healthy only once its requests are counted, or a new instance's first
   * seconds of demand would be lost.
   */
  async countApp(): Promise<void> {
    if (this.lastApp) return;
    const scraped = await this.scrapeApp();
    this.lastApp ??= scraped;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(boundary: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => {
        void this.read(boundary).then(() => {
          // Timers may fire a little early or, on a busy host, late past further boundaries.
          let next = boundary + this.options.intervalMs;
          while (next <= Date.now()) next += this.options.intervalMs;
          this.schedule(next);
        });
      },
      Math.max(0, boundary - Date.now()),
    );
  }

  /** One reading, awaited by stop(); a failure is logged, not thrown, so the schedule goes on. */
  private read(boundary: number): Promise<void> {
    this.running = this.tick(boundary).catch((err: unknown) => this.options.logger.error({ err }, 'sampling failed'));
    return this.running;
  }

  private async tick(boundary: number): Promise<void> {
    const { appPid } = this.options;
    const [host, process, scraped] = await Promise.all([
      readHost(),
      appPid === null ? null : readProcess(appPid),
      this.scrapeApp(),
    ]);
    const current: Reading = { boundary, host, process, app: scraped };
    const previous = this.previous;
    const lastApp = this.lastApp;
    this.previous = current;
    if (scraped) this.lastApp = scraped;
    if (scraped && this.lastAppError !== null) {
      this.options.logger.info('the app answers again');
      this.lastAppError = null;
    }
    if (lastApp && scraped && appRestarted(lastApp.snapshot, scraped.snapshot))
      this.options.logger.warn('the app restarted');
    if (previous) await this.emit(previous, current, lastApp);
  }

  private scrapeApp(): Promise<AppReading | null> {
    return this.options.app.metrics().then(
      (text) => ({ snapshot: appSnapshot(parsePrometheusText(text)), at: performance.now() }),
      (err: unknown) => {
        this.appUnavailable((err as Error).message);
        return null;
      },
    );
  }

  private appUnavailable(reason: string): void {
    if (this.lastAppError === null)
      this.options.logger.warn({ reason }, 'cannot scrape the app; its figures are left out until it answers');
    this.lastAppError = reason;
  }

  /**
   * App counters are cumulative, so a scrape that failed loses nothing: the window since the last
   * answered scrape is counted in this sample, as Prometheus' increase() would count it.
   */
  private async emit(previous: Reading, current: Reading, lastApp: AppReading | null): Promise<void> {
    const app =
      lastApp && current.app
        ? appFigures(lastApp.snapshot, current.app.snapshot, (current.app.at - lastApp.at) / 1000)
        : NO_APP;
    const parsed = metricSampleSchema.safeParse({
      seq: 0,
      ts: current.boundary,
      intervalMs: current.boundary - previous.boundary,
      ...app,
      ...hostFigures(previous.host, current.host),
      ...processFigures(previous.process, current.process),
    });
    if (!parsed.success) {
      // A bug, not a state of the world: a sample the control plane would refuse must not sink a whole batch.
      this.options.logger.error({ issues: parsed.error.issues }, 'skipping an invalid sample');
      return;
    }
    const sample = { ...parsed.data, seq: await this.options.seq.take() };
    await this.options.emit(sample);
    this.latest = sample;
  }
}
