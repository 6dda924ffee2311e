import {
  ActivityFailure,
  condition,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
} from '@temporalio/workflow';
import type { ObservedInstance, RolloutActivities, StepVerdict } from '../activities/types.js';
import { nextStepAction } from '../canary/rollout-action.js';
import { describeRelease, runsRelease, type Release } from '../config/release.js';
import { DEFAULT_INCONCLUSIVE_LIMIT, describeStep, stepTarget, type RolloutStep } from '../config/rollout-options.js';
import {
  abortRolloutSignal,
  pauseRolloutSignal,
  progressQuery,
  promoteRolloutSignal,
  resumeRolloutSignal,
  type RevertMode,
  type RolloutInput,
  type RolloutProgress,
  type RolloutResult,
  type StepPhase,
  type StepRecord,
} from './rollout-messages.js';
import { io, judging } from './child-activities.js';

export const changing = proxyActivities<RolloutActivities>({
  // Replacing waits for the new instances to boot and the old ones to drain; it heartbeats meanwhile.
  startToCloseTimeout: '20m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', maximumInterval: '30s', maximumAttempts: 6 },
});

const FULL: RolloutStep = { percent: 100 };
export const iso = (ms: number): string => new Date(ms).toISOString();
export const failureMessage = (err: unknown): string =>
  err instanceof ActivityFailure ? `${err.activityType}: ${err.cause?.message ?? err.message}` : String(err);
/** Oldest first: the longest-running instances are the first to move. */
export const byAge = (a: ObservedInstance, b: ObservedInstance): number =>
  a.launchedAt.localeCompare(b.launchedAt) || a.id.localeCompare(b.id);
export const serving = (i: ObservedInstance): boolean => i.state === 'running' && i.healthy;

/**
 * Moves a resource set from one release to another in steps (default: 1 canary instance → 25% →
 * 50% → 100%): each step applies the version (in place, or by surge-first replacement), bakes, and
 * lets the canary judge compare the instances on the new version against those still on the old;
 * a failed verdict, or an abort, puts every instance back on the previous version. Whatever the
 * outcome, every instance that exists at the end runs one of the two releases: the new one when
 * promoted, else the previous one.
 */
export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutResult> {
  const { id, target, from, to, options } = input;
  const p: RolloutProgress = {
    id,
    resourceSetId: target.resourceSetId,
    kind: input.kind,
    from,
    to,
    options,
    status: 'running',
    paused: false,
    steps: [],
    events: [],
    startedAt: iso(Date.now()),
    finishedAt: null,
    reason: null,
  };
  let abort: { mode: RevertMode; reason: string } | null = null;
  let promote = false;
  let seq = 0;
  const note = (message: string): void => {
    p.events.push({ at: iso(Date.now()), message });
  };

  setHandler(progressQuery, () => p);
  setHandler(pauseRolloutSignal, () => {
    p.paused = true;
    note('paused');
  });
  setHandler(resumeRolloutSignal, () => {
    p.paused = false;
    note('resumed');
  });
  // Promote and abort are decisions to act now: they also end a pause.
  setHandler(promoteRolloutSignal, () => {
    promote = true;
    p.paused = false;
    note('promote requested: the remaining analysis is skipped');
  });
  setHandler(abortRolloutSignal, (request) => {
    if (abort) return;
    abort = { mode: request?.mode ?? 'immediate', reason: request?.reason ?? 'aborted' };
    p.paused = false;
    note(`abort requested (${abort.mode}): ${abort.reason}`);
  });

  async function record(): Promise<void> {
    const status = p.paused && p.finishedAt === null && p.status === 'running' ? 'paused' : p.status;
    const last = p.steps.at(-1);
    const verdict = last?.analyses.at(-1);
    setCurrentDetails(
      [
        `**${p.kind} ${status}**: ${describeRelease(from)} → ${describeRelease(to)}`,
        last
          ? `step ${last.index + 1} (${last.phase}, ${describeStep(last.step)}): ${last.target} of ${last.fleet} instances`
          : 'no step yet',
        verdict
          ? `verdict: ${verdict.verdict} (score ${verdict.score.toFixed(0)}), ${verdict.action}: ${verdict.reason}`
          : '',
        p.reason ? `outcome: ${p.reason}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    await io.recordRollout({
      id,
      resourceSetId: target.resourceSetId,
      kind: p.kind,
      status,
      seq: ++seq,
      startedAt: p.startedAt,
      progress: { ...p, status },
    });
  }

  /** Waits while paused; true when the phase should stop (abort, or promote while judging). */
  async function interrupted(phase: StepPhase): Promise<boolean> {
    const stop = (): boolean => phase !== 'revert' && (abort !== null || (phase === 'forward' && promote));
    await condition(() => !p.paused || stop());
    return stop();
  }
  /** Sleeps, but wakes at once when the phase should stop. */
  async function bake(phase: StepPhase, seconds: number): Promise<boolean> {
    if (seconds > 0)
      await condition(() => phase !== 'revert' && (abort !== null || (phase === 'forward' && promote)), seconds * 1000);
    return interrupted(phase);
  }

  async function analyse(
    step: StepRecord,
    release: { old: Release; next: Release },
    window: { from: number; to: number },
  ): Promise<StepVerdict> {
    const fleet = (await io.observeInstances(target)).filter(serving);
    const canary = fleet.filter((i) => runsRelease(i, release.next)).map((i) => i.id);
    const baseline = fleet.filter((i) => runsRelease(i, release.old)).map((i) => i.id);
    const verdict: StepVerdict =
      canary.length === 0
        ? {
            verdict: 'fail',
            score: 0,
            reason: 'no serving instance runs the new version (scaled in or lost)',
            metrics: [],
            canarySamples: 0,
            baselineSamples: 0,
          }
        : await judging.analyseStep({
            resourceSetId: target.resourceSetId,
            canary,
            baseline,
            from: window.from / 1000,
            to: window.to / 1000,
            sampleIntervalSeconds: options.sampleIntervalSeconds,
            confidence: options.confidence,
            latencyAllowedIncrease: options.latencyAllowedIncrease,
            slo: input.slo,
          });
    // Before the patch an inconclusive verdict rolled back: a history recorded then must replay so.
    const action =
      verdict.verdict === 'inconclusive' && !patched('canary-inconclusive')
        ? 'rollback'
        : // Options stored before the limit existed lack it.
          nextStepAction(
            verdict.verdict,
            step.analyses.map((a) => a.action),
            options.inconclusiveLimit ?? DEFAULT_INCONCLUSIVE_LIMIT,
          );
    step.analyses.push({ ...verdict, action, from: iso(window.from), to: iso(window.to), canary, baseline });
    return verdict;
  }

  /**
   * Brings `next` to each step's share of the serving fleet, taking instances from whatever they
   * run. 'done' once every step passed, 'failed' on a failed verdict or an apply that failed,
   * 'interrupted' by abort (or, while judging, promote).
   */
  async function advance(
    old: Release,
    next: Release,
    steps: RolloutStep[],
    judged: boolean,
    phase: StepPhase,
  ): Promise<'done' | 'failed' | 'interrupted'> {
    for (const [index, step] of steps.entries()) {
      if (await interrupted(phase)) return 'interrupted';
      const fleet = (await io.observeInstances(target)).filter(serving).sort(byAge);
      const wanted = stepTarget(step, fleet.length);
      const onNext = fleet.filter((i) => runsRelease(i, next)).length;
      const convert = fleet
        .filter((i) => !runsRelease(i, next))
        .slice(0, Math.max(0, wanted - onNext))
        .map((i) => i.id);
      const stepRecord: StepRecord = {
        index,
        phase,
        step,
        fleet: fleet.length,
        target: wanted,
        startedAt: iso(Date.now()),
        applied: null,
        analyses: [],
        error: null,
      };
      p.steps.push(stepRecord);
      if (convert.length > 0) {
        try {
          stepRecord.applied = await changing.applyRelease({
            ...target,
            instanceIds: convert,
            release: next,
            idempotencyKey: `${id}/${phase}-${index}`,
          });
        } catch (err) {
          stepRecord.error = failureMessage(err);
          await record();
          return 'failed';
        }
      }
      await record();
      const last = index === steps.length - 1;
      if (!judged) {
        if (!last && (await bake(phase, options.bakeSeconds))) return 'interrupted';
        continue;
      }
      const window = { from: Date.now() + options.warmupSeconds * 1000, to: 0 };
      if (await bake(phase, options.warmupSeconds + options.bakeSeconds)) return 'interrupted';
      for (;;) {
        window.to = Date.now();
        const { verdict } = await analyse(stepRecord, { old, next }, window);
        const action = stepRecord.analyses.at(-1)!.action;
        if (action === 'pause') {
          // No evidence either way after the limit: neither promote nor roll back, an operator decides.
          p.paused = true;
          note(
            `step ${index + 1}: still inconclusive (no data to judge), paused for an operator: resume to keep waiting, promote or abort`,
          );
        }
        await record();
        if (action === 'promote') break;
        if (action === 'rollback') {
          p.reason = `step ${index + 1} (${describeStep(step)}) judged ${verdict}`;
          return 'failed';
        }
        if (action !== 'pause') note(`step ${index + 1}: ${verdict} verdict, baking once more`);
        else if (await interrupted(phase)) return 'interrupted';
        // No data so far: judge the next bake alone, not diluted by the empty intervals (or pause) before it.
        if (action !== 'extend-bake') window.from = Date.now();
        if (await bake(phase, options.bakeSeconds)) return 'interrupted';
      }
    }
    return 'done';
  }

  /** The steps plus a last one at 100%, so no instance is left behind. */
  const toTheEnd = (steps: RolloutStep[]): RolloutStep[] => {
    const last = steps.at(-1);
    return last && 'percent' in last && last.percent === 100 ? steps : [...steps, FULL];
  };

  async function finish(status: RolloutResult['outcome'], reason: string): Promise<RolloutResult> {
    p.status = status;
    p.paused = false;
    p.reason = reason;
    p.finishedAt = iso(Date.now());
    await record();
    return { outcome: status, reason };
  }

  await record();
  let outcome = await advance(from, to, options.steps, options.analysis, 'forward');
  if (outcome === 'done' || (outcome === 'interrupted' && abort === null)) {
    if (outcome === 'interrupted') note('promoting: every instance gets the new version now');
    outcome = await advance(from, to, [FULL], false, 'promote');
    if (outcome === 'done') return finish('promoted', `every instance runs ${describeRelease(to)}`);
  }
  const aborted = abort as { mode: RevertMode; reason: string } | null;
  const failedReason = p.reason ?? p.steps.at(-1)?.error ?? 'a step failed';
  p.status = 'reverting';
  const mode = aborted?.mode ?? 'immediate';
  note(`reverting ${mode === 'staged' ? 'step by step' : 'every instance at once'} to ${describeRelease(from)}`);
  const reverted = await advance(to, from, mode === 'staged' ? toTheEnd(options.steps) : [FULL], false, 'revert');
  if (reverted !== 'done')
    return finish(
      'failed',
      `could not put every instance back on ${describeRelease(from)}: ${p.steps.at(-1)?.error ?? 'unknown'}`,
    );
  return aborted ? finish('aborted', aborted.reason) : finish('rolled-back', failedReason);
}
