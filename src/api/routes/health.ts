import { z } from 'zod';
import type { ApiContext } from '../context.js';
import { route, type Route } from '../route.js';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

interface CheckResult {
  ok: boolean;
  error?: string | undefined;
}

const readyBody = z.object({
  ready: z.boolean(),
  checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })),
});

export function healthRoutes(ctx: ApiContext): Route[] {
  const checks: Record<string, () => Promise<unknown>> = {
    temporal: () => ctx.temporal.connection.workflowService.getSystemInfo({}),
    postgres: () => ctx.db.query('SELECT 1'),
    objectStorage: () => ctx.objects.ping(),
  };
  return [
    route({
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: the process answers (never rate limited)',
      role: 'public',
      unlimited: true,
      responses: { 200: { description: 'Alive' } },
      handler: () => Promise.resolve({ status: 200, body: { ok: true } }),
    }),
    route({
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: Temporal, Postgres and object storage all answer (never rate limited)',
      role: 'public',
      unlimited: true,
      responses: {
        200: { description: 'Ready', schema: readyBody },
        503: { description: 'A dependency failed; it is named', schema: readyBody },
      },
      async handler() {
        const results = await Promise.all(
          Object.entries(checks).map(async ([name, check]): Promise<[string, CheckResult]> => {
            try {
              await withTimeout(check(), CHECK_TIMEOUT_MS);
              return [name, { ok: true }];
            } catch (err) {
              return [name, { ok: false, error: String((err as Error).message).split('\n')[0] }];
            }
          }),
        );
        const ready = results.every(([, r]) => r.ok);
        return { status: ready ? 200 : 503, body: { ready, checks: Object.fromEntries(results) } };
      },
    }),
  ];
}
