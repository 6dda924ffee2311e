import type { Request, Response, Router } from 'express';
import { OpenAPIRegistry, OpenApiGeneratorV3 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { validationError } from './http-error.js';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: Request;
}

export interface RouteResult {
  status: number;
  body?: unknown;
}

/**
 * One API endpoint: its validation schemas, documentation and handler in one place, so the
 * router, the OpenAPI document and (later) the authorisation matrix all read the same table.
 */
export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** Express syntax: /v1/resource-sets/:id */
  path: string;
  summary: string;
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

export function mountRoutes(router: Router, routes: readonly Route[]): void {
  for (const r of routes) {
    router[r.method](r.path, async (req: Request, res: Response) => {
      const params = parse(r.params, req.params, 'params');
      const query = parse(r.query, req.query, 'query');
      const body = parse(r.body, req.body, 'body');
      const result = await r.handler({ params, query, body, req });
      if (result.body === undefined) res.status(result.status).end();
      else res.status(result.status).json(result.body);
    });
  }
}

export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), requestId: z.string().optional(), details: z.unknown().optional() }),
});

export function openApiDocument(routes: readonly Route[], info: { title: string; version: string }): unknown {
  const registry = new OpenAPIRegistry();
  for (const r of routes) {
    registry.registerPath({
      method: r.method,
      path: r.path.replace(/:(\w+)/g, '{$1}'),
      summary: r.summary,
      request: {
        ...(r.params ? { params: r.params as z.ZodObject } : {}),
        ...(r.query ? { query: r.query as z.ZodObject } : {}),
        ...(r.body ? { body: { content: { 'application/json': { schema: r.body } } } } : {}),
      },
      responses: Object.fromEntries(Object.entries({ ...r.responses, ...(r.body || r.params ? { 400: { description: 'Invalid request', schema: errorBodySchema } } : {}) })
        .map(([status, { description, schema }]) => [status, {
          description,
          ...(schema ? { content: { 'application/json': { schema } } } : {}),
        }])),
    });
  }
  return new OpenApiGeneratorV3(registry.definitions).generateDocument({ openapi: '3.0.3', info });
}
