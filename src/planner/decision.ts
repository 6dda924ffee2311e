import type { ScalingMode } from '../domain/resource-set.js';
import type { Forecast } from '../forecast/types.js';
import type { PlanRule } from './plan.js';

export interface DecisionAction {
  kind: 'provision' | 'deprovision';
  count: number;
  instanceIds: string[];
}

/** What one loop iteration saw, forecast, planned and did — "why did it do that?". */
export interface Decision {
  resourceSetId: string;
  /** The first run id of the workflow chain: stable across continue-as-new, new for a recreated set. */
  loopId: string;
  iteration: number;
  /** ISO 8601. */
  decidedAt: string;
  mode: ScalingMode;
  paused: boolean;
  currentInstances: number;
  readyInstances: number;
  desiredInstances: number;
  rule: PlanRule;
  reasons: string[];
  inputs: {
    loadPerReadyInstance: number | null;
    capacityPerInstance: number;
    demandNow: number | null;
    predictive: number | null;
    reactive: number;
    model: string | null;
    modelError: number | null;
  };
  forecast: Forecast | null;
  actions: DecisionAction[];
}
