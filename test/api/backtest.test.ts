import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seededRandom } from '../../src/domain/random.js';
import { comparePolicies, defaultWarmupDays } from '../../src/sim/compare.js';
import { frontier } from '../../src/sim/frontier.js';
import { backfillDemand } from '../../src/store/metrics.js';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';

const DAY = 1440;
/** The API writes instants as ISO 8601; the simulator counts epoch seconds. */
const seconds = (iso: string): number => Date.parse(iso) / 1000;

/** Whole requests per second each minute: a daily wave with noise, `days` days ending a minute ago. */
function history(days: number, seed: number): { minute: number; rate: number }[] {
  const random = seededRandom(seed);
  const now = Math.floor(Date.now() / 60_000);
  return Array.from({ length: days * DAY }, (_, k) => ({
    minute: (now - days * DAY + k) * 60,
    rate: Math.round(100 + 60 * Math.sin((2 * Math.PI * k) / DAY) + 20 * random()),
  }));
}

describe('GET /v1/resource-sets/:id/backtest (real Postgres, Temporal, the backtest simulator)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  const setWith = async (minutes: { minute: number; rate: number }[]): Promise<string> => {
    const id = uniqueId('bt');
    assert.equal(
      (await api.request('POST', '/v1/resource-sets', { id, provider: 'local', minInstances: 1, maxInstances: 10 }))
        .status,
      201,
    );
    await backfillDemand(
      api.database.db,
      id,
      minutes.map((m) => ({ minute: m.minute, requests: m.rate * 60 })),
    );
    return id;
  };

  it('replays the recorded demand through every policy, exactly as `prescale backtest` does', async () => {
    const recorded = history(3, 7);
    const id = await setWith(recorded);
    const res = await api.request('GET', `/v1/resource-sets/${id}/backtest?target=0.6`, undefined, { as: 'viewer' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body.policies).sort(), ['aws', 'hpa', 'oracle', 'predictive']);
    assert.equal(res.body.target, 0.6);
    const [from, to] = [seconds(res.body.from), seconds(res.body.to)];
    assert.equal(from, recorded[0]!.minute);
    assert.equal(res.body.policies.oracle.cost, 1);
    assert.equal(res.body.policies.oracle.tauU, 0);

    // The same minutes through the simulator's core (a minute that passed since the backfill reads as 0).
    const byMinute = new Map(recorded.map((m) => [m.minute, m.rate]));
    const demand = Array.from({ length: (to - from) / 60 }, (_, k) => byMinute.get(from + k * 60) ?? 0);
    assert.equal(res.body.days, demand.length / DAY);
    const expected = await comparePolicies({
      demand,
      startTime: from / 60,
      policies: ['predictive', 'hpa', 'aws', 'oracle'],
      target: 0.6,
    });
    assert.deepEqual(res.body.policies, expected.figures);
    assert.equal(res.body.warmupDays, expected.warmupDays);
  });

  it("with frontier=true also gives the frontier of the set's own history, as `prescale backtest --frontier` does", async () => {
    const recorded = history(4, 9);
    const id = await setWith(recorded);
    const res = await api.request('GET', `/v1/resource-sets/${id}/backtest?frontier=true&days=4`, undefined, {
      as: 'viewer',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const byMinute = new Map(recorded.map((m) => [m.minute, m.rate]));
    const [from, to] = [seconds(res.body.from), seconds(res.body.to)];
    const demand = Array.from({ length: (to - from) / 60 }, (_, k) => byMinute.get(from + k * 60) ?? 0);
    const expected = await frontier({
      demand,
      startTime: from / 60,
      target: 0.7,
      warmupDays: defaultWarmupDays(demand.length),
    });
    assert.deepEqual(res.body.frontier, expected);
    assert.deepEqual([...new Set(expected.points.map((p) => p.policy))], ['hpa', 'aws', 'predictive']);
    assert.equal(expected.points.filter((p) => p.current).length, 1);
    const plain = await api.request('GET', `/v1/resource-sets/${id}/backtest?days=4`, undefined, { as: 'viewer' });
    assert.equal(plain.body.frontier, undefined);
  });

  it('refuses bad query parameters with 400, an unknown set with 404', async () => {
    const id = await setWith(history(2, 1).slice(0, 10));
    for (const query of [
      'target=0',
      'target=1.5',
      'target=high',
      'days=1',
      'days=15',
      'days=2.5',
      'policy=hpa',
      'frontier=yes',
    ]) {
      const res = await api.request('GET', `/v1/resource-sets/${id}/backtest?${query}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, 'invalid_request', query);
    }
    assert.equal((await api.request('GET', `/v1/resource-sets/${uniqueId('none')}/backtest`)).status, 404);
  });

  it('says how much history it needs when the set has too little, or too little demand (422)', async () => {
    const id = await setWith(history(1, 3));
    const res = await api.request('GET', `/v1/resource-sets/${id}/backtest`);
    assert.equal(res.status, 422);
    assert.equal(res.body.error.code, 'history_too_short');
    assert.match(
      res.body.error.message,
      /at least 2 days of recorded demand; resource set "bt-[0-9a-f]+" has 2[34]\.\d hours/,
    );

    // Three days since the first request, but nothing after it: no p99 to size an instance by.
    const idle = await setWith([{ minute: (Math.floor(Date.now() / 60_000) - 3 * DAY) * 60, rate: 5 }]);
    const empty = await api.request('GET', `/v1/resource-sets/${idle}/backtest`);
    assert.equal(empty.status, 422);
    assert.equal(empty.body.error.code, 'no_demand');
  });
});
