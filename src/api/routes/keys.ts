import { z } from 'zod';
import { apiKeyIdPattern } from '../../auth/api-key.js';
import { ROLES } from '../../auth/principal.js';
import { resourceSetIdSchema } from '../../domain/resource-set.js';
import { createApiKey, keyCreated, keyRotated, listApiKeys, revokeApiKey, rotateApiKey } from '../../store/api-keys.js';
import { missingResourceSets } from '../../store/resource-sets.js';
import { principalOf } from '../auth.js';
import type { ApiContext } from '../context.js';
import { HttpError, invalidFields, notFound } from '../../infra/http-error.js';
import { pageBody, pageOf, pageQuery } from '../cursor.js';
import { instantSchema } from '../instants.js';
import { route, type Route } from '../route.js';

/** Long enough to redeploy everything that holds a key, short enough that a leaked one dies. */
const MAX_OVERLAP_SECONDS = 30 * 86_400;

/** How long a rotated key keeps working; the CLI's --overlap-seconds too. */
export const overlapSecondsSchema = z
  .number()
  .int()
  .min(0)
  .max(MAX_OVERLAP_SECONDS)
  .default(0)
  .describe(
    `How long the old key keeps working, so its users can switch (at most ${MAX_OVERLAP_SECONDS / 86_400} days); DELETE ends it sooner`,
  );

const keyIdSchema = z.string().regex(apiKeyIdPattern, 'must be a key id (16 hex digits)');
const idParams = z.strictObject({ id: keyIdSchema });

export const apiKeySpecSchema = z.strictObject({
  role: z.enum(ROLES),
  /** Confines the key to these resource sets; absent means every set. */
  scopes: z.array(resourceSetIdSchema).min(1).max(100).optional(),
  name: z.string().max(100).optional(),
});

const keyBody = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  scopes: z.array(z.string()).nullable(),
  createdAt: instantSchema,
  createdBy: z.string().nullable(),
  revokedAt: instantSchema.nullable(),
  rotatedFrom: z.string().nullable(),
});
const newKeyBody = keyBody.extend({ key: z.string().describe('psk_<id>_<secret>: shown this once, never again') });

export function keyRoutes(ctx: Pick<ApiContext, 'db'>): Route[] {
  return [
    route({
      method: 'post',
      path: '/v1/keys',
      summary: 'Create an API key (the key is in this answer only)',
      role: 'admin',
      body: apiKeySpecSchema,
      responses: { 201: { description: 'Created', schema: newKeyBody } },
      async handler({ body, req }) {
        // A scope naming no set would confine the key to nothing, or to a set made later by someone else.
        const missing = await missingResourceSets(ctx.db, body.scopes ?? []);
        if (missing.length > 0) {
          throw invalidFields(
            missing.map((id) => ({
              path: `body.scopes.${body.scopes!.indexOf(id)}`,
              message: `resource set "${id}" does not exist`,
            })),
          );
        }
        const created = await createApiKey(ctx.db, body, principalOf(req)?.id ?? null);
        return { status: 201, body: created, audit: { change: keyCreated(created) } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/keys',
      summary: 'List API keys, ordered by id (never their secrets)',
      role: 'admin',
      query: pageQuery(z.strictObject({ id: keyIdSchema }), { max: 500, fallback: 100 }).extend({
        includeRevoked: z.enum(['true', 'false']).default('false'),
      }),
      responses: { 200: { description: 'A page of keys', schema: pageBody(keyBody) } },
      async handler({ query }) {
        const rows = await listApiKeys(ctx.db, {
          limit: query.limit,
          after: query.cursor?.id,
          includeRevoked: query.includeRevoked === 'true',
        });
        return {
          status: 200,
          body: pageOf(
            rows,
            query.limit,
            ({ id }) => ({ id }),
            (row) => row,
          ),
        };
      },
    }),
    route({
      method: 'delete',
      path: '/v1/keys/:id',
      summary: 'Revoke an API key; requests with it fail from now on',
      role: 'admin',
      params: idParams,
      responses: {
        200: { description: 'Revoked (also when it already was)', schema: keyBody },
        404: { description: 'Unknown key' },
      },
      async handler({ params }) {
        const revoked = await revokeApiKey(ctx.db, params.id);
        if (!revoked) throw notFound('API key', params.id);
        return { status: 200, body: revoked.row, audit: { change: revoked.change } };
      },
    }),
    route({
      method: 'post',
      path: '/v1/keys/:id/rotate',
      summary:
        'Replace an API key with a new one of the same role and scopes; the old one keeps working for overlapSeconds (default 0: revoked at once)',
      role: 'admin',
      params: idParams,
      body: z.strictObject({ overlapSeconds: overlapSecondsSchema }).prefault({}),
      responses: {
        201: {
          description: 'The new key; `replaces` says until when the old one works',
          schema: newKeyBody.extend({ replaces: z.object({ id: z.string(), revokedAt: instantSchema }) }),
        },
        404: { description: 'Unknown key' },
        409: { description: 'The key is revoked' },
      },
      async handler({ params, body, req }) {
        const result = await rotateApiKey(ctx.db, params.id, principalOf(req)?.id ?? null, body.overlapSeconds);
        if (result.outcome === 'missing') throw notFound('API key', params.id);
        if (result.outcome === 'revoked')
          throw new HttpError(409, 'revoked', `API key "${params.id}" is revoked; create a new one instead`);
        const replaces = { id: params.id, revokedAt: result.oldRevokedAt };
        return { status: 201, body: { ...result.key, replaces }, audit: { change: keyRotated(result) } };
      },
    }),
  ];
}
