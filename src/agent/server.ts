import type { Server } from 'node:http';
import { appConfigSchema } from '../domain/app-config.js';
import { requireBearer } from '../infra/bearer.js';
import { HttpError, validationError } from '../infra/http-error.js';
import type { Logger } from '../logger.js';
import { renderAgentMetrics, type AgentState } from './agent-metrics.js';
import type { AppClient } from './app-client.js';
import type { ConfigApplier } from './config-applier.js';
import { createJsonServer, methodNotAllowed, readJson, routeNotFound, sendJson, sendText } from './http.js';

export interface AgentServerOptions {
  app: AppClient;
  applier: ConfigApplier;
  /** The instance's agent token: every route but /healthz needs it as the bearer token. */
  token: string;
  state(): AgentState;
  /** Resolves once the app's requests are counted: a health check waits for it. */
  counting(): Promise<void>;
  logger: Logger;
}

/**
 * GET /healthz (open: the cloud's health checks carry no token), and, with the instance's agent
 * token, GET /metrics, GET /config and PUT /config.
 */
export function createAgentServer(options: AgentServerOptions): Server {
  const { app, applier } = options;
  return createJsonServer(async (req, res, url) => {
    if (url.pathname !== '/healthz') requireBearer(req.headers, options.token, 'agent token');
    switch (`${req.method} ${url.pathname}`) {
      case 'GET /metrics':
        return sendText(res, 200, 'text/plain; version=0.0.4; charset=utf-8', renderAgentMetrics(options.state()));
      case 'GET /healthz':
        try {
          await app.health();
          // Healthy means routed to: its requests must be counted from the first.
          await options.counting();
          return sendJson(res, 200, { status: 'ok' });
        } catch (err) {
          return sendJson(res, 503, { status: 'unhealthy', reason: (err as Error).message });
        }
      case 'GET /config':
        if (!applier.applied)
          throw new HttpError(404, 'no_config', 'no configuration applied or adopted from the app yet');
        return sendJson(res, 200, applier.applied);
      case 'PUT /config': {
        const parsed = appConfigSchema.safeParse(await readJson(req));
        if (!parsed.success) throw validationError('body', parsed.error);
        return sendJson(res, 200, await applier.apply(parsed.data));
      }
    }
    if (['/metrics', '/healthz', '/config'].includes(url.pathname)) throw methodNotAllowed(req, url);
    throw routeNotFound(req, url);
  }, options.logger);
}
