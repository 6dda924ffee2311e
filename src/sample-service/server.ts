import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireBearer } from '../infra/bearer.js';
import { HttpError, validationError } from '../infra/http-error.js';
import {
  createJsonServer,
  methodNotAllowed,
  readJson,
  routeNotFound,
  sendError,
  sendJson,
  sendText,
} from '../agent/http.js';
import type { Logger } from '../logger.js';
import { capacityProblem, reloadBodySchema, type RunningConfig } from './app-params.js';
import { LruCache } from './lru-cache.js';
import { createServiceMetrics } from './metrics.js';
import type { SoftwareVersion } from './versions.js';
import { WorkerPool } from './worker-pool.js';
import { serviceTimeMs, zipfKey } from './workload.js';

const MAX_KEY_LENGTH = 200;

export interface SampleServiceOptions {
  /** Instance speed: service times divide by it. */
  speed: number;
  image: string;
  version: SoftwareVersion;
  config: RunningConfig;
  logger: Logger;
  /** The instance's agent token: only its agent may reload the app, not anyone else on the machine. */
  reloadToken: string;
}

export interface SampleService {
  server: Server;
  /** Stop taking new connections, answer what is in flight, then close. */
  drain(): Promise<void>;
}

export function createSampleService(options: SampleServiceOptions): SampleService {
  const { speed, version, logger } = options;
  let config = options.config;
  let draining = false;
  const pool = new WorkerPool(config.params.poolSize, config.params.queueLimit);
  const cache = new LruCache(config.params.cacheSize);
  const metrics = createServiceMetrics({ pool, cache, config: () => config }, options.image, version.tag);

  function work(res: ServerResponse, url: URL): void {
    const arrived = performance.now();
    const key = url.searchParams.get('key') ?? zipfKey();
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new HttpError(400, 'invalid_request', `query.key: must be 1..${MAX_KEY_LENGTH} characters`);
    }
    const withdraw = pool.submit(async () => {
      // The lookup happens when a worker takes the request, as in a real service.
      const hit = cache.lookup(key);
      (hit ? metrics.cacheHits : metrics.cacheMisses).inc();
      await sleep(serviceTimeMs(hit, speed, version.serviceTimeFactor));
      if (!hit) cache.add(key);
      const failed = Math.random() < version.errorRate;
      metrics.latency.observe((performance.now() - arrived) / 1000);
      metrics.requests.inc({ code: failed ? '500' : '200' });
      if (failed) {
        metrics.errors.inc({ reason: 'internal' });
        sendError(res, new HttpError(500, 'internal', `${version.tag} failed this request`));
      } else {
        sendJson(res, 200, { key, hit });
      }
    });
    if (!withdraw) {
      metrics.requests.inc({ code: '503' });
      metrics.errors.inc({ reason: 'overload' });
      sendError(res, new HttpError(503, 'overloaded', 'every worker is busy and the queue is full'));
      return;
    }
    res.once('close', withdraw);
  }

  async function reload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requireBearer(req.headers, options.reloadToken, 'instance token');
    const parsed = reloadBodySchema.safeParse(await readJson(req));
    if (!parsed.success) throw validationError('body', parsed.error);
    const { params, version: configVersion } = parsed.data;
    const problem = capacityProblem(params, speed);
    if (problem) throw new HttpError(400, 'exceeds_capacity', `body.${problem}`);
    pool.resize(params.poolSize, params.queueLimit);
    cache.resize(params.cacheSize);
    config = { version: configVersion ?? null, params };
    logger.info({ config }, 'configuration reloaded');
    sendJson(res, 200, config);
  }

  const server = createJsonServer(async (req, res, url) => {
    if (draining) res.setHeader('connection', 'close');
    const route = `${req.method} ${url.pathname}`;
    switch (route) {
      case 'GET /':
      case 'GET /work':
        return work(res, url);
      case 'GET /metrics':
        return sendText(res, 200, metrics.registry.contentType, await metrics.registry.metrics());
      case 'GET /healthz':
        if (draining) throw new HttpError(503, 'draining', 'shutting down');
        return sendJson(res, 200, { status: 'ok', image: options.image });
      case 'GET /config':
        return sendJson(res, 200, config);
      // PUT is the agent's configuration hook (the profile's `config`); POST stays for reloads by hand.
      case 'POST /reload':
      case 'PUT /reload':
        return reload(req, res);
    }
    if (['/', '/work', '/metrics', '/healthz', '/config', '/reload'].includes(url.pathname))
      throw methodNotAllowed(req, url);
    throw routeNotFound(req, url);
  }, logger);

  return {
    server,
    drain() {
      draining = true;
      // close() waits for every connection; a keep-alive one turns idle once its answer is out,
      // so close those as they turn idle.
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      server.closeIdleConnections();
      return new Promise<void>((resolve) =>
        server.close(() => {
          clearInterval(sweep);
          resolve();
        }),
      );
    },
  };
}
