import { bodyFor, recommendedTemplate } from '../config/recommend/proposal.js';
import { releaseOf, type Release } from '../config/release.js';
import { templateBodySchema } from '../config/template.js';
import type { Db } from './db.js';
import type { ObjectStore } from './objects/index.js';
import type { RecommendationRow } from './recommendations.js';
import { profileOfResourceSet, putTemplateVersion } from './template-versions.js';

/**
 * A recommendation made concrete: the running release with its change, stored as the next version
 * of the set's recommendations template (the same change again is the same version), ready to be
 * rolled out like any template version. Throws a ZodError when the change does not validate (say,
 * a cache too big for a smaller instance type).
 */
export async function releaseForRecommendation(
  db: Db,
  objects: ObjectStore,
  row: RecommendationRow,
  stable: Release,
): Promise<Release> {
  const template = recommendedTemplate(row.resourceSetId);
  const body = templateBodySchema.parse(bodyFor(stable, row.proposal));
  const { version } = await putTemplateVersion(
    db,
    objects,
    template,
    body,
    await profileOfResourceSet(db, row.resourceSetId),
  );
  return releaseOf(template, version.version, version.revision, version.body, version.image);
}
