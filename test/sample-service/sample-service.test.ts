// The sample service as real processes over loopback: capacity, queueing, cache, versions, live
// reload, metrics, shutdown.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startChild } from '../../src/infra/child.js';
import { MISS_MS } from '../../src/sample-service/workload.js';
import { freePort } from '../support/ports.js';
import {
  APP_TOKEN,
  eventually,
  metricValue,
  sampleServiceArgs,
  sendLoad,
  startSampleService,
  type SampleServiceOptions,
  type SampleServiceProcess,
} from './support.js';

let logDir: string;
const running: SampleServiceProcess[] = [];
async function start(options: Omit<SampleServiceOptions, 'logDir'>): Promise<SampleServiceProcess> {
  const service = await startSampleService({ ...options, logDir });
  running.push(service);
  return service;
}

/** Mean latency (ms) of served requests, from the service's own histogram. */
async function meanLatencyMs(service: SampleServiceProcess): Promise<number> {
  const m = await service.metrics();
  return (
    (1000 * metricValue(m, 'http_request_duration_seconds_sum')) / metricValue(m, 'http_request_duration_seconds_count')
  );
}

/** Waits until the service has `busy` requests on workers and `queued` waiting. */
async function inService(service: SampleServiceProcess, busy: number, queued = 0): Promise<void> {
  const poolSize = metricValue(await service.metrics(), 'app_pool_size');
  await eventually(`${busy} requests in service and ${queued} queued`, async () => {
    const m = await service.metrics();
    return (
      Math.abs(metricValue(m, 'app_pool_utilization') - Math.min(1, busy / poolSize)) < 1e-9 &&
      metricValue(m, 'app_queue_depth') === queued
    );
  });
}

const uniqueKeys =
  (prefix: string) =>
  (i: number): string =>
    `/work?key=${prefix}-${i}`;

before(async () => {
  logDir = await mkdtemp(path.join(os.tmpdir(), 'prescale-sample-service-'));
});
after(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await rm(logDir, { recursive: true, force: true });
});

describe('sample service', () => {
  it('caps throughput at poolSize / service time', async () => {
    // No cache: every request is a miss of MISS_MS on average.
    const [narrow, wide] = await Promise.all([
      start({ config: { params: { poolSize: 2, cacheSize: 0, queueLimit: 1000 } } }),
      start({ config: { params: { poolSize: 8, cacheSize: 0, queueLimit: 1000 } } }),
    ]);
    const count = 100;
    const narrowRun = await sendLoad(narrow.url, count, 16, uniqueKeys('n'));
    const wideRun = await sendLoad(wide.url, count, 16, uniqueKeys('w'));
    assert.equal(narrowRun.statuses.get(200), count);
    assert.equal(wideRun.statuses.get(200), count);
    const cap = (2 / MISS_MS) * 1000;
    const narrowRate = (count / narrowRun.elapsedMs) * 1000;
    const wideRate = (count / wideRun.elapsedMs) * 1000;
    // Two workers can never beat 2 / service time (jitter keeps the mean: allow its sampling error).
    assert.ok(
      narrowRate <= cap * 1.15,
      `2 workers served ${narrowRate.toFixed(1)} req/s, above the cap of ${cap} req/s`,
    );
    assert.ok(
      wideRate > narrowRate * 2,
      `8 workers (${wideRate.toFixed(1)} req/s) should far outrun 2 (${narrowRate.toFixed(1)} req/s)`,
    );
  });

  it('queues up to queueLimit, then answers 503 at once', async () => {
    // Misses of ~1.6 s: the whole burst arrives while the first request is still being served.
    const service = await start({ speed: 0.025, config: { params: { poolSize: 1, cacheSize: 0, queueLimit: 2 } } });
    const burst = sendLoad(service.url, 8, 8, uniqueKeys('q'));
    await inService(service, 1, 2);
    const { statuses } = await burst;
    assert.equal(statuses.get(200), 3, 'one served and two queued');
    assert.equal(statuses.get(503), 5, 'the rest refused');
    const after = await service.metrics();
    assert.equal(metricValue(after, 'http_requests_total', { code: '503' }), 5);
    assert.equal(metricValue(after, 'app_errors_total', { reason: 'overload' }), 5);
  });

  it('hits its cache more, and answers faster, with a bigger cache', async () => {
    const [small, big] = await Promise.all([
      start({ speed: 2, config: { params: { poolSize: 16, cacheSize: 10, queueLimit: 1000 } } }),
      start({ speed: 2, config: { params: { poolSize: 16, cacheSize: 5000, queueLimit: 1000 } } }),
    ]);
    await Promise.all([sendLoad(small.url, 600, 8), sendLoad(big.url, 600, 8)]);
    const hitRate = async (s: SampleServiceProcess): Promise<number> => {
      const m = await s.metrics();
      const hits = metricValue(m, 'app_cache_hits_total');
      return hits / (hits + metricValue(m, 'app_cache_misses_total'));
    };
    const [smallHits, bigHits] = [await hitRate(small), await hitRate(big)];
    assert.ok(
      bigHits > smallHits + 0.15,
      `hit rate with 5000 entries ${bigHits.toFixed(2)} vs 10 entries ${smallHits.toFixed(2)}`,
    );
    const [smallMs, bigMs] = [await meanLatencyMs(small), await meanLatencyMs(big)];
    assert.ok(
      bigMs < smallMs * 0.9,
      `mean latency with 5000 entries ${bigMs.toFixed(1)} ms vs 10 entries ${smallMs.toFixed(1)} ms`,
    );
  });

  it('runs the catalogue: v3 is slower than v1, v4 fails some requests', async () => {
    const params = { poolSize: 16, cacheSize: 0, queueLimit: 1000 };
    const [v1, v3, v4] = await Promise.all(
      ['v1', 'v3', 'v4'].map((v) => start({ speed: 2, image: `sample-service:${v}`, config: { params } })),
    );
    // Side by side, so a busy machine slows both alike.
    const [r1, r3, r4] = await Promise.all([
      sendLoad(v1!.url, 200, 8, uniqueKeys('a')),
      sendLoad(v3!.url, 200, 8, uniqueKeys('b')),
      sendLoad(v4!.url, 400, 8, uniqueKeys('c')),
    ]);
    assert.equal(r1.statuses.get(200), 200);
    assert.equal(r3.statuses.get(200), 200);
    const [ms1, ms3] = [await meanLatencyMs(v1!), await meanLatencyMs(v3!)];
    assert.ok(ms3 > ms1 * 1.15, `v3 mean ${ms3.toFixed(1)} ms should be ~30% above v1's ${ms1.toFixed(1)} ms`);
    const errors = r4.statuses.get(500) ?? 0;
    assert.ok(errors > 0 && errors < 400 * 0.15, `v4 answered ${errors} of 400 requests with 500 (expected ~5%)`);
    assert.equal(metricValue(await v4!.metrics(), 'http_requests_total', { code: '500' }), errors);
  });

  it('applies /reload live, only with the instance token, and refuses an invalid one', async () => {
    // Misses of ~1.6 s, so concurrent requests overlap.
    const service = await start({ speed: 0.025, config: { params: { poolSize: 1, cacheSize: 0, queueLimit: 0 } } });
    const before = await sendLoad(service.url, 3, 3, uniqueKeys('r1'));
    assert.deepEqual([before.statuses.get(200), before.statuses.get(503)], [1, 2]);

    const reload = (body: unknown, token: string | null = APP_TOKEN): Promise<Response> =>
      fetch(`${service.url}/reload`, {
        method: 'POST',
        body: JSON.stringify(body),
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
      });
    const wider = { version: 2, params: { poolSize: 3, cacheSize: 100, queueLimit: 0 } };
    for (const token of [null, 'not-the-token']) {
      const refused = await reload(wider, token);
      assert.equal(refused.status, 401, `token ${token}`);
      assert.match(((await refused.json()) as any).error.message, /instance token/);
    }
    assert.deepEqual(
      await (await fetch(`${service.url}/config`)).json(),
      { version: 1, params: { poolSize: 1, cacheSize: 0, queueLimit: 0 } },
      'a refused reload changes nothing',
    );
    const ok = await reload(wider);
    assert.equal(ok.status, 200);
    const widened = await sendLoad(service.url, 3, 3, uniqueKeys('r2'));
    assert.equal(widened.statuses.get(200), 3);

    // Shrinking lets the requests in flight finish.
    const inFlight = sendLoad(service.url, 3, 3, uniqueKeys('r3'));
    await inService(service, 3);
    assert.equal((await reload({ version: 3, params: { poolSize: 1, cacheSize: 100, queueLimit: 0 } })).status, 200);
    assert.equal((await inFlight).statuses.get(200), 3);

    const invalid = await reload({ params: { poolSize: 0, cacheSize: 100, queueLimit: 0 } });
    assert.equal(invalid.status, 400);
    assert.match(((await invalid.json()) as any).error.message, /body\.params\.poolSize/);
    const tooBig = await reload({ params: { poolSize: 1, cacheSize: 1_000_000, queueLimit: 0 } });
    assert.equal(tooBig.status, 400);
    assert.equal(((await tooBig.json()) as any).error.code, 'exceeds_capacity');
    assert.equal(
      (
        await fetch(`${service.url}/reload`, {
          method: 'POST',
          body: '{not json',
          headers: { authorization: `Bearer ${APP_TOKEN}` },
        })
      ).status,
      400,
    );
    const config = await (await fetch(`${service.url}/config`)).json();
    assert.deepEqual(config, { version: 3, params: { poolSize: 1, cacheSize: 100, queueLimit: 0 } });
    assert.equal(metricValue(await service.metrics(), 'app_pool_size'), 1);
  });

  it('exposes Prometheus metrics the agent can parse', async () => {
    const service = await start({ image: 'sample-service:v2' });
    await sendLoad(service.url, 20, 4);
    const m = await service.metrics();
    const expected = {
      http_requests_total: 'counter',
      http_request_duration_seconds: 'histogram',
      app_errors_total: 'counter',
      app_queue_depth: 'gauge',
      app_pool_utilization: 'gauge',
      app_pool_utilization_seconds_total: 'counter',
      app_cache_hits_total: 'counter',
      app_cache_misses_total: 'counter',
      app_info: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) assert.equal(m.types.get(name), type, name);
    assert.equal(metricValue(m, 'http_requests_total', { code: '200' }), 20);
    assert.equal(metricValue(m, 'http_request_duration_seconds_bucket', { le: '0.001' }) >= 0, true);
    assert.equal(metricValue(m, 'http_request_duration_seconds_bucket', { le: '+Inf' }), 20);
    assert.equal(metricValue(m, 'app_info', { version: 'v2', image: 'sample-service:v2' }), 1);
    assert.equal(metricValue(m, 'app_cache_hits_total') + metricValue(m, 'app_cache_misses_total'), 20);
  });

  it('finishes requests in flight on SIGTERM, then exits 0', async () => {
    const service = await startSampleService({ logDir, speed: 0.025, config: { params: { cacheSize: 0 } } });
    const inFlight = sendLoad(service.url, 2, 2, uniqueKeys('t'));
    await inService(service, 2);
    service.child.process.kill('SIGTERM');
    assert.equal((await inFlight).statuses.get(200), 2);
    assert.equal(await service.child.exited, 0);
    await assert.rejects(fetch(`${service.url}/healthz`));
  });

  it('refuses an unknown image with a clear message', async () => {
    const child = await startChild(
      'unknown-image',
      process.execPath,
      sampleServiceArgs(await freePort(), { image: 'sample-service:v9' }),
      { logDir },
    );
    assert.equal(await child.exited, 2);
    assert.match(
      await child.tail(),
      /unknown image "sample-service:v9": this sample service runs sample-service:v1, .*v4/,
    );
  });
});
