import type { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time.js';

type Event = temporal.api.history.v1.IHistoryEvent;

/** Where a loop's time went, read from one workflow history (all times in ms). */
export interface LoopTiming {
  /** Per iteration: actual start (its first workflow task started) − scheduled start (its timer was due). */
  lag: number[];
  /** Per iteration: timer fired − timer due (the server's timer queue). */
  timerDelay: number[];
  /** Per workflow task: scheduled → started (waiting for a worker's poller and slot). */
  workflowTaskWait: number[];
  /** Per workflow task: started → completed (replay + workflow code + the worker's round trip). */
  workflowTaskRun: number[];
  /** Per activity type: scheduled → started, and started → completed. */
  activityWait: Map<string, number[]>;
  activityRun: Map<string, number[]>;
  localActivities: number;
  iterations: number;
  events: number;
  bytes: number;
}

const at = (e: Event): number => tsToMs(e.eventTime);
const durationMs = (d: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  Number(d?.seconds ?? 0) * 1000 + Math.round((d?.nanos ?? 0) / 1e6);
const append = (m: Map<string, number[]>, key: string, values: number[]): void => {
  m.set(key, [...(m.get(key) ?? []), ...values]);
};

/**
 * Times the loop's iterations that start inside [from, to): an iteration starts when the timer
 * of the previous wait fires (a wait cut short by a message is not an iteration on schedule and
 * is skipped). Events and bytes count what the window's iterations wrote.
 */
export function loopTiming(events: Event[], from: number, to: number): LoopTiming {
  const t: LoopTiming = {
    lag: [],
    timerDelay: [],
    workflowTaskWait: [],
    workflowTaskRun: [],
    activityWait: new Map(),
    activityRun: new Map(),
    localActivities: 0,
    iterations: 0,
    events: 0,
    bytes: 0,
  };
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  const inWindow = (e: Event): boolean => at(e) >= from && at(e) < to;
  events.forEach((e, i) => {
    if (!inWindow(e)) return;
    t.events++;
    t.bytes += JSON.stringify(e).length;
    if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') t.localActivities++;
    const started = e.workflowTaskStartedEventAttributes;
    if (started) t.workflowTaskWait.push(at(e) - at(byId.get(Number(started.scheduledEventId))!));
    const completed = e.workflowTaskCompletedEventAttributes;
    if (completed) t.workflowTaskRun.push(at(e) - at(byId.get(Number(completed.startedEventId))!));
    const activityStarted = e.activityTaskStartedEventAttributes;
    if (activityStarted) {
      const scheduled = byId.get(Number(activityStarted.scheduledEventId))!;
      append(t.activityWait, scheduled.activityTaskScheduledEventAttributes!.activityType!.name!, [
        at(e) - at(scheduled),
      ]);
    }
    const activityCompleted = e.activityTaskCompletedEventAttributes;
    if (activityCompleted) {
      const scheduled = byId.get(Number(activityCompleted.scheduledEventId))!;
      append(t.activityRun, scheduled.activityTaskScheduledEventAttributes!.activityType!.name!, [
        at(e) - at(byId.get(Number(activityCompleted.startedEventId))!),
      ]);
    }
    const fired = e.timerFiredEventAttributes;
    if (fired) {
      const timer = byId.get(Number(fired.startedEventId))!;
      const due = at(timer) + durationMs(timer.timerStartedEventAttributes!.startToFireTimeout);
      const start = events.slice(i + 1).find((n) => n.workflowTaskStartedEventAttributes);
      if (!start) return;
      t.iterations++;
      t.timerDelay.push(at(e) - due);
      t.lag.push(at(start) - due);
    }
  });
  return t;
}

/** Merges the timings of many loops. */
export function mergeTimings(all: LoopTiming[]): LoopTiming {
  const merged = loopTiming([], 0, 0);
  for (const t of all) {
    merged.lag.push(...t.lag);
    merged.timerDelay.push(...t.timerDelay);
    merged.workflowTaskWait.push(...t.workflowTaskWait);
    merged.workflowTaskRun.push(...t.workflowTaskRun);
    for (const [k, v] of t.activityWait) append(merged.activityWait, k, v);
    for (const [k, v] of t.activityRun) append(merged.activityRun, k, v);
    merged.localActivities += t.localActivities;
    merged.iterations += t.iterations;
    merged.events += t.events;
    merged.bytes += t.bytes;
  }
  return merged;
}
