import { Context } from '@temporalio/activity';
import type { Db } from '../store/db.js';
import { instanceStats, type InstanceSamples } from '../store/metrics.js';

/** Beyond this, a window's late samples are not waited for: the judge decides on what arrived. */
const MAX_SAMPLE_WAIT_SECONDS = 30;

/**
 * The instances' samples over a judged window (from, to], epoch seconds. Samples arrive a push
 * after their interval ends: this waits (heartbeating) until every instance has reported past the
 * window, or the wait runs out, so the last interval is complete.
 */
export async function windowStats(
  db: Db,
  resourceSetId: string,
  ids: readonly string[],
  window: { from: number; to: number },
  pollMs: number,
): Promise<Record<string, InstanceSamples>> {
  const range = { from: window.from, to: window.to + MAX_SAMPLE_WAIT_SECONDS };
  const deadline = Date.now() + MAX_SAMPLE_WAIT_SECONDS * 1000;
  for (;;) {
    const stats = await instanceStats(db, resourceSetId, ids, range);
    const complete = ids.every((id) => (stats[id]?.ts.at(-1) ?? 0) >= window.to);
    if (complete || Date.now() >= deadline) return stats;
    Context.current().heartbeat();
    await Context.current().sleep(pollMs);
  }
}
