import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { Histogram } from 'prom-client';
import { isTemporalUnavailable } from '../infra/temporal.js';
import { isDatabaseUnavailable } from '../store/db.js';
import type { ApiContext } from './context.js';
import { HttpError } from './http-error.js';
import { mountRoutes, openApiDocument, route, type Route } from './route.js';
import { healthRoutes } from './routes/health.js';
import { resourceSetRoutes } from './routes/resource-sets.js';

/** Every endpoint of the API, in one table (the router and the OpenAPI document read it). */
export function apiRoutes(ctx: ApiContext): Route[] {
  const routes: Route[] = [...healthRoutes(ctx), ...resourceSetRoutes(ctx)];
  routes.push(route({
    method: 'get', path: '/v1/openapi.json', summary: 'This document',
    responses: { 200: { description: 'OpenAPI 3 document' } },
    handler: () => Promise.resolve({ status: 200, body: openApiDocument(routes, { title: 'Prescale API', version: '1' }) }),
  }));
  return routes;
}

/** Maps any thrown error to a JSON error body; only a genuine bug becomes a 500. */
function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const e = err as { type?: string; status?: number; message?: string };
  if (e.type === 'entity.parse.failed') return new HttpError(400, 'invalid_json', `body: not valid JSON (${e.message})`);
  if (e.type === 'entity.too.large') return new HttpError(413, 'body_too_large', 'body: larger than the limit');
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return new HttpError(e.status, 'bad_request', e.message ?? 'bad request');
  if (isTemporalUnavailable(err)) return new HttpError(503, 'temporal_unavailable', 'Temporal is unreachable; try again shortly');
  if (isDatabaseUnavailable(err)) return new HttpError(503, 'database_unavailable', 'Postgres is unreachable; try again shortly');
  return new HttpError(500, 'internal', 'internal error');
}

export function createApp(ctx: ApiContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const duration = new Histogram({
    name: 'prescale_http_request_duration_seconds', help: 'API request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const, registers: [ctx.metrics],
  });

  const requestId: RequestHandler = (req, res, next) => {
    const id = req.get('x-request-id')?.slice(0, 100) || randomUUID();
    res.locals.requestId = id;
    res.set('x-request-id', id);
    const stop = duration.startTimer({ method: req.method });
    res.on('finish', () => stop({ route: (req.route as { path?: string } | undefined)?.path ?? 'unmatched', status: String(res.statusCode) }));
    next();
  };
  app.use(requestId);
  app.use(express.json({ limit: '1mb' }));

  const router = express.Router();
  mountRoutes(router, apiRoutes(ctx));
  router.get('/metrics', async (_req, res) => {
    res.type(ctx.metrics.contentType).send(await ctx.metrics.metrics());
  });
  app.use(router);

  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route for ${req.method} ${req.path}`)));
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const httpError = toHttpError(err);
    const requestId = res.locals.requestId as string;
    if (httpError.status >= 500) ctx.logger.error({ err, requestId }, 'request failed');
    res.status(httpError.status).json({
      error: { code: httpError.code, message: httpError.message, requestId, ...(httpError.details ? { details: httpError.details } : {}) },
    });
  };
  app.use(onError);
  return app;
}
