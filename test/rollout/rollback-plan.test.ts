import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bootRelease, type Release } from '../../src/config/release.js';
import { rolloutOptionsSchema } from '../../src/config/rollout-options.js';
import type { ConfigState, RollbackRecord } from '../../src/workflows/resource-set-messages.js';
import {
  planRollback,
  releaseHistory,
  remember,
  rollbackStatus,
  type RollbackContext,
} from '../../src/workflows/rollback.js';

const boot = bootRelease('local.small');
const release = (revision: number): Release => ({ ...boot, template: 'web', version: revision, revision });
const [r2, r3] = [release(2), release(3)];
const config = (stable: Release, history: Release[], rollback?: RollbackRecord): ConfigState => ({
  stable,
  desired: stable,
  previous: history[1] ?? null,
  rolloutOptions: rolloutOptionsSchema.parse({}),
  rollouts: 0,
  history,
  ...(rollback ? { rollback } : {}),
});
const record = (from: Release, to: Release, workflowId: string | null = 'rollout-x-1'): RollbackRecord => ({
  from,
  to,
  mode: 'immediate',
  requestedAt: '2026-12-07T12:00:00.000Z',
  abortedRollout: null,
  workflowId,
});

describe('planRollback: explicit, idempotent rollback', () => {
  it('defaults to the release stable before the current one', () => {
    assert.deepEqual(planRollback({}, { config: config(r3, [r3, r2, boot]), active: null, pending: false }), {
      from: r3,
      to: r2,
      abort: null,
    });
  });

  it('answers a repeat with the rollback decided, under way or done, instead of rolling forward', () => {
    const rb = record(r3, r2);
    const underWay: RollbackContext = { config: config(r3, [r3, r2, boot], rb), active: null, pending: true };
    assert.deepEqual(planRollback({}, underWay), { repeat: rb });
    assert.deepEqual(planRollback({ toRevision: 2 }, underWay), { repeat: rb });
    assert.throws(
      () => planRollback({ toRevision: 1 }, underWay),
      /^Error: busy: a rollback to web v2 .*revision 2\) is under way/,
    );
    // Done: r2 is stable again, and r3 (stable before it) is not where a repeat goes.
    const done: RollbackContext = {
      config: config(r2, remember([r3, r2, boot], r2), rb),
      active: null,
      pending: false,
    };
    assert.equal(rollbackStatus(rb, done), 'done');
    assert.deepEqual(planRollback({}, done), { repeat: rb });
  });

  it('a rollout started after a rollback is what the next one aborts', () => {
    const rb = record(r3, r2);
    const active = { workflowId: 'rollout-x-2', kind: 'rollout' as const, to: r3 };
    assert.deepEqual(planRollback({}, { config: config(r2, [r2, r3, boot], rb), active, pending: false }), {
      from: r3,
      to: r2,
      abort: 'rollout-x-2',
    });
  });

  it('retries a rollback that failed, and goes to any revision the set ran when asked', () => {
    const rb = record(r3, r2);
    const failed: RollbackContext = { config: config(r3, [r3, r2, boot], rb), active: null, pending: false };
    assert.equal(rollbackStatus(rb, failed), 'failed');
    assert.deepEqual(planRollback({}, failed), { from: r3, to: r2, abort: null });
    assert.deepEqual(planRollback({ toRevision: 1 }, failed), { from: r3, to: boot, abort: null });
  });

  it('refuses an unknown revision, the revision already running and a set with nothing else', () => {
    const context: RollbackContext = { config: config(r3, [r3, r2]), active: null, pending: false };
    assert.throws(
      () => planRollback({ toRevision: 9 }, context),
      /^Error: toRevision: revision 9 is not one this set has run \(known: 3, 2\)/,
    );
    assert.throws(
      () => planRollback({ toRevision: 1.5 }, context),
      /^Error: toRevision: must be a non-negative integer/,
    );
    assert.throws(
      () => planRollback({ toRevision: 3 }, context),
      /^Error: nothing to roll back: the set already runs revision 3/,
    );
    assert.throws(
      () => planRollback({}, { config: config(boot, [boot]), active: null, pending: false }),
      /^Error: nothing to roll back: no rollout is under way/,
    );
  });

  it('seeds the history of a state carried from before it was kept with stable and previous', () => {
    const { history: _, ...old } = config(r3, [r3, r2]);
    assert.deepEqual(releaseHistory(old), [r3, r2]);
    assert.deepEqual(remember([r3, r2, boot], r2), [r2, r3, boot]);
  });
});
