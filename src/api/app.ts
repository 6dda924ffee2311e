import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { Histogram } from 'prom-client';
import { oidcVerifier } from '../auth/oidc.js';
import type { Principal } from '../auth/principal.js';
import { isCutByDeadline, isTemporalBusy, isTemporalUnavailable } from '../infra/temporal.js';
import type { Logger } from '../logger.js';
import { apiMetrics } from '../observability/metrics.js';
import { resourceSetGauges, showResourceSets } from '../observability/resource-set-metrics.js';
import { isDatabaseUnavailable } from '../store/db.js';
import { auditTrail } from './audit.js';
import { authenticator, guard } from './auth.js';
import { defaultApiSecurity, type ApiSecurity } from './auth-config.js';
import type { ApiContext } from './context.js';
import { HttpError } from '../infra/http-error.js';
import { idempotentWrites } from './idempotency.js';
import { RateLimiter } from './rate-limit.js';
import { readResourceSets } from './resource-set-readings.js';
import { dashboardAssets } from './dashboard/assets.js';
import { cors, securityHeaders } from './security-headers.js';
import { mountRoutes, openApiDocument, route, type Route, type RouteResult } from './route.js';
import { auditRoutes } from './routes/audit.js';
import { backtestRoutes } from './routes/backtest.js';
import { experimentRoutes } from './routes/experiments.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { metricsRoutes } from './routes/metrics.js';
import { recommendationRoutes } from './routes/recommendations.js';
import { tuningRoutes } from './routes/tuning.js';
import { resourceSetRoutes } from './routes/resource-sets.js';
import { profileRoutes } from './routes/profiles.js';
import { templateRoutes } from './routes/templates.js';

const securityOf = (ctx: ApiContext): ApiSecurity => ({ ...defaultApiSecurity, ...ctx.security });

/** Every endpoint of the API, in one table (the router, the OpenAPI document and the authorisation matrix read it). */
export function apiRoutes(ctx: ApiContext): Route[] {
  const routes: Route[] = [
    ...healthRoutes(ctx),
    ...resourceSetRoutes(ctx),
    ...metricsRoutes(ctx),
    ...keyRoutes(ctx),
    ...profileRoutes(ctx),
    ...templateRoutes(ctx),
    ...experimentRoutes(ctx),
    ...recommendationRoutes(ctx),
    ...tuningRoutes(ctx),
    ...backtestRoutes(ctx),
  ];
  routes.push(...auditRoutes(ctx, () => routes), ...dashboardRoutes(ctx, () => routes));
  const setGauges = resourceSetGauges(ctx.metrics);
  routes.push(
    route({
      method: 'get',
      path: '/metrics',
      summary: 'Prometheus metrics of the control plane (public only with METRICS_PUBLIC=true)',
      role: securityOf(ctx).metricsPublic ? 'public' : 'viewer',
      responses: { 200: { description: 'Prometheus text exposition' } },
      handler: async () => {
        // Without the database the per-set series are left out; the process's own metrics still answer.
        const readings = await readResourceSets(ctx.db).catch((err: unknown) => {
          ctx.logger.warn({ err }, 'could not read the resource sets for /metrics');
          return [];
        });
        showResourceSets(setGauges, readings);
        return { status: 200, body: await ctx.metrics.metrics(), contentType: ctx.metrics.contentType };
      },
    }),
  );
  routes.push(
    route({
      method: 'get',
      path: '/v1/openapi.json',
      summary: 'This document',
      role: 'public',
      responses: { 200: { description: 'OpenAPI 3 document' } },
      handler: () =>
        Promise.resolve({ status: 200, body: openApiDocument(routes, { title: 'Prescale API', version: '1' }) }),
    }),
  );
  return routes;
}

/** Refuses a valid write to a resource set beyond its token bucket, before it reaches the set's workflow. */
function resourceSetWriteLimit(
  { perSecond, burst }: ApiSecurity['resourceSetWrites'],
  metrics: ReturnType<typeof apiMetrics>,
): (r: Route, params: unknown) => void {
  const limiter = new RateLimiter(perSecond, burst);
  return (r, params) => {
    if (r.method === 'get' || !r.resourceSetParam) return;
    const id = String((params as Record<string, unknown>)[r.resourceSetParam]);
    const wait = limiter.take(id);
    if (wait > 0) {
      metrics.rateLimited.inc({ kind: 'resource_set' });
      throw new HttpError(
        429,
        'resource_set_busy',
        `resource set "${id}" takes at most ${perSecond} writes per second (burst ${burst}); retry after ${wait} s`,
        undefined,
        { 'retry-after': String(wait) },
      );
    }
  };
}

/** Maps any thrown error to a JSON error body; only a genuine bug becomes a 500. */
function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.parse.failed')
    return new HttpError(400, 'invalid_json', `body: not valid JSON (${e.message})`);
  if (e.type === 'entity.too.large') return new HttpError(413, 'body_too_large', 'body: larger than the limit');
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
    return new HttpError(e.status, 'bad_request', e.message ?? 'bad request');
  if (isTemporalBusy(err))
    return new HttpError(
      429,
      'temporal_busy',
      'the workflow or Temporal is taking requests slower than they arrive; retry after 1 s',
      undefined,
      { 'retry-after': '1' },
    );
  if (isTemporalUnavailable(err))
    return new HttpError(503, 'temporal_unavailable', 'Temporal is unreachable; try again shortly');
  if (isDatabaseUnavailable(err))
    return new HttpError(503, 'database_unavailable', 'Postgres is unreachable; try again shortly');
  return new HttpError(500, 'internal', 'internal error');
}

// A caller's request id is echoed and logged, so it must be harmless in both places.
const CALLER_REQUEST_ID = /^[\w.:-]{1,100}$/;

export function createApp(ctx: ApiContext): express.Express {
  const security = securityOf(ctx);
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', security.trustProxy);
  const duration = new Histogram({
    name: 'prescale_http_request_duration_seconds',
    help: 'API request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [ctx.metrics],
  });

  // One log line per request, from a logger that carries the request id like every other line
  // logged for it. Headers are never logged: they hold the bearer tokens.
  const requestContext: RequestHandler = (req, res, next) => {
    const given = req.get('x-request-id');
    const id = given && CALLER_REQUEST_ID.test(given) ? given : randomUUID();
    const log = ctx.logger.child({ requestId: id });
    res.locals.requestId = id;
    res.locals.log = log;
    res.set('x-request-id', id);
    const stop = duration.startTimer({ method: req.method });
    res.on('finish', () => {
      const routePath = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      const seconds = stop({ route: routePath, status: String(res.statusCode) });
      const principal = res.locals.principal as Principal | undefined;
      // Agents push every few seconds each; their successes would drown everything else.
      const level = principal?.kind === 'agent' && res.statusCode < 400 ? 'debug' : 'info';
      log[level](
        {
          method: req.method,
          path: req.path.slice(0, 200),
          route: routePath,
          status: res.statusCode,
          ms: Math.round(seconds * 1000),
          ...(principal ? { principal: `${principal.kind}:${principal.id}` } : {}),
        },
        'request',
      );
    });
    next();
  };
  app.use(requestContext, securityHeaders);
  if (security.corsOrigins.length) app.use(cors(security.corsOrigins));

  const authenticate = authenticator({
    db: ctx.db,
    agentSecret: ctx.agentSecret,
    oidc: security.oidc && oidcVerifier(security.oidc),
  });
  const metrics = apiMetrics(ctx.metrics);
  const check = guard({
    authenticate,
    limiter: new RateLimiter(security.rateLimit.perSecond, security.rateLimit.burst),
    metrics,
  });
  const audit = auditTrail(ctx);
  // Bodies are parsed only for callers the route admits.
  const json = express.json({ limit: '1mb' });
  const router = express.Router();
  const temporalDeadline = async (handle: () => Promise<RouteResult>): Promise<RouteResult> => {
    const deadline = Date.now() + security.temporalTimeoutSeconds * 1000;
    try {
      return await ctx.temporal.connection.withDeadline(deadline, handle);
    } catch (err) {
      // Reachable but slow (an unreachable server fails sooner, as temporal_unavailable); a write
      // whose call was cut may still take effect, which every write route tolerates (they are idempotent).
      if (isCutByDeadline(err, deadline)) {
        throw new HttpError(
          503,
          'temporal_timeout',
          `Temporal did not answer within ${security.temporalTimeoutSeconds} s (overloaded); retry after 5 s — a write may still take effect`,
          undefined,
          { 'retry-after': '5' },
        );
      }
      throw err;
    }
  };
  const idempotent = idempotentWrites(ctx.db);
  mountRoutes(
    router,
    apiRoutes(ctx),
    (r) => [...audit(r), check(r), json],
    resourceSetWriteLimit(security.resourceSetWrites, metrics),
    (handle, r, req, res) => idempotent(r, req, res, () => temporalDeadline(handle)),
  );
  app.use(router);
  app.use(dashboardAssets());

  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`)));
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const httpError = toHttpError(err);
    const requestId = res.locals.requestId as string;
    if (httpError.status >= 500) (res.locals.log as Logger).error({ err }, 'request failed');
    if (httpError.headers) res.set(httpError.headers);
    res.status(httpError.status).json({
      error: {
        code: httpError.code,
        message: httpError.message,
        requestId,
        ...(httpError.details ? { details: httpError.details } : {}),
      },
    });
  };
  app.use(onError);
  return app;
}
