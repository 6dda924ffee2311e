import {
  Agent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from '../../logger.js';
import type { Target } from './cloud.js';

const ROUTE = /^\/rs\/([^/?]+)(\/[^?]*)?(\?.*)?$/;
/** Connection-level headers belong to one hop and must not be forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));
}

function sendJson(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code, message } }));
}

/**
 * The local cloud's load balancer: `/rs/<set>/<path>` goes to `<path>` on one of the set's ready
 * instances, the one with the fewest requests outstanding (ties in turn). An instance leaves the
 * rotation the moment it starts draining; `waitUntilIdle` tells the cloud when its last request
 * has finished.
 */
export class LoadBalancer {
  readonly metrics = new Registry();
  private readonly inFlight = new Map<string, number>();
  private readonly idleWaiters = new Map<string, Set<() => void>>();
  private readonly turn = new Map<string, number>();
  private readonly upstreamAgent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly arrivals = new Counter({
    name: 'prescale_lb_arrivals_total',
    help: 'Requests that arrived for a resource set',
    labelNames: ['resource_set'] as const,
    registers: [this.metrics],
  });
  private readonly outstanding = new Gauge({
    name: 'prescale_lb_in_flight',
    help: 'Requests being served for a resource set',
    labelNames: ['resource_set'] as const,
    registers: [this.metrics],
  });
  private readonly unavailable = new Counter({
    name: 'prescale_lb_unavailable_total',
    help: 'Requests answered 503 because the set had no ready instance',
    labelNames: ['resource_set'] as const,
    registers: [this.metrics],
  });
  private readonly upstreamErrors = new Counter({
    name: 'prescale_lb_upstream_errors_total',
    help: 'Requests answered 502 because the instance failed',
    labelNames: ['resource_set'] as const,
    registers: [this.metrics],
  });

  constructor(
    private readonly targets: (resourceSetId: string) => Target[],
    private readonly logger: Logger,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/lb-metrics') {
      void this.metrics
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': this.metrics.contentType }).end(text));
      return;
    }
    const match = ROUTE.exec(url);
    if (!match) {
      sendJson(res, 404, 'NotFound', `no route for ${url}: requests go to /rs/<resourceSetId>/<path>`);
      return;
    }
    let resourceSetId: string;
    try {
      resourceSetId = decodeURIComponent(match[1]!);
    } catch {
      sendJson(res, 400, 'InvalidPath', `${url}: the resource set id is not valid percent-encoding`);
      return;
    }
    const path = (match[2] ?? '/') + (match[3] ?? '');
    this.arrivals.inc({ resource_set: resourceSetId });
    // Shown at zero from a set's first request, so a rate over them never starts from nothing.
    this.unavailable.labels({ resource_set: resourceSetId });
    this.upstreamErrors.labels({ resource_set: resourceSetId });
    this.outstanding.inc({ resource_set: resourceSetId });
    res.once('close', () => this.outstanding.dec({ resource_set: resourceSetId }));
    this.forward(req, res, resourceSetId, path, undefined);
  }

  /** Resolves once nothing is in flight to the instance, or after `timeoutMs`. */
  waitUntilIdle(instanceId: string, timeoutMs: number): Promise<void> {
    if (!this.inFlight.get(instanceId)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.idleWaiters.get(instanceId) ?? new Set();
      this.idleWaiters.set(instanceId, waiters);
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      waiters.add(done);
    });
  }

  close(): void {
    this.upstreamAgent.destroy();
  }

  private pick(resourceSetId: string, exclude: string | undefined): Target | undefined {
    const candidates = this.targets(resourceSetId).filter((t) => t.id !== exclude);
    if (!candidates.length) return undefined;
    const least = Math.min(...candidates.map((t) => this.inFlight.get(t.id) ?? 0));
    const tied = candidates.filter((t) => (this.inFlight.get(t.id) ?? 0) === least);
    const turn = this.turn.get(resourceSetId) ?? 0;
    this.turn.set(resourceSetId, turn + 1);
    return tied[turn % tied.length];
  }

  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    resourceSetId: string,
    path: string,
    failed: string | undefined,
  ): void {
    const target = this.pick(resourceSetId, failed);
    if (!target) {
      this.unavailable.inc({ resource_set: resourceSetId });
      sendJson(res, 503, 'NoReadyInstance', `resource set "${resourceSetId}" has no ready instance`);
      return;
    }
    this.inFlight.set(target.id, (this.inFlight.get(target.id) ?? 0) + 1);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(target.id) ?? 1) - 1;
      if (left > 0) {
        this.inFlight.set(target.id, left);
        return;
      }
      this.inFlight.delete(target.id);
      for (const wake of [...(this.idleWaiters.get(target.id) ?? [])]) wake();
      this.idleWaiters.delete(target.id);
    };

    let connected = false;
    let bodyBytes = 0;
    const countBody = (chunk: Buffer): void => {
      bodyBytes += chunk.length;
    };
    const upstream = httpRequest({
      host: '127.0.0.1',
      port: target.port,
      method: req.method,
      path,
      agent: this.upstreamAgent,
      headers: { ...forwardable(req.headers), 'x-forwarded-for': req.socket.remoteAddress ?? '' },
    });
    // The body is read only once the connection is up, so a refused connection leaves it unread
    // and the request can still go to another instance.
    upstream.once('socket', (socket) => {
      const send = (): void => {
        connected = true;
        if (req.readableEnded) {
          upstream.end();
          return;
        }
        req.on('data', countBody);
        req.pipe(upstream);
      };
      if (socket.connecting) socket.once('connect', send);
      else send();
    });
    upstream.once('response', (upstreamRes) => {
      // Which instance answered: for debugging, as cloud load balancers' trace headers do.
      res.writeHead(upstreamRes.statusCode ?? 502, {
        ...forwardable(upstreamRes.headers),
        'x-prescale-instance-id': target.id,
      });
      upstreamRes.pipe(res);
      upstreamRes.once('error', () => res.destroy());
    });
    upstream.once('close', release);
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      release();
      req.unpipe(upstream);
      req.off('data', countBody);
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      // Never delivered: the connection failed, or a kept-alive connection the instance had just
      // closed was reset before any of the body went out (the race Node's docs describe).
      const notDelivered = !connected || (upstream.reusedSocket && err.code === 'ECONNRESET' && bodyBytes === 0);
      if (failed === undefined && notDelivered) {
        this.logger.warn(
          { instanceId: target.id, err: err.message },
          'upstream failed before the request was sent; trying another instance',
        );
        this.forward(req, res, resourceSetId, path, target.id);
        return;
      }
      this.upstreamErrors.inc({ resource_set: resourceSetId });
      sendJson(res, 502, 'UpstreamFailed', `instance ${target.id} failed: ${err.message}`);
    });
    res.once('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
  }
}
