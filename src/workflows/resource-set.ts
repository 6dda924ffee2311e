import { condition, continueAsNew, allHandlersFinished, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ResourceSetSpec } from '../domain/resource-set.js';
import { pauseSignal, resumeSignal, stateQuery, type ResourceSetState } from './resource-set-messages.js';
import { ResourceSetState as ResourceSetStateKey, ScalingMode } from './search-attributes.js';

/** What one run hands the next across continue-as-new: plain JSON. */
export type CarriedState = Omit<ResourceSetState, 'spec' | 'state'>;

export interface ResourceSetWorkflowInput {
  spec: ResourceSetSpec;
  carried?: CarriedState;
}

/** Bounds history size even when the server does not suggest continue-as-new. */
export const ITERATIONS_PER_RUN = 500;

/**
 * One durable loop per resource set. This is the loop's frame — state, messages, search
 * attributes, continue-as-new; the control loop's steps (observe → forecast → plan → act → record)
 * run in each iteration as they land.
 */
export async function resourceSetWorkflow({ spec, carried }: ResourceSetWorkflowInput): Promise<void> {
  const s: CarriedState = carried ?? { paused: false, iteration: 0, currentInstances: null, desiredInstances: null };
  let wake = false;

  const snapshot = (): ResourceSetState => ({ spec, state: s.paused ? 'paused' : 'running', ...s });
  const publish = (): void => upsertSearchAttributes([
    { key: ResourceSetStateKey, value: snapshot().state },
    { key: ScalingMode, value: spec.policy.mode },
  ]);
  const setPaused = (paused: boolean): void => {
    s.paused = paused;
    wake = true;
    publish();
  };

  setHandler(pauseSignal, () => setPaused(true));
  setHandler(resumeSignal, () => setPaused(false));
  setHandler(stateQuery, snapshot);
  publish();

  for (let n = 0; n < ITERATIONS_PER_RUN && !workflowInfo().continueAsNewSuggested; n++) {
    if (!s.paused) s.iteration++;
    wake = false;
    await condition(() => wake, spec.policy.intervalSeconds * 1000);
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof resourceSetWorkflow>({ spec, carried: s });
}
