import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
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
  before(async () => {
    api = await startTestApi({ fleet: { bootDelaySeconds: 1 } });
  });
  after(async () => {
    await api.close();
  });

  it('per-minute demand rows match the requests answered: within 2% in total, 5% each minute', async () => {
    const provider = new LocalProvider({ url: api.cloud!.apiUrl, token: api.cloud!.token });
    await provider.provision({
      resourceSetId: 'replayed',
      count: 2,
      instanceType: 'local.small',
      image: 'sample-service:v1',
      idempotencyToken: 'replayed-1',
    });
    await waitFor(
      '2 healthy instances',
      async () => (await provider.describeInstances('replayed')).filter((i) => i.healthy).length === 2,
      60_000,
    );

    // A real trace's shape (three NASA minutes), replayed so each lasts 45 s, peaking at 40 req/s.
    const schedule = rateSchedule({ start: 0, values: [30, 40, 35] }, { speedup: 60 / 45, peakRps: 40 });
    const summary = await replay({
      schedule,
      target: `${api.cloud!.lbUrl}/rs/replayed/work`,
      durationSeconds: 135,
      maxRequests: 10_000,
      seed: 7,
    });
    assert.equal(summary.ok, summary.sent, `every request served (failures: ${JSON.stringify(summary.errors)})`);
    assert.equal(summary.dropped, 0);
    // What the agents count: requests answered, in the minute they ended (a send delayed across a
    // minute's edge on a busy machine counts in the next one, here and there alike).
    const answered = (minute: number) => summary.okPerMinute[new Date(minute * 60_000).toISOString()] ?? 0;
    const first = Math.ceil(summary.startedAt / 60_000);
    const last = Math.floor((summary.startedAt + summary.elapsedSeconds * 1000) / 60_000);
    assert.ok(last > first, 'at least one whole minute replayed');
    // Agents sample every 5 s and push at once, but a push that failed on a busy machine backs off
    // for up to 30 s: wait until every answered request is in, and say what was seen.
    const countAll = async () =>
      (
        await api.database.db.query<{ n: number }>(
          "SELECT coalesce(sum(requests), 0)::int AS n FROM demand_minutely WHERE resource_set_id = 'replayed'",
        )
      ).rows[0]!.n;
    let seen = 0;
    await waitFor(
      () => `every answered request to be rolled up (${seen} of ${summary.ok})`,
      async () => (seen = await countAll()) >= summary.ok * 0.98,
      75_000,
      1_000,
    );
    // One more sample interval, so a batch pushed twice would show as doubled rather than missed.
    await new Promise((r) => setTimeout(r, 6_000));
    const all = await countAll();
    assert.ok(
      Math.abs(all - summary.ok) / summary.ok <= 0.02,
      `stored ${all} vs answered ${summary.ok}: none lost or doubled`,
    );
    const { rows: stored } = await api.database.db.query<{ minute: number; requests: number }>(
      `SELECT (extract(epoch FROM minute) / 60)::int AS minute, requests FROM demand_minutely
        WHERE resource_set_id = 'replayed' AND minute >= to_timestamp($1) AND minute < to_timestamp($2) ORDER BY minute`,
      [first * 60, last * 60],
    );
    assert.equal(stored.length, last - first, 'a row for every whole minute');
    // An agent's 5-second sample that fires late on a busy machine moves a second or so of requests
    // (≤ 40) across a minute's edge: per minute the bound is looser than in total.
    for (const row of stored) {
      const sent = answered(row.minute);
      assert.ok(
        Math.abs(row.requests - sent) / sent <= 0.05,
        `minute ${row.minute}: stored ${row.requests} vs answered ${sent}`,
      );
    }
  });
});
