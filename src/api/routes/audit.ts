import { z } from 'zod';
import { apiKeyIdPattern } from '../../auth/api-key.js';
import { resourceSetIdSchema } from '../../domain/resource-set.js';
import { listAudit } from '../../store/audit.js';
import { audited, CLI_ACTIONS } from '../audit.js';
import type { ApiContext } from '../context.js';
import { pageBody, pageOf, pageQuery } from '../cursor.js';
import { instantSchema } from '../instants.js';
import { route, type Route } from '../route.js';

const entryBody = z.object({
  id: z.string(),
  at: instantSchema,
  requestId: z.string(),
  principalKind: z.string(),
  principalId: z.string().nullable(),
  method: z.string(),
  route: z.string(),
  target: z.string().nullable(),
  resourceSet: z.string().nullable(),
  status: z.number(),
  change: z
    .object({ before: z.unknown(), after: z.unknown() })
    .nullable()
    .describe('What the write replaced and what it put instead: the fields that differ'),
});

const position = z.strictObject({ before: z.string().regex(/^\d{1,18}$/) });
const principalSchema = z
  .string()
  .refine(
    (p) => p === 'anonymous' || apiKeyIdPattern.test(p) || /^(oidc|cli):[^\u0000-\u001f]{1,200}$/.test(p),
    'must be a principal id as entries show it (a key id, oidc:<subject>, cli:<user>) or anonymous',
  );
const instant = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time such as 2026-01-31T12:00:00Z' });

/** The audit log; `routes` is the whole table, whose audited routes name the actions one may filter by. */
export function auditRoutes(ctx: Pick<ApiContext, 'db'>, routes: () => readonly Route[]): Route[] {
  const actions = (): string[] => [
    ...routes()
      .filter(audited)
      .map((r) => `${r.method.toUpperCase()} ${r.path}`),
    ...CLI_ACTIONS,
  ];
  return [
    route({
      method: 'get',
      path: '/v1/audit',
      summary: 'The audit log of mutating requests (and of keys made with the CLI), newest first',
      role: 'admin',
      query: pageQuery(position, { max: 500, fallback: 100 })
        .extend({
          principal: principalSchema.optional(),
          resourceSet: resourceSetIdSchema.optional(),
          action: z
            .string()
            .max(300)
            .refine(
              (a) => actions().includes(a),
              'must be an audited action: METHOD and route pattern, e.g. "PATCH /v1/resource-sets/:id/policy", or "CLI keys create"',
            )
            .optional(),
          since: instant.optional().describe('Entries at or after this instant'),
          until: instant.optional().describe('Entries before this instant'),
        })
        .refine((q) => !q.since || !q.until || Date.parse(q.since) < Date.parse(q.until), {
          path: ['until'],
          message: 'must be after since',
        }),
      responses: { 200: { description: 'A page of entries', schema: pageBody(entryBody) } },
      async handler({ query: { cursor, action, ...filter } }) {
        const [method, ...route] = action?.split(' ') ?? [];
        const items = await listAudit(ctx.db, {
          ...filter,
          before: cursor?.before,
          ...(method ? { action: { method, route: route.join(' ') } } : {}),
        });
        return {
          status: 200,
          body: pageOf(
            items,
            filter.limit,
            (last) => ({ before: last.id }),
            (entry) => entry,
          ),
        };
      },
    }),
  ];
}
