import { setCurrentDetails, setHandler } from '@temporalio/workflow';
import { describeRelease, runsRelease, type Release } from '../config/release.js';
import {
  abortExperimentSignal,
  concludeExperimentSignal,
  experimentProgressQuery,
  promoteExperimentSignal,
  type ExperimentInput,
  type ExperimentOutcome,
  type ExperimentProgress,
  type ExperimentResult,
} from './experiment-messages.js';
// The rollout's way of changing instances and of ordering them (oldest first), so the same fleet splits the same way on a retry.
import { byAge, changing, failureMessage, iso, serving } from './rollout.js';
import { io, judging } from './child-activities.js';
import { ChildPause } from './child-pause.js';

/**
 * An A/B experiment on a resource set: B on a share of the serving fleet, A on the rest, held for
 * the duration while the set keeps scaling (each check puts instances launched meanwhile, which
 * come up on the set's stable release, on whichever side is short of its share), then B judged
 * against A by the canary judge over the whole hold. B wins only when it is significantly better
 * and worse on nothing; then its instances stay on it and the resource-set workflow rolls it out
 * to the rest through its staged rollout. Otherwise A is kept and every B instance goes back to A
 * before this workflow ends, so no instance is left on the loser. A pause (the rollout's signal)
 * stops the hold's clock and moves no instance; judged while paused, the verdict waits to be acted on.
 */
export async function experimentWorkflow(input: ExperimentInput): Promise<ExperimentResult> {
  const { id, target, a, b, options } = input;
  const p: ExperimentProgress = {
    id,
    resourceSetId: target.resourceSetId,
    a,
    b,
    options,
    status: 'placing',
    paused: false,
    groups: { a: [], b: [] },
    holdUntil: null,
    verdict: null,
    events: [],
    startedAt: iso(Date.now()),
    finishedAt: null,
    reason: null,
  };
  // Every instance that ran each version during the hold: the judge pools their samples.
  const seen = { a: new Set<string>(), b: new Set<string>() };
  let stop: 'conclude' | 'promote' | 'abort' | null = null;
  let abortReason = 'aborted';
  let seq = 0;
  let checks = 0;
  const note = (message: string): void => {
    p.events.push({ at: iso(Date.now()), message });
  };

  setHandler(experimentProgressQuery, () => p);
  const pause = new ChildPause((paused) => {
    p.paused = paused;
    note(paused ? 'paused: the hold clock stops and no instance is moved' : 'resumed');
  });
  // Each is a decision to act now: it also ends a pause.
  setHandler(concludeExperimentSignal, () => {
    stop ??= 'conclude';
    note('conclude requested: judging what was observed so far');
    pause.resume();
  });
  setHandler(promoteExperimentSignal, () => {
    stop ??= 'promote';
    note('promote requested: B wins without a judgement');
    pause.resume();
  });
  setHandler(abortExperimentSignal, (request) => {
    if (stop === 'abort') return;
    stop = 'abort';
    abortReason = request?.reason ?? 'aborted';
    note(`abort requested: ${abortReason}`);
    pause.resume();
  });

  async function record(): Promise<void> {
    setCurrentDetails(
      [
        `**experiment ${p.status}${p.paused ? ' (paused)' : ''}**: A = ${describeRelease(a)}, B = ${describeRelease(b)} (${Math.round(options.split * 100)}% of the fleet)`,
        `groups: ${p.groups.a.length} on A, ${p.groups.b.length} on B${p.holdUntil ? `; held until ${p.holdUntil}` : ''}`,
        p.verdict ? `verdict: ${p.verdict.winner.toUpperCase()} wins — ${p.verdict.reason}` : '',
        p.reason ? `outcome: ${p.reason}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    await io.recordExperiment({
      id,
      resourceSetId: target.resourceSetId,
      status: p.status,
      seq: ++seq,
      startedAt: p.startedAt,
      progress: p,
    });
  }

  /**
   * Brings the serving fleet to the split: B short of its share takes instances on neither
   * version first, then A's; the rest of those on neither join A.
   */
  async function balance(): Promise<void> {
    const fleet = (await io.observeInstances(target)).filter(serving).sort(byAge);
    const wantB = Math.min(fleet.length - 1, Math.max(1, Math.round(options.split * fleet.length)));
    const onB = fleet.filter((i) => runsRelease(i, b));
    const neither = fleet.filter((i) => !runsRelease(i, a) && !runsRelease(i, b));
    const toB = [...neither, ...fleet.filter((i) => runsRelease(i, a))]
      .slice(0, Math.max(0, wantB - onB.length))
      .map((i) => i.id);
    const toA = neither.map((i) => i.id).filter((i) => !toB.includes(i));
    // An instance that moves from A to B would mix both versions' samples: it no longer counts for A.
    toB.forEach((i) => seen.a.delete(i));
    const key = `${id}/balance-${++checks}`;
    const launched: Record<'a' | 'b', string[]> = { a: [], b: [] };
    for (const [side, ids, release] of [
      ['b', toB, b],
      ['a', toA, a],
    ] as const) {
      if (ids.length === 0) continue;
      const applied = await changing.applyRelease({
        ...target,
        instanceIds: ids,
        release,
        idempotencyKey: `${key}/${side}`,
      });
      launched[side] = [...applied.configured, ...applied.launched];
      note(
        `${ids.length} instance(s) put on ${side.toUpperCase()}${applied.replaced.length ? ` (${applied.replaced.length} by replacement)` : ''}`,
      );
    }
    p.groups = {
      a: [...fleet.filter((i) => runsRelease(i, a) && !toB.includes(i.id)).map((i) => i.id), ...launched.a],
      b: [...onB.map((i) => i.id), ...launched.b],
    };
    for (const side of ['a', 'b'] as const) p.groups[side].forEach((i) => seen[side].add(i));
  }

  /** Puts every instance on B back on A; true once none is left on B. */
  async function revert(): Promise<boolean> {
    p.status = 'reverting';
    await record();
    const onB = (await io.observeInstances(target)).filter((i) => runsRelease(i, b)).map((i) => i.id);
    if (onB.length > 0) {
      const applied = await changing.applyRelease({
        ...target,
        instanceIds: onB,
        release: a,
        idempotencyKey: `${id}/revert`,
      });
      note(
        `${onB.length} instance(s) put back on A${applied.replaced.length ? ` (${applied.replaced.length} by replacement)` : ''}`,
      );
    }
    return !(await io.observeInstances(target)).some((i) => runsRelease(i, b));
  }

  async function finish(outcome: ExperimentOutcome, winner: Release | null, reason: string): Promise<ExperimentResult> {
    p.status = outcome;
    p.reason = reason;
    p.finishedAt = iso(Date.now());
    await record();
    return { outcome, winner, promotion: options.promotion, reason };
  }

  /** A kept: B's instances go back; a failure to put them back is the experiment's failure. */
  async function keepA(outcome: 'a-kept' | 'aborted', reason: string): Promise<ExperimentResult> {
    try {
      if (!(await revert())) return finish('failed', null, `${reason}; some instances are still on B`);
    } catch (err) {
      return finish('failed', null, `${reason}; putting B's instances back failed: ${failureMessage(err)}`);
    }
    return finish(outcome, outcome === 'a-kept' ? a : null, reason);
  }

  await record();
  await pause.held(() => stop !== null, record);
  try {
    await balance();
  } catch (err) {
    return keepA('aborted', `placing the groups failed: ${failureMessage(err)}`);
  }
  if (p.groups.b.length === 0 || p.groups.a.length === 0)
    return keepA('aborted', 'an experiment needs at least two serving instances, one on each side');

  const startedHold = Date.now();
  // Counted in unpaused time: a pause pushes the end back by its length.
  const holdEnds = pause.unpausedNow() + options.durationSeconds * 1000;
  const holdLeft = (): number => holdEnds - pause.unpausedNow();
  const recordHold = (): Promise<void> => {
    p.holdUntil = pause.paused ? null : iso(Date.now() + holdLeft());
    return record();
  };
  p.status = 'holding';
  await recordHold();
  while (stop === null && holdLeft() > 0) {
    if (
      await pause.hold(
        Math.min(options.rebalanceSeconds * 1000, Math.max(1, holdLeft())),
        () => stop !== null,
        recordHold,
      )
    )
      break;
    if (holdLeft() <= 0) break;
    try {
      await balance();
    } catch (err) {
      // The set keeps scaling under the experiment; a failed placement is tried again next check.
      note(`rebalancing failed: ${failureMessage(err)}`);
    }
    await recordHold();
  }

  if (stop === 'abort') return keepA('aborted', abortReason);
  if (stop === 'promote') return finish('b-won', b, 'promoted by request: B wins without a judgement');

  p.status = 'judging';
  await record();
  const window = {
    from: Math.floor((startedHold + options.warmupSeconds * 1000) / 1000),
    to: Math.floor(Date.now() / 1000),
  };
  const judged = await judging.judgeExperiment({
    resourceSetId: target.resourceSetId,
    a: [...seen.a],
    b: [...seen.b],
    ...window,
    sampleIntervalSeconds: options.sampleIntervalSeconds,
    confidence: options.confidence,
    latencyAllowedIncrease: options.latencyAllowedIncrease,
    minImprovement: options.minImprovement,
  });
  p.verdict = { ...judged, from: iso(window.from * 1000), to: iso(window.to * 1000), a: [...seen.a], b: [...seen.b] };
  // Paused while judging: the verdict is shown, and acted on once resumed.
  await pause.held(() => stop === 'abort', record);
  // An abort that arrived while judging still wins: A is kept.
  if ((stop as string | null) === 'abort') return keepA('aborted', abortReason);
  if (judged.winner === 'b') return finish('b-won', b, judged.reason);
  return keepA('a-kept', judged.reason);
}
