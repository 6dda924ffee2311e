import { z } from 'zod';
import { listAudit } from '../../store/audit.js';
import type { ApiContext } from '../context.js';
import { route, type Route } from '../route.js';

const entryBody = z.object({
  id: z.string(), at: z.string(), requestId: z.string(), principalKind: z.string(), principalId: z.string().nullable(),
  method: z.string(), route: z.string(), target: z.string().nullable(), status: z.number(),
});

export function auditRoutes(ctx: Pick<ApiContext, 'db'>): Route[] {
  return [
    route({
      method: 'get', path: '/v1/audit', summary: 'The audit log of mutating requests, newest first', role: 'admin',
      query: z.strictObject({
        limit: z.coerce.number().int().min(1).max(500).default(100),
        before: z.string().regex(/^\d{1,18}$/, 'must be an entry id').optional(),
      }),
      responses: { 200: { description: 'A page of entries', schema: z.object({ items: z.array(entryBody), next: z.string().optional() }) } },
      async handler({ query }) {
        const items = await listAudit(ctx.db, query);
        const next = items.length === query.limit ? items.at(-1)?.id : undefined;
        return { status: 200, body: { items, ...(next ? { next } : {}) } };
      },
    }),
  ];
}
