import type { Request } from 'express';
import { Counter } from 'prom-client';
import { z } from 'zod';
import { agentTokenInstance } from '../../domain/agent-token.js';
import { metricBatchSchema } from '../../domain/metrics.js';
import { ingestBatch } from '../../store/metrics.js';
import type { ApiContext } from '../context.js';
import { bearerToken } from '../auth.js';
import { HttpError } from '../../infra/http-error.js';
import { route, type Route } from '../route.js';

// Bounds of what a real instance can report. Beyond them a value is a bug or an attack, and it
// could overflow the roll-up's sums; a future timestamp would pose as demand that has not happened.
const MAX_FUTURE_MS = 10 * 60_000;
const MAX_REQUESTS_PER_SAMPLE = 1e12;
const MAX_LATENCY_MS = 1e9;
const LATENCIES = ['latencyP50Ms', 'latencyP95Ms', 'latencyP99Ms'] as const;

const ingestBodySchema = metricBatchSchema.superRefine((batch, ctx) => {
  const latest = Date.now() + MAX_FUTURE_MS;
  batch.samples.forEach((s, i) => {
    const issue = (field: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: ['samples', i, field], message });
    if (s.ts > latest) issue('ts', "more than 10 minutes in the future (is the agent's clock right?)");
    if (s.requests > MAX_REQUESTS_PER_SAMPLE) issue('requests', `must be at most ${MAX_REQUESTS_PER_SAMPLE}`);
    if (s.errors > s.requests) issue('errors', 'must not exceed requests');
    for (const field of LATENCIES)
      if ((s[field] ?? 0) > MAX_LATENCY_MS) issue(field, `must be at most ${MAX_LATENCY_MS}`);
  });
});

/** RFC 6750: a 401 names the scheme, and says invalid_token only when a token was presented. */
function unauthorized(req: Request, presented: boolean, message: string): HttpError {
  req.res?.set('www-authenticate', presented ? 'Bearer error="invalid_token"' : 'Bearer');
  return new HttpError(401, presented ? 'invalid_token' : 'unauthorized', message);
}

const INGEST_COUNTER = 'prescale_ingest_samples_total';

/** The agents' push endpoint. Each agent holds a token good for its own instance only. */
export function metricsRoutes(ctx: Pick<ApiContext, 'db' | 'metrics'> & { agentSecret: string }): Route[] {
  const samples =
    (ctx.metrics.getSingleMetric(INGEST_COUNTER) as Counter<'outcome'> | undefined) ??
    new Counter({
      name: INGEST_COUNTER,
      help: 'Agent metric samples received, by outcome (accepted, duplicate, unauthorized)',
      labelNames: ['outcome'] as const,
      registers: [ctx.metrics],
    });
  return [
    route({
      method: 'post',
      path: '/v1/metrics',
      summary: "Push a batch of agent samples (bearer: the instance's agent token)",
      role: 'agent',
      body: ingestBodySchema,
      responses: {
        202: {
          description: 'Stored; samples already stored (an agent retry) are counted as duplicates',
          schema: z.object({ accepted: z.number(), duplicates: z.number() }),
        },
        401: { description: 'No bearer token, or not a valid agent token' },
        403: { description: "Another instance's agent token" },
        503: { description: 'Postgres is unreachable; retry later' },
      },
      async handler({ body, req }) {
        const token = bearerToken(req);
        const owner = token ? agentTokenInstance(ctx.agentSecret, token) : undefined;
        if (owner !== body.instanceId) {
          samples.inc({ outcome: 'unauthorized' }, body.samples.length);
          if (owner)
            throw new HttpError(
              403,
              'forbidden',
              `the agent token of instance "${owner}" may not push metrics for "${body.instanceId}"`,
            );
          throw token
            ? unauthorized(req, true, 'the bearer token is not a valid agent token')
            : unauthorized(req, false, 'an agent bearer token is required (Authorization: Bearer <token>)');
        }
        const result = await ingestBatch(ctx.db, body);
        samples.inc({ outcome: 'accepted' }, result.accepted);
        samples.inc({ outcome: 'duplicate' }, result.duplicates);
        return { status: 202, body: result };
      },
    }),
  ];
}
