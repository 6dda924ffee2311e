import type { Request, RequestHandler, Response, Router } from 'express';
import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { RouteRole } from '../auth/principal.js';
import { HttpError, validationError } from '../infra/http-error.js';
import type { AuditChange } from '../store/audit.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
}

export interface RouteResult {
  status: number;
  /** Sent as JSON, or as it is when `contentType` is given. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** For the audit log: the resource set a route made (others name it in their path), and what a write changed. */
  audit?: { resourceSet?: string; change?: AuditChange | null };
}

/**
 * One API endpoint: its validation schemas, documentation, required role and handler in one
 * place, so the router, the OpenAPI document and the authorisation matrix all read the same table.
 */
export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** Express syntax: /v1/resource-sets/:id */
  path: string;
  summary: string;
  /** Who may call it. Required, so that no route is open because someone forgot to say. */
  role: RouteRole;
  /** Never rate limited: health checks come often from one load balancer, and a 429 would take the API out of rotation. */
  unlimited?: true;
  /** The path parameter naming the resource set acted on; keys scoped to other sets get 404. */
  resourceSetParam?: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handler(input: RouteInput<P, Q, B>): Promise<RouteResult>;
}

/** Lets a table hold routes of different shapes while each keeps its own types when defined. */
export function route<P, Q, B>(r: Route<P, Q, B>): Route {
  return r;
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: 'body' | 'query' | 'params'): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}

/** What a request acts on, for the audit log: the path's id or name, else the body's id, else the created thing's. */
function targetOf(params: unknown, body: unknown, result: unknown): string | undefined {
  const named = params as { id?: unknown; name?: unknown } | undefined;
  const candidates = [
    named?.id,
    named?.name,
    (body as { id?: unknown } | undefined)?.id,
    (result as { id?: unknown } | undefined)?.id,
  ];
  return candidates.find((c): c is string => typeof c === 'string');
}

/**
 * Mounts each route behind `before(route)`: the middleware that authenticates, limits and parses;
 * `admit` sees each request once it is valid, and may refuse it by throwing; `around` runs the
 * handler (within a deadline, say, or not at all when it answers a repeated request).
 */
export function mountRoutes(
  router: Router,
  routes: readonly Route[],
  before: (r: Route) => RequestHandler[] = () => [],
  admit: (r: Route, params: unknown) => void = () => undefined,
  around: (handle: () => Promise<RouteResult>, r: Route, req: Request, res: Response) => Promise<RouteResult> = (
    handle,
  ) => handle(),
): void {
  for (const r of routes) {
    router[r.method](r.path, ...before(r), async (req: Request, res: Response) => {
      // Checked once the caller is admitted, like the body itself; a write without a body (none, or
      // content-length 0 as fetch sends) is left to its schema.
      const hasContent = req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
      if (r.body && hasContent && !req.is('application/json')) {
        throw new HttpError(
          415,
          'unsupported_media_type',
          `body: must be JSON, sent with content-type: application/json (got ${JSON.stringify(req.get('content-type') ?? null)})`,
        );
      }
      const params = parse(r.params, req.params, 'params');
      const query = parse(r.query, req.query, 'query');
      const body = parse(r.body, req.body, 'body');
      admit(r, params);
      const result = await around(() => r.handler({ params, query, body, req }), r, req, res);
      res.locals.target = targetOf(params, body, result.body);
      if (result.headers) res.set(result.headers);
      res.locals.audit = result.audit;
      if (result.body === undefined) res.status(result.status).end();
      else if (result.contentType) res.status(result.status).type(result.contentType).send(result.body);
      else res.status(result.status).json(result.body);
    });
  }
  // Reached only when no route of the path took the method: a known path says what it allows.
  for (const [path, methods] of methodsByPath(routes)) {
    router.all(path, (req, res) => {
      if (req.method === 'OPTIONS') return void res.set('allow', methods).status(204).end();
      throw new HttpError(
        405,
        'method_not_allowed',
        `${req.method} is not allowed on ${path}; it allows ${methods}`,
        undefined,
        { allow: methods },
      );
    });
  }
}

/** Each path's methods as an Allow header lists them (GET brings HEAD, as Express answers it). */
function methodsByPath(routes: readonly Route[]): Map<string, string> {
  const byPath = new Map<string, Set<string>>();
  for (const r of routes) {
    const methods = byPath.get(r.path) ?? new Set<string>();
    methods.add(r.method.toUpperCase());
    if (r.method === 'get') methods.add('HEAD');
    byPath.set(r.path, methods);
  }
  return new Map([...byPath].map(([path, methods]) => [path, [...methods].join(', ')]));
}

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    requestId: z.string().optional(),
    details: z.unknown().optional(),
  }),
});

export function openApiDocument(routes: readonly Route[], info: { title: string; version: string }): unknown {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (psk_…), an OIDC access token when configured, or (POST /v1/metrics) an agent token',
  });
  const denied = {
    401: { description: 'No bearer token, or not a valid one', schema: errorBodySchema },
    403: { description: 'The token lacks the role (or is scoped to other resource sets)', schema: errorBodySchema },
  };
  // Any route may meet these: say so once, with the codes a client can act on.
  const shed = {
    429: {
      description:
        "Slow down, then retry after the retry-after header: rate_limited (per key), resource_set_busy (the set's write budget), temporal_busy (Temporal shedding load)",
      schema: errorBodySchema,
    },
    503: {
      description:
        'A dependency is unreachable or too slow: temporal_unavailable, temporal_timeout (with retry-after; a write may still take effect), database_unavailable',
      schema: errorBodySchema,
    },
  };
  const writeHeaders = z.object({
    'idempotency-key': z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe(
        'Makes a retry safe: a repeat with the same key and body within 24 h gets the first answer (idempotent-replayed: true) without acting again',
      ),
  });
  const reusedKey = {
    422: {
      description: 'idempotency_key_reused: the Idempotency-Key was sent with another route or body',
      schema: errorBodySchema,
    },
  };
  const unsupported = {
    415: {
      description: 'A body that is not sent as content-type: application/json (unsupported_media_type)',
      schema: errorBodySchema,
    },
  };
  for (const r of routes) {
    const write = r.method !== 'get';
    registry.registerPath({
      method: r.method,
      path: r.path.replace(/:(\w+)/g, '{$1}'),
      summary: r.summary,
      description:
        r.role === 'public'
          ? 'Public.'
          : `Requires: ${r.role === 'agent' ? "the instance's agent token" : `role ${r.role} or stronger`}.`,
      security: r.role === 'public' ? [] : [{ [bearer.name]: [] }],
      request: {
        ...(r.params ? { params: r.params as z.ZodObject } : {}),
        ...(r.query ? { query: r.query as z.ZodObject } : {}),
        ...(r.body ? { body: { content: { 'application/json': { schema: r.body } } } } : {}),
        ...(write ? { headers: writeHeaders } : {}),
      },
      responses: Object.fromEntries(
        Object.entries({
          ...(r.role === 'public' ? {} : denied),
          ...shed,
          ...(write ? reusedKey : {}),
          ...(r.body ? unsupported : {}),
          ...r.responses,
          ...(r.body || r.params ? { 400: { description: 'Invalid request', schema: errorBodySchema } } : {}),
        }).map(([status, { description, schema }]) => [
          status,
          {
            description,
            ...(schema ? { content: { 'application/json': { schema } } } : {}),
          },
        ]),
      ),
    });
  }
  registry.registerComponent('responses', 'MethodNotAllowed', {
    description:
      'Any path answers a method it does not list here with 405 method_not_allowed and an Allow header naming those it does (OPTIONS: 204 with Allow)',
    headers: { Allow: { description: "The path's methods", schema: { type: 'string', example: 'GET, HEAD, POST' } } },
  });
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: '3.0.3',
    info: {
      ...info,
      description:
        'Errors have one body, `{"error": {"code", "message", "requestId", "details"}}`. A method a path does not list answers 405 method_not_allowed with an Allow header (components.responses.MethodNotAllowed); a body not sent as application/json answers 415 unsupported_media_type.',
    },
  });
}
