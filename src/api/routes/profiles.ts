import { z } from 'zod';
import { fieldChanges } from '../../config/diff.js';
import { appProfileSchema, profileNameSchema } from '../../domain/app-profile.js';
import { HttpError } from '../../infra/http-error.js';
import {
  listProfiles,
  listProfileVersions,
  putProfileVersion,
  readProfileVersion,
  type ProfileVersion,
} from '../../store/profiles.js';
import type { ApiContext } from '../context.js';
import { instantSchema } from '../instants.js';
import { route, type Route } from '../route.js';
import { auditOfNewVersion, versionNumberSchema as versionNumber, versionReader } from '../versions.js';

const nameParams = z.strictObject({ name: profileNameSchema });
const versionParams = nameParams.extend({ version: versionNumber });

const metadataBody = z.object({
  profile: z.string(),
  version: z.number(),
  contentHash: z.string(),
  createdAt: instantSchema,
});
const versionBody = metadataBody.extend({ body: z.record(z.string(), z.unknown()) });

/** App profiles: immutable, numbered versions of what Prescale knows about an application. */
export function profileRoutes(ctx: ApiContext): Route[] {
  const read = versionReader<ProfileVersion>('profile', (name, version) => readProfileVersion(ctx.db, name, version));

  return [
    route({
      method: 'post',
      path: '/v1/profiles/:name/versions',
      summary:
        'Add a version of an app profile (its parameters, software, health check and configuration delivery); an identical profile is the existing version',
      role: 'admin',
      params: nameParams,
      body: appProfileSchema,
      responses: {
        201: { description: 'Created', schema: versionBody },
        200: { description: 'A version with this content already exists', schema: versionBody },
      },
      async handler({ params, body }) {
        const { created, version } = await putProfileVersion(ctx.db, params.name, body);
        return {
          status: created ? 201 : 200,
          body: version,
          ...(await auditOfNewVersion(created, version, (v) => read(params.name, v))),
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/profiles',
      summary: 'Every app profile with its latest version',
      role: 'viewer',
      responses: {
        200: {
          description: 'Profiles by name',
          schema: z.object({
            items: z.array(
              z.object({
                profile: z.string(),
                latestVersion: z.number(),
                versions: z.number(),
                updatedAt: instantSchema,
              }),
            ),
          }),
        },
      },
      async handler() {
        return { status: 200, body: { items: await listProfiles(ctx.db) } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/profiles/:name/versions',
      summary: "A profile's versions, oldest first",
      role: 'viewer',
      params: nameParams,
      responses: {
        200: { description: 'Versions', schema: z.object({ items: z.array(metadataBody) }) },
        404: { description: 'Unknown profile' },
      },
      async handler({ params }) {
        const rows = await listProfileVersions(ctx.db, params.name);
        if (rows.length === 0) throw new HttpError(404, 'not_found', `profile "${params.name}" does not exist`);
        return { status: 200, body: { items: rows } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/profiles/:name/versions/:version',
      summary: 'One profile version with its document',
      role: 'viewer',
      params: versionParams,
      responses: {
        200: { description: 'The version', schema: versionBody },
        404: { description: 'Unknown profile or version' },
      },
      async handler({ params }) {
        return { status: 200, body: await read(params.name, params.version) };
      },
    }),
    route({
      method: 'get',
      path: '/v1/profiles/:name/diff',
      summary: 'What changes from one profile version to another, field by field',
      role: 'viewer',
      params: nameParams,
      query: z.strictObject({ from: versionNumber, to: versionNumber }),
      responses: {
        200: {
          description: 'The changes',
          schema: z.object({
            from: z.number(),
            to: z.number(),
            changes: z.array(z.object({ path: z.string(), from: z.unknown(), to: z.unknown() })),
          }),
        },
        404: { description: 'Unknown profile or version' },
      },
      async handler({ params, query }) {
        const [from, to] = await Promise.all([read(params.name, query.from), read(params.name, query.to)]);
        return { status: 200, body: { from: from.version, to: to.version, changes: fieldChanges(from.body, to.body) } };
      },
    }),
  ];
}
