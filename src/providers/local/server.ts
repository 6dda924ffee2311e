import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import express, { type ErrorRequestHandler, type Request } from 'express';
import { z } from 'zod';
import { HttpError, validationError } from '../../infra/http-error.js';
import { appConfigSchema } from '../../domain/app-config.js';
import { resourceSetIdSchema } from '../../domain/resource-set.js';
import { requireBearer } from '../../infra/bearer.js';
import type { Logger } from '../../logger.js';
import { LocalCloud } from './cloud.js';
import { LOCAL_INSTANCE_TYPES } from './instance-types.js';
import { LoadBalancer } from './load-balancer.js';

const DEFAULT_DRAIN_SECONDS = 10;

const clientToken = z.string().min(1).max(512);
const launchSchema = z.strictObject({
  resourceSetId: resourceSetIdSchema,
  count: z.number().int().min(1).max(1000),
  instanceType: z.string().min(1).max(64),
  image: z.string().min(1).max(200),
  clientToken,
  config: appConfigSchema.optional(),
});
const terminateSchema = z.strictObject({
  instanceIds: z.array(z.string().min(1).max(100)).min(1).max(1000),
  resourceSetId: resourceSetIdSchema.optional(),
  drainSeconds: z.number().min(0).max(3600).default(DEFAULT_DRAIN_SECONDS),
  clientToken,
});
const describeSchema = z.object({ resourceSetId: resourceSetIdSchema.optional() });

export interface LocalCloudServerOptions {
  port: number;
  lbPort: number;
  stateDir: string;
  ingestUrl: string;
  agentSecret: string;
  /** Every API call but GET /healthz must carry it as the bearer token; the load balancer stays open. */
  token: string;
  bootDelaySeconds: number;
  instanceLimit: number;
  healthIntervalMs: number;
  logger: Logger;
}

export interface LocalCloudServer {
  apiUrl: string;
  lbUrl: string;
  /** Stops the API and the load balancer; the instances keep running unless `stopInstances`. */
  stop(options: { stopInstances: boolean }): Promise<void>;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: 'body' | 'query'): T {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}

function createApi(cloud: LocalCloud, token: string, logger: Logger): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Before the body parser: a caller without the token gets its 401 without the body being read.
  app.use((req, _res, next) => {
    requireBearer(req.headers, token, 'local cloud token');
    next();
  });
  app.use(express.json({ limit: '256kb' }));
  app.get('/instance-types', (_req, res) => {
    res.json({ instanceTypes: LOCAL_INSTANCE_TYPES });
  });
  app.get('/instances', (req: Request, res) => {
    const { resourceSetId } = parse(describeSchema, req.query, 'query');
    res.json({ instances: cloud.describe(resourceSetId) });
  });
  app.post('/instances', async (req: Request, res) => {
    res.json({ instances: await cloud.launch(parse(launchSchema, req.body, 'body')) });
  });
  app.post('/instances/terminate', async (req: Request, res) => {
    res.json({ instances: await cloud.terminate(parse(terminateSchema, req.body, 'body')) });
  });
  app.use((req, _res, next) => next(new HttpError(404, 'NotFound', `no route for ${req.method} ${req.path}`)));
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const e = err as { type?: string; status?: number; message?: string };
    const httpError =
      err instanceof HttpError
        ? err
        : e.type === 'entity.parse.failed'
          ? new HttpError(400, 'invalid_json', `body: not valid JSON (${e.message})`)
          : typeof e.status === 'number' && e.status < 500
            ? new HttpError(e.status, 'bad_request', e.message ?? 'bad request')
            : new HttpError(500, 'InternalError', 'internal error');
    if (httpError.status >= 500) logger.error({ err }, 'request failed');
    res.status(httpError.status).json({
      error: {
        code: httpError.code,
        message: httpError.message,
        ...(httpError.details ? { details: httpError.details } : {}),
      },
    });
  };
  app.use(onError);
  return app;
}

async function listen(server: Server, port: number): Promise<void> {
  server.listen(port, '127.0.0.1');
  await Promise.race([
    once(server, 'listening'),
    once(server, 'error').then(([err]) => {
      throw err as Error;
    }),
  ]);
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * The local cloud: recovers its instances from the state directory, then serves the instance API
 * on `port` and the load balancer on `lbPort` (both on loopback).
 */
export async function startLocalCloudServer(options: LocalCloudServerOptions): Promise<LocalCloudServer> {
  const cloud = await LocalCloud.open({
    stateDir: options.stateDir,
    ingestUrl: options.ingestUrl,
    agentSecret: options.agentSecret,
    bootDelayMs: options.bootDelaySeconds * 1000,
    instanceLimit: options.instanceLimit,
    healthIntervalMs: options.healthIntervalMs,
    logger: options.logger,
    // Only terminations drain, and none starts before the API below is listening.
    drain: (instanceId, timeoutMs) => lb.waitUntilIdle(instanceId, timeoutMs),
  });
  const lb = new LoadBalancer((resourceSetId) => cloud.targets(resourceSetId), options.logger);
  const api = createServer(createApi(cloud, options.token, options.logger));
  const balancer = createServer((req, res) => lb.handle(req, res));
  try {
    await listen(api, options.port);
    await listen(balancer, options.lbPort);
  } catch (err) {
    await Promise.all([close(api), close(balancer)]);
    await cloud.close({ stopInstances: false });
    throw err;
  }
  return {
    apiUrl: `http://127.0.0.1:${options.port}`,
    lbUrl: `http://127.0.0.1:${options.lbPort}`,
    async stop({ stopInstances }) {
      await Promise.all([close(api), close(balancer)]);
      lb.close();
      await cloud.close({ stopInstances });
    },
  };
}
