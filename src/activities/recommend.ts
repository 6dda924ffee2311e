import { disposition } from '../config/recommend/policy.js';
import { fingerprint, instanceTypeRecommendation } from '../config/recommend/proposal.js';
import { rightSize, typeCapacities } from '../config/recommend/right-size.js';
import { describeRelease } from '../config/release.js';
import { demandRate } from '../forecast/series.js';
import { defaultCapacity } from '../planner/capacity.js';
import type { Provider } from '../domain/provider.js';
import { learnedCapacities } from '../store/capacity.js';
import type { Db } from '../store/db.js';
import { demandSeries } from '../store/metrics.js';
import type { ObjectStore } from '../store/objects/index.js';
import { releaseForRecommendation } from '../store/recommendation-releases.js';
import { markApplied, recordRecommendation } from '../store/recommendations.js';
import type {
  RecommendActivities,
  RecommendConfigurationInput,
  RecommendConfigurationResult,
} from './recommend-types.js';
import type { FleetTarget } from './types.js';

export interface RecommendDeps {
  db: Db;
  objects: ObjectStore;
  providerFor(target: FleetTarget): Provider;
}

/** Demand is judged over the last few complete minutes: one minute is too noisy to resize a fleet for. */
const DEMAND_WINDOW_SECONDS = 5 * 60;

const percent = (x: number): string => `${(x * 100).toFixed(0)}%`;

export function createRecommendActivities(deps: RecommendDeps): RecommendActivities {
  return {
    async recommendConfiguration(input: RecommendConfigurationInput): Promise<RecommendConfigurationResult> {
      const { resourceSetId, stable } = input;
      const types = await deps.providerFor(input).instanceTypes();
      const speed = types.find((t) => t.name === stable.instanceType)?.speed ?? 1;
      // Every type the fleet has run has its own figure, whatever configuration it ran last.
      const learned = await learnedCapacities(deps.db, resourceSetId, input.sloP95Ms);
      const now = Math.floor(Date.now() / 1000);
      const rates = demandRate(
        await demandSeries(deps.db, resourceSetId, { from: now - DEMAND_WINDOW_SECONDS, to: now, stepSeconds: 60 }),
      ).values;
      const demand = rates.length ? rates.reduce((sum, v) => sum + v, 0) / rates.length : 0;
      const result = rightSize({
        current: stable.instanceType,
        types: typeCapacities(types, stable.instanceType, learned, defaultCapacity(speed)),
        demand,
        targetUtilization: input.targetUtilization,
        minInstances: input.minInstances,
        minSaving: input.policy.minExpectedGain,
      });
      const recommendation = instanceTypeRecommendation(result, stable.instanceType);
      if (!recommendation) return { notes: [`configuration: no change proposed (${result.reason})`], rollout: null };

      const row = await recordRecommendation(deps.db, {
        resourceSetId,
        fingerprint: fingerprint(stable, recommendation),
        baseRevision: stable.revision,
        recommendation,
      });
      const proposed = `configuration: recommendation ${row.id}, ${recommendation.instanceType} (expected gain ${percent(recommendation.expectedGain)}): ${recommendation.reason}`;
      if (row.status !== 'open' || disposition(input.policy, recommendation) !== 'rollout') {
        const why =
          row.status !== 'open'
            ? `${row.status} before: not applied again by itself`
            : input.policy.mode === 'auto'
              ? 'gain below policy.configuration.minExpectedGain'
              : 'listed for an operator to apply';
        return { notes: [`${proposed}; ${why}`], rollout: null };
      }
      const release = await releaseForRecommendation(deps.db, deps.objects, row, stable);
      await markApplied(deps.db, row.id, { template: release.template!, version: release.version! });
      return {
        notes: [`${proposed}; rolling out ${describeRelease(release)} (policy.configuration.mode auto)`],
        rollout: release,
      };
    },
  };
}
