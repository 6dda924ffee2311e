import { medianOfSorted } from '../canary/hodges-lehmann.js';
import { disposition, type Recommendation } from '../config/recommend/policy.js';
import { bodyFor, fingerprint } from '../config/recommend/proposal.js';
import { proposeNext } from '../config/recommend/tuner.js';
import { releaseOf } from '../config/release.js';
import { templateBodySchema } from '../config/template.js';
import { seededRandom } from '../domain/random.js';
import type { Db } from '../store/db.js';
import type { ObjectStore } from '../store/objects/index.js';
import { releaseForRecommendation } from '../store/recommendation-releases.js';
import { markApplied, recordRecommendation } from '../store/recommendations.js';
import { profileOfResourceSet, putTemplateVersion } from '../store/template-versions.js';
import { recordTuning } from '../store/tuning.js';
import { judgeStep, sideSeries } from './rollout-analysis.js';
import type { TuningActivities } from './tuning-types.js';
import { windowStats } from './window-samples.js';

/** Trial versions live in a template of their own, so the set's own and its recommendations' stay readable. */
export const tuningTemplate = (resourceSetId: string): string => `${resourceSetId}-tuning`;

const medianP95 = (values: number[]): number | null => {
  const finite = values.filter(Number.isFinite).sort((a, b) => a - b);
  return finite.length ? medianOfSorted(finite) : null;
};

export function createTuningActivities(deps: { db: Db; objects: ObjectStore; pollMs?: number }): TuningActivities {
  const pollMs = deps.pollMs ?? 2_000;
  return {
    proposeTrial({ space, observations, seed, latencyAllowedIncrease }) {
      return Promise.resolve().then(() =>
        proposeNext(
          space,
          observations,
          seededRandom(seed),
          latencyAllowedIncrease === undefined ? {} : { latencyAllowedIncrease },
        ),
      );
    },
    async trialRelease({ resourceSetId, stable, params }) {
      const trial: Recommendation = {
        kind: 'tuning-trial',
        params: { ...stable.params, ...params },
        expectedGain: 0,
        reason: 'a tuning trial',
      };
      const body = templateBodySchema.parse(bodyFor(stable, trial));
      const template = tuningTemplate(resourceSetId);
      const { version } = await putTemplateVersion(
        deps.db,
        deps.objects,
        template,
        body,
        await profileOfResourceSet(deps.db, resourceSetId),
      );
      return releaseOf(template, version.version, version.revision, version.body, version.image);
    },
    async judgeTrial(input) {
      const stats = await windowStats(
        deps.db,
        input.resourceSetId,
        [...input.canary, ...input.baseline],
        input,
        pollMs,
      );
      return {
        verdict: judgeStep(stats, input),
        canaryP95Ms: medianP95(sideSeries(stats, input.canary, input).latencyP95Ms),
        baselineP95Ms: medianP95(sideSeries(stats, input.baseline, input).latencyP95Ms),
      };
    },
    async recommendTuned({ resourceSetId, stable, params, expectedGain, reason, policy }) {
      const recommendation: Recommendation = {
        kind: 'app-params',
        params: { ...stable.params, ...params },
        expectedGain,
        reason,
      };
      const row = await recordRecommendation(deps.db, {
        resourceSetId,
        fingerprint: fingerprint(stable, recommendation),
        baseRevision: stable.revision,
        recommendation,
      });
      if (row.status !== 'open' || disposition(policy, recommendation) !== 'rollout')
        return { id: row.id, status: row.status, rollout: null };
      const release = await releaseForRecommendation(deps.db, deps.objects, row, stable);
      await markApplied(deps.db, row.id, { template: release.template!, version: release.version! });
      return { id: row.id, status: 'applied', rollout: release };
    },
    async recordTuning(record) {
      await recordTuning(deps.db, record);
    },
  };
}
