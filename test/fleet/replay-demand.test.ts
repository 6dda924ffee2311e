import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { poissonArrivals } from '../../src/load/arrivals.js';
import { seededRandom } from '../../src/load/random.js';
import { rateSchedule } from '../../src/load/schedule.js';
import { replay } from '../../src/load/replay.js';
import { LocalProvider } from '../../src/providers/local/client.js';
import { startTestApi, type TestApi } from '../support/api.js';
import { waitFor } from '../support/wait.js';

/**
 * A short replay of a trace through the local cloud's load balancer: the agents' samples, rolled
 * up per minute in Postgres by the real ingest, match what the replay sent, minute by minute.
 */
describe('trace replay → agents → per-minute demand in Postgres (real processes)', () => {
  let api: TestApi;
  before(async () => { api = await startTestApi({ fleet: { bootDelaySeconds: 1 } }); });
  after(async () => { await api.close(); });

  it('per-minute demand rows match the requests sent within 2%', async () => {
    const provider = new LocalProvider({ url: api.cloud!.apiUrl, token: api.cloud!.token });
    await provider.provision({ resourceSetId: 'replayed', count: 2, instanceType: 'local.small', image: 'sample-service:v1', idempotencyToken: 'replayed-1' });
    await waitFor('2 healthy instances', async () => (await provider.describeInstances('replayed')).filter((i) => i.healthy).length === 2, 60_000);

    // A real trace's shape (three NASA minutes), replayed so each lasts 45 s, peaking at 40 req/s.
    const schedule = rateSchedule({ start: 0, values: [30, 40, 35] }, { speedup: 60 / 45, peakRps: 40 });
    const seed = 7;
    const summary = await replay({
      schedule, target: `${api.cloud!.lbUrl}/rs/replayed/work`, durationSeconds: 135, maxRequests: 10_000, seed,
    });
    assert.equal(summary.ok, summary.sent, 'every request served');
    assert.equal(summary.dropped, 0);
    // The replay is seeded: the same arrival plan, placed at its start time, says how many requests
    // it sent in each wall-clock minute.
    const sentPerMinute = new Map<number, number>();
    for (const offset of poissonArrivals(schedule, seededRandom(seed))) {
      if (offset >= summary.elapsedSeconds) break;
      const minute = Math.floor((summary.startedAt + offset * 1000) / 60_000);
      sentPerMinute.set(minute, (sentPerMinute.get(minute) ?? 0) + 1);
    }
    const first = Math.ceil(summary.startedAt / 60_000);
    const last = Math.floor((summary.startedAt + summary.elapsedSeconds * 1000) / 60_000);
    assert.ok(last > first, 'at least one whole minute replayed');
    // Agents sample every 5 s and push at once, but a push that failed on a busy machine backs off
    // for up to 30 s: wait for the last whole minute for longer than that, and say what was seen.
    let seen = 'nothing yet';
    const stored = await waitFor(() => `the whole minutes to be rolled up (last seen: ${seen})`, async () => {
      const { rows } = await api.database.db.query<{ minute: number; requests: number }>(
        `SELECT (extract(epoch FROM minute) / 60)::int AS minute, requests FROM demand_minutely
          WHERE resource_set_id = 'replayed' AND minute >= to_timestamp($1) AND minute < to_timestamp($2) ORDER BY minute`,
        [first * 60, last * 60]);
      const total = rows.reduce((sum, r) => sum + r.requests, 0);
      const expected = [...sentPerMinute].filter(([m]) => m >= first && m < last).reduce((sum, [, n]) => sum + n, 0);
      seen = `${rows.length} of ${last - first} minutes, ${total} of ${expected} requests`;
      return rows.length === last - first && total >= expected * 0.98 ? rows : undefined;
    }, 75_000, 1_000);
    for (const row of stored) {
      const sent = sentPerMinute.get(row.minute)!;
      assert.ok(Math.abs(row.requests - sent) / sent <= 0.02, `minute ${row.minute}: stored ${row.requests} vs sent ${sent}`);
    }
  });
});
