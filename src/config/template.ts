import { z } from 'zod';
import { paramsSchema } from '../domain/app-config.js';
import {
  imageOf,
  paramsSchemaOf,
  profileRefSchema,
  softwareProblem,
  type AppProfile,
  type Params,
} from '../domain/app-profile.js';
import type { InstanceType } from '../domain/provider.js';
import { resourceSetIdSchema } from '../domain/resource-set.js';

/** Template names end up in object keys and URLs, like resource set ids. */
export const templateNameSchema = resourceSetIdSchema;

export const LOCAL_TYPE_PREFIX = 'local.';

/**
 * A template version's body as written: what an instance runs. Its shape only; what the params
 * and the software version may be is the app profile's to say (`templateBodyUnder`). `profile`
 * names the profile; without it, the default one.
 */
export const templateBodySchema = z.strictObject({
  profile: profileRefSchema.optional(),
  instanceType: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'must be an instance type name such as local.small or m7g.large'),
  softwareVersion: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,499}$/,
      'must be a software reference such as v2 or ghcr.io/acme/shop:1.4',
    ),
  params: paramsSchema,
});

export type TemplateBody = z.output<typeof templateBodySchema>;

/**
 * A body checked against its app's profile: every parameter named by the profile and within its
 * type and range (defaults filled in), the software version one the profile allows, and a local
 * instance type one the local cloud has (`findLocalType`, which also gives the capacity relative
 * to the smallest that sizes the params; the local cloud is the only provider Prescale knows it
 * for). Issues name the field, as the shape's do.
 */
export function templateBodyUnder(
  profile: AppProfile,
  findLocalType: (name: string) => InstanceType | undefined,
): z.ZodType<TemplateBody, TemplateBody> {
  return templateBodySchema.transform((body, ctx) => {
    const problem = softwareProblem(profile, body.softwareVersion);
    if (problem) ctx.addIssue({ code: 'custom', path: ['softwareVersion'], message: problem });
    const local = body.instanceType.startsWith(LOCAL_TYPE_PREFIX);
    const localType = local ? findLocalType(body.instanceType) : undefined;
    if (local && !localType) {
      ctx.addIssue({
        code: 'custom',
        path: ['instanceType'],
        message: `"${body.instanceType}" is not a local instance type`,
      });
    }
    const params = paramsSchemaOf(profile, localType?.speed).safeParse(body.params);
    if (!params.success) {
      for (const issue of params.error.issues)
        ctx.addIssue({ code: 'custom', path: ['params', ...issue.path], message: issue.message });
      return z.NEVER;
    }
    return { ...body, params: params.data satisfies Params };
  });
}

/** What an instance of this template version runs, under its profile. */
export function templateImage(profile: AppProfile, body: Pick<TemplateBody, 'softwareVersion'>): string {
  return imageOf(profile, body.softwareVersion);
}
