import { z } from 'zod';
import { appConfigSchema } from '../domain/app-config.js';
import { resourceSetIdSchema } from '../domain/resource-set.js';
import { unknownInstanceType } from '../providers/catalogue.js';
import { findInstanceType } from '../providers/local/instance-types.js';
import { capacityProblem } from '../sample-service/app-params.js';
import { IMAGE_REPOSITORY, versionOfImage } from '../sample-service/versions.js';

/** Template names end up in object keys and URLs, like resource set ids. */
export const templateNameSchema = resourceSetIdSchema;

const LOCAL_TYPE_PREFIX = 'local.';

/**
 * A template version's body: what an instance runs. The app parameters are checked against the
 * app's parameter schema (names, types, ranges: the agent's own `appConfigSchema`), the software
 * version against the images that exist, and a local instance type against its memory.
 */
export const templateBodySchema = z.strictObject({
  instanceType: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,63}$/, 'must be an instance type name such as local.small or m7g.large'),
  softwareVersion: z.string().regex(/^v\d{1,6}$/, 'must be a software version such as v2'),
  params: appConfigSchema.shape.params,
}).superRefine((body, ctx) => {
  try {
    versionOfImage(imageOf(body));
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: ['softwareVersion'], message: (err as Error).message });
  }
  if (!body.instanceType.startsWith(LOCAL_TYPE_PREFIX)) return;
  const type = findInstanceType(body.instanceType);
  if (!type) {
    ctx.addIssue({ code: 'custom', path: ['instanceType'], message: `"${body.instanceType}" is not a local instance type` });
    return;
  }
  const problem = capacityProblem(body.params, type.speed);
  // capacityProblem names the field itself ("params.cacheSize: …").
  if (problem) ctx.addIssue({ code: 'custom', path: ['params', 'cacheSize'], message: problem.replace(/^params\.cacheSize: /, '') });
});

export type TemplateBody = z.output<typeof templateBodySchema>;

export function imageOf(body: Pick<TemplateBody, 'softwareVersion'>): string {
  return `${IMAGE_REPOSITORY}:${body.softwareVersion}`;
}

/** Why a template's instance type cannot run on a provider, or null when it can. */
export function providerMismatch(body: Pick<TemplateBody, 'instanceType'>, provider: 'local' | 'aws'): string | null {
  const local = body.instanceType.startsWith(LOCAL_TYPE_PREFIX);
  if (provider === 'local' && !local) return `instanceType: "${body.instanceType}" is not a local instance type`;
  if (provider === 'aws' && local) return `instanceType: "${body.instanceType}" exists only on the local cloud`;
  const unknown = unknownInstanceType(provider, body.instanceType);
  return unknown && `instanceType: ${unknown}`;
}
