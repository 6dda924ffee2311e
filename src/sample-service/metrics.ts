import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunningConfig } from './app-params.js';
import type { LruCache } from './lru-cache.js';
import type { WorkerPool } from './worker-pool.js';

/** Down to 1 ms, dense around the 5 ms hit and 40 ms miss so interpolated quantiles stay close. */
export const LATENCY_BUCKETS_SECONDS = [
  0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1,
  2.5, 5, 10,
];

export interface ServiceState {
  pool: WorkerPool;
  cache: LruCache;
  config: () => RunningConfig;
}

export interface ServiceMetrics {
  registry: Registry;
  requests: Counter<'code'>;
  latency: Histogram;
  errors: Counter<'reason'>;
  cacheHits: Counter;
  cacheMisses: Counter;
}

/** The service's Prometheus metrics; the names are the ones the agent reads (src/agent/app-metrics.ts). */
export function createServiceMetrics(state: ServiceState, image: string, version: string): ServiceMetrics {
  const registry = new Registry();
  const registers = [registry];
  const gauge = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read());
      },
    });
  };
  gauge('app_queue_depth', 'Requests waiting for a worker', () => state.pool.queueDepth);
  gauge('app_pool_utilization', 'Busy workers / pool size, now', () => state.pool.utilization);
  gauge('app_pool_size', 'Configured worker pool size', () => state.config().params.poolSize);
  gauge('app_queue_limit', 'Configured wait-queue limit', () => state.config().params.queueLimit);
  gauge('app_cache_size', 'Configured cache entries', () => state.config().params.cacheSize);
  gauge('app_cache_entries', 'Entries in the cache now', () => state.cache.size);
  gauge('app_config_version', 'Version of the configuration in effect', () => state.config().version ?? NaN);
  new Counter({
    name: 'app_pool_utilization_seconds_total',
    help: 'Integral of pool utilisation over time; its rate is the mean utilisation over the window',
    registers,
    collect() {
      this.reset();
      this.inc(state.pool.totalUtilizationSeconds());
    },
  });
  new Gauge({
    name: 'app_info',
    help: 'The running software version',
    labelNames: ['image', 'version'],
    registers,
  }).set({ image, version }, 1);

  return {
    registry,
    requests: new Counter({
      name: 'http_requests_total',
      help: 'Work requests answered, by status code',
      labelNames: ['code'],
      registers,
    }),
    latency: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time from arrival to answer of served work requests (queueing included)',
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    errors: new Counter({
      name: 'app_errors_total',
      help: 'Failed work requests, by reason',
      labelNames: ['reason'],
      registers,
    }),
    cacheHits: new Counter({ name: 'app_cache_hits_total', help: 'Cache lookups that hit', registers }),
    cacheMisses: new Counter({ name: 'app_cache_misses_total', help: 'Cache lookups that missed', registers }),
  };
}
