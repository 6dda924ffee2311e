// The configuration recommender's activity contract, imported by workflows as types only.
import type { Release } from '../config/release.js';
import type { ConfigurationPolicy } from '../domain/resource-set.js';
import type { FleetTarget } from './types.js';

export interface RecommendConfigurationInput extends FleetTarget {
  /** What the set runs now: what a proposal is a change to. */
  stable: Release;
  minInstances: number;
  targetUtilization: number;
  sloP95Ms: number;
  policy: Pick<ConfigurationPolicy, 'mode' | 'minExpectedGain'>;
}

export interface RecommendConfigurationResult {
  /** For the decision's reasons: what was proposed (or why nothing was), and what became of it. */
  notes: string[];
  /** In 'auto', the proposal to roll out now, made a template version; else null. */
  rollout: Release | null;
}

export interface RecommendActivities {
  /** Right-sizes the instance type from the capacity model; records the proposal, and in 'auto' makes it a version to roll out. */
  recommendConfiguration(input: RecommendConfigurationInput): Promise<RecommendConfigurationResult>;
}
