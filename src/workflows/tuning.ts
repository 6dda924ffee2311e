import { proxyLocalActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { TuningActivities } from '../activities/tuning-types.js';
import type { Observation } from '../config/recommend/observation.js';
import { pointIn } from '../config/recommend/space.js';
import { describeRelease, runsRelease, type Release } from '../config/release.js';
import {
  abortTuningSignal,
  tuningProgressQuery,
  type TuningInput,
  type TuningProgress,
  type TuningResult,
  type TuningStatus,
  type TuningTrial,
} from './tuning-messages.js';
// A trial's canary moves the way a rollout step moves instances, and the oldest serving instance is the canary, as in a rollout.
import { byAge, changing, failureMessage, iso, serving } from './rollout.js';
import { io, judging } from './child-activities.js';
import { ChildPause } from './child-pause.js';
/**
 * The tuner runs as a local activity, not in this workflow's code: a GP fit and a few thousand
 * acquisition evaluations take a noticeable slice of CPU that would stall the workflow task, and
 * its result is recorded in history, so a replay never recomputes a proposal — the tuner can be
 * improved (it is) without breaking a session under way. No I/O, so no task-queue round trip.
 */
const tuner = proxyLocalActivities<TuningActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

const ABORTED = 'aborted before it was judged';

/** A seed per session and trial: FNV-1a of the session id, mixed with the trial's index. */
function seedOf(id: string, trial: number): number {
  let h = 0x811c9dc5;
  for (const c of `${id}/${trial}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h;
}

/**
 * App-parameter tuning by Bayesian optimisation over canary trials. Each trial: the tuner proposes
 * parameters (maximising the inverse of p95 latency), they become a template version, the oldest
 * serving instance on the stable release runs them as a canary for one judged step against the rest
 * (the rollout's canary judge; a failed verdict makes the trial unsafe), the canary's p95 over the
 * window is its measurement, and the canary goes back to the stable release before the next trial.
 * At the end, the best safe trial that beat its baseline becomes an `app-params` recommendation
 * with that measured gain; in 'auto' mode (enough gain) the resource-set workflow rolls it out.
 * A pause (the rollout's signal) stops the bake clock of the trial under way, and no next trial,
 * nor the recommendation, comes until it is resumed.
 */
export async function tuningWorkflow(input: TuningInput): Promise<TuningResult> {
  const { id, target, stable, space, rollout } = input;
  const p: TuningProgress = {
    id,
    resourceSetId: target.resourceSetId,
    status: 'running',
    paused: false,
    objective: input.objective,
    space,
    stable,
    trialsPlanned: input.trials,
    trials: [],
    best: null,
    recommendation: null,
    events: [],
    startedAt: iso(Date.now()),
    finishedAt: null,
    reason: null,
  };
  const observations: Observation[] = [];
  let baselineCounted = false;
  let abort: string | null = null;
  let seq = 0;
  const note = (message: string): void => {
    p.events.push({ at: iso(Date.now()), message });
  };

  setHandler(tuningProgressQuery, () => p);
  const pause = new ChildPause((paused) => {
    p.paused = paused;
    note(paused ? 'paused: the bake clock stops and no next trial starts' : 'resumed');
  });
  const aborted = (): boolean => abort !== null;
  setHandler(abortTuningSignal, (request) => {
    if (abort !== null) return;
    abort = request?.reason ?? 'aborted';
    note(`abort requested: ${abort}; the trial under way ends and its canary goes back`);
    pause.resume();
  });

  async function record(): Promise<void> {
    const last = p.trials.at(-1);
    setCurrentDetails(
      [
        `**tuning ${p.status}${p.paused ? ' (paused)' : ''}**: ${space.parameters.map((s) => s.name).join(', ')} of ${describeRelease(stable)}, by ${input.objective}`,
        `trial ${p.trials.length} of ${input.trials}${last ? `: ${JSON.stringify(last.params)} ${last.finishedAt ? (last.safe ? `p95 ${last.canaryP95Ms?.toFixed(1)} ms vs ${last.baselineP95Ms?.toFixed(1)} ms` : `unsafe (${last.note})`) : 'baking'}` : ''}`,
        p.best
          ? `best so far: trial ${p.best.trial + 1}, ${JSON.stringify(p.best.params)}, gain ${(p.best.gain * 100).toFixed(1)}%`
          : 'no safe improvement yet',
        p.reason ? `outcome: ${p.reason}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    await io.recordTuning({
      id,
      resourceSetId: target.resourceSetId,
      status: p.status,
      seq: ++seq,
      startedAt: p.startedAt,
      progress: p,
    });
  }

  /**
   * One canary trial; the canary is back on the stable release when it returns, or it throws.
   * 'no-fleet' when there is no canary and baseline to compare: the session cannot go on.
   */
  async function runTrial(trial: TuningTrial): Promise<'ran' | 'no-fleet'> {
    let release: Release;
    try {
      release = await io.trialRelease({ resourceSetId: target.resourceSetId, stable, params: trial.params });
    } catch (err) {
      trial.note = `not a valid configuration: ${failureMessage(err)}`;
      return 'ran';
    }
    trial.release = { template: release.template!, version: release.version!, revision: release.revision };
    const fleet = (await io.observeInstances(target)).filter(serving).sort(byAge);
    const onStable = fleet.filter((i) => runsRelease(i, stable));
    if (onStable.length < 2) {
      trial.note = `a trial needs two serving instances on ${describeRelease(stable)} (a canary and a baseline); ${onStable.length} found`;
      return 'no-fleet';
    }
    const canary = onStable[0]!.id;
    trial.canary = canary;
    trial.baseline = onStable.slice(1).map((i) => i.id);
    await record();
    try {
      await changing.applyRelease({
        ...target,
        instanceIds: [canary],
        release,
        idempotencyKey: `${id}/trial-${trial.index}`,
      });
      const from = Date.now() + rollout.warmupSeconds * 1000;
      if (await pause.hold((rollout.warmupSeconds + rollout.bakeSeconds) * 1000, aborted, record)) {
        trial.note = ABORTED;
        return 'ran';
      }
      const judged = await judging.judgeTrial({
        resourceSetId: target.resourceSetId,
        canary: [canary],
        baseline: trial.baseline,
        from: from / 1000,
        to: Date.now() / 1000,
        sampleIntervalSeconds: rollout.sampleIntervalSeconds,
        confidence: rollout.confidence,
        latencyAllowedIncrease: rollout.latencyAllowedIncrease,
        slo: input.slo,
      });
      Object.assign(trial, {
        verdict: judged.verdict,
        canaryP95Ms: judged.canaryP95Ms,
        baselineP95Ms: judged.baselineP95Ms,
      });
    } catch (err) {
      // A configuration the app refuses is an unsafe point too (say, a cache that does not fit).
      trial.note = `the canary failed: ${failureMessage(err)}`;
    } finally {
      // Whatever happened, the canary goes back before the next trial (a failed verdict's automatic rollback).
      await changing.applyRelease({
        ...target,
        instanceIds: [canary],
        release: stable,
        idempotencyKey: `${id}/trial-${trial.index}/back`,
      });
    }
    return 'ran';
  }

  function learn(trial: TuningTrial): void {
    const { verdict, canaryP95Ms, baselineP95Ms } = trial;
    // How far the canary's p95 was from the baseline's, passed or failed: the tuner's model of where trials pass.
    const measured =
      canaryP95Ms !== null && canaryP95Ms > 0 && baselineP95Ms !== null && baselineP95Ms > 0
        ? { latencyRatio: canaryP95Ms / baselineP95Ms }
        : {};
    if (!verdict) {
      // An abort teaches nothing about the point; a refused or failed configuration is unsafe.
      if (trial.note !== ABORTED)
        observations.push({ params: trial.params, safe: false, reason: trial.note ?? 'failed' });
      return;
    }
    if (verdict.verdict !== 'pass' || canaryP95Ms === null || !(canaryP95Ms > 0)) {
      trial.note ??=
        verdict.verdict === 'pass'
          ? 'no canary samples in the window'
          : `canary judged ${verdict.verdict}: ${verdict.reason}`;
      observations.push({ params: trial.params, safe: false, reason: trial.note, ...measured });
      return;
    }
    trial.safe = true;
    // The objective the tuner maximises: responses per second at the p95 (the inverse of the p95).
    observations.push({ params: trial.params, safe: true, value: 1000 / canaryP95Ms, ...measured });
    if (baselineP95Ms === null || !(baselineP95Ms > 0)) return;
    // The baseline in the same window is the fair comparison: traffic drifts between trials.
    trial.gain = baselineP95Ms / canaryP95Ms - 1;
    // The running configuration's own measurement counts as a trial once (the tuner's first point).
    const running = pointIn(space, stable.params);
    if (running && !baselineCounted) observations.unshift({ params: running, safe: true, value: 1000 / baselineP95Ms });
    baselineCounted = true;
    if (trial.gain > 0 && (!p.best || trial.gain > p.best.gain))
      p.best = { trial: trial.index, params: trial.params, gain: trial.gain };
  }

  async function finish(
    status: Exclude<TuningStatus, 'running'>,
    reason: string,
    winner: Release | null = null,
  ): Promise<TuningResult> {
    p.status = status;
    p.reason = reason;
    p.finishedAt = iso(Date.now());
    await record();
    return { outcome: status, winner, promotion: rollout, reason };
  }

  await record();
  for (let index = 0; index < input.trials && !(await pause.held(aborted, record)); index++) {
    const proposal = await tuner.proposeTrial({
      space,
      observations,
      seed: seedOf(id, index),
      latencyAllowedIncrease: rollout.latencyAllowedIncrease,
    });
    const trial: TuningTrial = {
      index,
      params: proposal.params,
      basis: proposal.basis,
      predictedGain: proposal.expectedGain,
      release: null,
      canary: null,
      baseline: [],
      verdict: null,
      canaryP95Ms: null,
      baselineP95Ms: null,
      gain: null,
      safe: false,
      note: null,
      startedAt: iso(Date.now()),
      finishedAt: null,
    };
    p.trials.push(trial);
    let ran: 'ran' | 'no-fleet';
    try {
      ran = await runTrial(trial);
    } catch (err) {
      // Putting the canary back failed after every retry: stop before touching anything else.
      trial.note = `putting the canary back failed: ${failureMessage(err)}`;
      ran = 'no-fleet';
    }
    trial.finishedAt = iso(Date.now());
    if (ran === 'no-fleet') return finish('failed', `trial ${index + 1}: ${trial.note}`);
    learn(trial);
    await record();
  }
  if (await pause.held(aborted, record)) return finish('aborted', abort!);

  const best = p.best;
  if (!best)
    return finish(
      'completed',
      `no safe trial beat the running configuration's p95 in ${p.trials.length} trial(s); nothing recommended`,
    );
  const bestTrial = p.trials[best.trial]!;
  const reason =
    `tuning ${id}: trial ${best.trial + 1} of ${p.trials.length}, ${JSON.stringify(best.params)}: canary p95 ${bestTrial.canaryP95Ms!.toFixed(1)} ms ` +
    `against the baseline's ${bestTrial.baselineP95Ms!.toFixed(1)} ms in the same window, judged ${bestTrial.verdict!.verdict}`;
  const recommended = await io.recommendTuned({
    resourceSetId: target.resourceSetId,
    stable,
    params: best.params,
    expectedGain: best.gain,
    reason,
    policy: input.policy,
  });
  p.recommendation = {
    id: recommended.id,
    status: recommended.status,
    expectedGain: best.gain,
    applied: recommended.rollout,
  };
  const outcome = recommended.rollout
    ? `recommendation ${recommended.id} (gain ${(best.gain * 100).toFixed(1)}%) is rolled out as ${describeRelease(recommended.rollout)}`
    : `recommendation ${recommended.id} (gain ${(best.gain * 100).toFixed(1)}%) is ${recommended.status}${input.policy.mode === 'auto' ? '' : ', for an operator to apply'}`;
  return finish('completed', outcome, recommended.rollout);
}
