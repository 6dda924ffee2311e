import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ResourceSetSpec } from '../domain/resource-set.js';

export type ResourceSetRunState = 'running' | 'paused';

/** What the `state` query answers; plain JSON so it crosses continue-as-new and the API unchanged. */
export interface ResourceSetState {
  spec: ResourceSetSpec;
  state: ResourceSetRunState;
  paused: boolean;
  iteration: number;
  currentInstances: number | null;
  desiredInstances: number | null;
}

export const pauseSignal = defineSignal<[{ reason?: string }?]>('pause');
export const resumeSignal = defineSignal('resume');
export const stateQuery = defineQuery<ResourceSetState>('state');
