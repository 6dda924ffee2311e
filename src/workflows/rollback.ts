// Pure and deterministic: the resource-set workflow decides rollbacks with it.
import { describeRelease, sameRelease, type Release } from '../config/release.js';
import { BUSY } from './experiment-messages.js';
import {
  NOTHING_TO_ROLL_BACK,
  type ActiveRollout,
  type ConfigState,
  type RollbackRecord,
  type RollbackRequest,
  type RollbackStatus,
} from './resource-set-messages.js';

const HISTORY_LENGTH = 10;

/** What the loop is doing, as far as a rollback cares. */
export interface RollbackContext {
  config: ConfigState;
  active: Pick<ActiveRollout, 'workflowId' | 'kind' | 'to'> | null;
  /** A rollback is asked for and not yet started. */
  pending: boolean;
}

/** Releases the set ran as stable, newest first; a state carried from before they were kept starts from stable and previous. */
export function releaseHistory(config: ConfigState): Release[] {
  return (
    config.history ?? [
      config.stable,
      ...(config.previous && !sameRelease(config.previous, config.stable) ? [config.previous] : []),
    ]
  );
}

/** The history once `release` became stable. */
export function remember(history: Release[], release: Release): Release[] {
  return [release, ...history.filter((r) => !sameRelease(r, release))].slice(0, HISTORY_LENGTH);
}

export function rollbackStatus(record: RollbackRecord, { config, active, pending }: RollbackContext): RollbackStatus {
  if (pending || (active && (active.workflowId === record.workflowId || active.workflowId === record.abortedRollout)))
    return 'under-way';
  return sameRelease(config.stable, record.to) ? 'done' : 'failed';
}

export type RollbackPlan = { repeat: RollbackRecord } | { from: Release; to: Release; abort: string | null };

/**
 * A repeat of the last rollback (no revision, or the same one) is answered with it while it is
 * under way, or done with no rollout since, so asking twice never rolls forward again nor aborts
 * the rollback itself.
 * Anything else is a new rollback: during a change, aborting it puts the fleet back on stable;
 * otherwise the default target is the release that was stable before the current one.
 * Throws the validator's refusal.
 */
export function planRollback({ toRevision }: RollbackRequest, context: RollbackContext): RollbackPlan {
  const {
    config: { stable, rollback: last },
    active,
    pending,
  } = context;
  if (toRevision !== undefined && (!Number.isInteger(toRevision) || toRevision < 0))
    throw new Error('toRevision: must be a non-negative integer');
  const lastStatus = last ? rollbackStatus(last, context) : null;
  // A rollback done is repeated only while nothing newer runs: a rollout started since is the next thing to roll back.
  const current = lastStatus === 'under-way' || (lastStatus === 'done' && !active);
  if (last && current && (toRevision === undefined || toRevision === last.to.revision)) return { repeat: last };
  if (last && lastStatus === 'under-way')
    throw new Error(`${BUSY} a rollback to ${describeRelease(last.to)} (revision ${last.to.revision}) is under way`);
  if (pending || active?.kind === 'rollback')
    throw new Error(`${BUSY} ${active?.workflowId ?? 'a rollback'} is under way`);
  const history = releaseHistory(context.config);
  const to =
    toRevision === undefined
      ? active
        ? stable
        : history.find((r) => !sameRelease(r, stable))
      : history.find((r) => r.revision === toRevision);
  if (!to && toRevision !== undefined) {
    throw new Error(
      `toRevision: revision ${toRevision} is not one this set has run (known: ${history.map((r) => r.revision).join(', ')})`,
    );
  }
  if (!to) throw new Error(`${NOTHING_TO_ROLL_BACK} no rollout is under way and the set has run no other version`);
  if (!active && sameRelease(to, stable))
    throw new Error(`${NOTHING_TO_ROLL_BACK} the set already runs revision ${to.revision} (${describeRelease(to)})`);
  return { from: active?.to ?? stable, to, abort: active?.workflowId ?? null };
}
