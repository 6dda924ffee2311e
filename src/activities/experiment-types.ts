// The experiment activities' contracts, imported by workflows as types only.
import type { ProgressSnapshot } from '../store/progress-snapshots.js';
import type { StepVerdict } from './types.js';

export interface JudgeExperimentInput {
  resourceSetId: string;
  /** Instances that ran A, and B, during the window. */
  a: string[];
  b: string[];
  /** Judged window (from, to], epoch seconds. */
  from: number;
  to: number;
  sampleIntervalSeconds: number;
  confidence: number;
  latencyAllowedIncrease: number;
  minImprovement: number;
}

export interface JudgedExperiment extends StepVerdict {
  winner: 'a' | 'b';
}

export type ExperimentRecord = ProgressSnapshot;

export interface ExperimentActivities {
  /** Waits for the window's samples, then judges B against A. */
  judgeExperiment(input: JudgeExperimentInput): Promise<JudgedExperiment>;
  recordExperiment(record: ExperimentRecord): Promise<void>;
}
