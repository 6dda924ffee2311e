import { WorkflowNotFoundError } from '@temporalio/client';
import { releaseOf, type Release } from '../config/release.js';
import { profileOfSet, type ResourceSetSpec } from '../domain/resource-set.js';
import { HttpError, invalidFields } from '../infra/http-error.js';
import { providerMismatch } from '../providers/catalogue.js';
import { readProfileVersion } from '../store/profiles.js';
import { listResourceSets } from '../store/resource-sets.js';
import { readTemplateVersion } from '../store/template-versions.js';
import { stateQuery } from '../workflows/resource-set-messages.js';
import type { ApiContext } from './context.js';

export interface TemplateRef {
  template: string;
  version: number;
}

/**
 * The release a set may newly roll out (or try in an experiment) for a template version: 404 when
 * there is none, 409 when it is retired, 400 when it cannot run on the set's provider or was made
 * for another app's profile. `label` prefixes each message ("b: …").
 */
export async function releaseForSet(
  ctx: ApiContext,
  spec: Pick<ResourceSetSpec, 'provider' | 'profile'>,
  ref: TemplateRef,
  label = '',
): Promise<Release> {
  const what = `template ${ref.template} v${ref.version}`;
  const version = await readTemplateVersion(ctx.db, ctx.objects, ref.template, ref.version);
  if (!version)
    throw new HttpError(404, 'not_found', `${label}template "${ref.template}" has no version ${ref.version}`);
  if (version.retiredAt !== null)
    throw new HttpError(
      409,
      'template_retired',
      `${label}${what} was retired at ${version.retiredAt}: it cannot be newly rolled out`,
    );
  const mismatch = providerMismatch(version.body, spec.provider);
  if (mismatch) throw new HttpError(400, 'invalid_request', `${label}${what}: ${mismatch}`);
  const profile = profileOfSet(spec).name;
  if (version.profile !== profile) {
    throw new HttpError(
      400,
      'invalid_request',
      `${label}${what}: it was made for profile "${version.profile}", and this set runs profile "${profile}"`,
    );
  }
  return releaseOf(ref.template, ref.version, version.revision, version.body, version.image);
}

const PAGE = 200;

/** The sets whose running (stable) or target (desired) release is this template version, by asking each loop. */
export async function setsUsingTemplate(ctx: ApiContext, ref: TemplateRef): Promise<string[]> {
  const users: string[] = [];
  const uses = (r: Release) => r.template === ref.template && r.version === ref.version;
  let after: string | undefined;
  for (;;) {
    const rows = await listResourceSets(ctx.db, { limit: PAGE, ...(after === undefined ? {} : { after }) });
    const states = await Promise.all(
      rows.map((row) =>
        ctx.temporal.client.workflow
          .getHandle(row.workflowId)
          .query(stateQuery)
          // A loop that has ended runs nothing.
          .catch((err: unknown) => {
            if (err instanceof WorkflowNotFoundError) return null;
            throw err;
          }),
      ),
    );
    rows.forEach((row, i) => {
      const config = states[i]?.config;
      if (config && (uses(config.stable) || uses(config.desired))) users.push(row.id);
    });
    if (rows.length < PAGE) return users;
    after = rows.at(-1)!.id;
  }
}

/** A new set's profile must exist: 400 naming `body.profile.name` (or `.version`) otherwise. */
export async function requireSetProfile(ctx: ApiContext, spec: Pick<ResourceSetSpec, 'profile'>): Promise<void> {
  const ref = profileOfSet(spec);
  if (await readProfileVersion(ctx.db, ref.name, ref.version)) return;
  const field = ref.version === undefined || !(await readProfileVersion(ctx.db, ref.name)) ? 'name' : 'version';
  throw invalidFields([
    {
      path: `body.profile.${field}`,
      message:
        field === 'name'
          ? `profile "${ref.name}" does not exist (POST /v1/profiles/${ref.name}/versions makes it)`
          : `profile "${ref.name}" has no version ${ref.version}`,
    },
  ]);
}
