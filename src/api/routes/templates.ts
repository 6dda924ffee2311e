import { z } from 'zod';
import { diffTemplates } from '../../config/diff.js';
import { templateBodySchema, templateNameSchema } from '../../config/template.js';
import { HttpError, invalidFields, validationError } from '../../infra/http-error.js';
import {
  putTemplateVersion,
  readTemplateVersion,
  UnknownProfileError,
  type TemplateVersion,
} from '../../store/template-versions.js';
import { listTemplateVersions, retireTemplateVersion } from '../../store/templates.js';
import { changedFields } from '../audit.js';
import type { ApiContext } from '../context.js';
import { instantSchema } from '../instants.js';
import { setsUsingTemplate } from '../release-checks.js';
import { route, type Route } from '../route.js';
import { auditOfNewVersion, versionNumberSchema as versionNumber, versionReader } from '../versions.js';

const nameParams = z.strictObject({ name: templateNameSchema });
const versionParams = nameParams.extend({ version: versionNumber });

const metadataBody = z.object({
  template: z.string(),
  version: z.number(),
  revision: z.number(),
  contentHash: z.string(),
  createdAt: instantSchema,
  profile: z.string().describe('The app profile its body was validated against'),
  profileVersion: z.number(),
  retiredAt: instantSchema.nullable().describe('Once retired, it cannot be newly rolled out'),
});
const versionBody = metadataBody.extend({
  body: z.record(z.string(), z.unknown()),
  image: z.string().describe('What its instances run'),
});

/** A body that breaks its profile, or names one that does not exist: 400 naming the field. */
function refused(err: unknown): never {
  if (err instanceof z.ZodError) throw validationError('body', err);
  if (err instanceof UnknownProfileError) throw invalidFields([{ path: `body.${err.path}`, message: err.message }]);
  throw err;
}

const present = ({ objectKey: _key, ...version }: TemplateVersion) => version;

/** Configuration templates: immutable, numbered versions of what an instance runs. */
export function templateRoutes(ctx: ApiContext): Route[] {
  const read = versionReader<TemplateVersion>('template', (name, version) =>
    readTemplateVersion(ctx.db, ctx.objects, name, version),
  );

  return [
    route({
      method: 'post',
      path: '/v1/templates/:name/versions',
      summary:
        "Add a version, validated against its app profile (`profile`, default the sample service's): parameter names, types and ranges, software version; an identical body is the existing version",
      role: 'admin',
      params: nameParams,
      body: templateBodySchema,
      responses: {
        201: { description: 'Created', schema: versionBody },
        200: { description: 'A version with this content already exists', schema: versionBody },
      },
      async handler({ params, body }) {
        const { created, version } = await putTemplateVersion(ctx.db, ctx.objects, params.name, body).catch(refused);
        return {
          status: created ? 201 : 200,
          body: present(version),
          ...(await auditOfNewVersion(created, version, (v) => read(params.name, v))),
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/templates/:name/versions',
      summary: "A template's versions, oldest first",
      role: 'viewer',
      params: nameParams,
      responses: {
        200: { description: 'Versions', schema: z.object({ items: z.array(metadataBody) }) },
        404: { description: 'Unknown template' },
      },
      async handler({ params }) {
        const rows = await listTemplateVersions(ctx.db, params.name);
        if (rows.length === 0) throw new HttpError(404, 'not_found', `template "${params.name}" does not exist`);
        return { status: 200, body: { items: rows.map(({ objectKey: _key, ...row }) => row) } };
      },
    }),
    route({
      method: 'get',
      path: '/v1/templates/:name/versions/:version',
      summary: 'One version with its body',
      role: 'viewer',
      params: versionParams,
      responses: {
        200: { description: 'The version', schema: versionBody },
        404: { description: 'Unknown template or version' },
      },
      async handler({ params }) {
        return { status: 200, body: present(await read(params.name, params.version)) };
      },
    }),
    route({
      method: 'delete',
      path: '/v1/templates/:name/versions/:version',
      summary:
        'Retire a version: it stays readable, but no set can newly roll it out (refused while a set runs it or is moving to it)',
      role: 'admin',
      params: versionParams,
      responses: {
        200: { description: 'Retired (a repeat answers the same)', schema: versionBody },
        404: { description: 'Unknown template or version' },
        409: { description: "template_in_use: a set's running or target release is this version" },
      },
      async handler({ params }) {
        const before = await read(params.name, params.version);
        const users = await setsUsingTemplate(ctx, { template: params.name, version: params.version });
        if (users.length > 0) {
          throw new HttpError(
            409,
            'template_in_use',
            `template ${params.name} v${params.version} is the running or target release of ${users.map((u) => `"${u}"`).join(', ')}: point them elsewhere first`,
            { resourceSets: users },
          );
        }
        const row = await retireTemplateVersion(ctx.db, params.name, params.version);
        if (!row) throw new HttpError(404, 'not_found', `template "${params.name}" has no version ${params.version}`);
        const { objectKey: _key, ...version } = { ...before, ...row };
        return {
          status: 200,
          body: version,
          audit: { change: changedFields({ retiredAt: before.retiredAt }, { retiredAt: row.retiredAt }) },
        };
      },
    }),
    route({
      method: 'get',
      path: '/v1/templates/:name/diff',
      summary: 'What changes from one version to another, field by field',
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
            replacesInstances: z.boolean(),
          }),
        },
        404: { description: 'Unknown template or version' },
      },
      async handler({ params, query }) {
        const [from, to] = await Promise.all([read(params.name, query.from), read(params.name, query.to)]);
        return { status: 200, body: { from: from.version, to: to.version, ...diffTemplates(from.body, to.body) } };
      },
    }),
  ];
}
