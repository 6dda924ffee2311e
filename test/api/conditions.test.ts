import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';
import { waitFor } from '../support/wait.js';

/**
 * A set whose loop cannot observe its fleet (this API has no local cloud: the provider refuses
 * every call) fails visibly: conditions on GET and gauges on /metrics, not only lines in a log.
 */
describe('a failing loop is visible in conditions and on /metrics (real dev server, real Postgres)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  it('shows Observing False with the error, Ready False, and the same as Prometheus gauges', async () => {
    const id = uniqueId('blind');
    assert.equal(
      (
        await api.request('POST', '/v1/resource-sets', {
          id,
          provider: 'local',
          minInstances: 1,
          maxInstances: 3,
          policy: { intervalSeconds: 5 },
        })
      ).status,
      201,
    );
    const conditions = async () =>
      (await api.request('GET', `/v1/resource-sets/${id}`, undefined, { as: 'viewer' })).body.conditions as {
        type: string;
        status: string;
        reason: string;
        message: string;
        since: string;
      }[];
    // The provider's calls are retried for about a minute before the iteration gives up.
    await waitFor(
      'Observing to turn False',
      async () => (await conditions()).some((c) => c.type === 'Observing' && c.status === 'False'),
      150_000,
      1_000,
    );
    const shown = await conditions();
    assert.deepEqual(
      shown.map((c) => c.type),
      ['Ready', 'Observing', 'Forecasting', 'Provisioning', 'Rollout'],
    );
    const observing = shown.find((c) => c.type === 'Observing')!;
    assert.equal(observing.reason, 'ObserveFailed');
    assert.match(observing.message, /local cloud at \S+ is unreachable/, observing.message);
    assert.match(observing.since, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual([shown[0]!.status, shown[0]!.reason], ['False', 'ObserveFailed']);
    assert.deepEqual(
      shown.map((c) => c.status),
      ['False', 'False', 'Unknown', 'Unknown', 'True'],
    );
    const state = (await api.request('GET', `/v1/resource-sets/${id}`)).body;
    assert.equal(state.status.conditions, undefined, 'the conditions are listed once, at the top');

    const metrics = await api.request('GET', '/metrics');
    assert.equal(metrics.status, 200);
    const text = String(metrics.body);
    assert.match(
      text,
      new RegExp(
        `^prescale_resource_set_condition\\{resource_set="${id}",type="Observing",status="False",reason="ObserveFailed"\\} 1$`,
        'm',
      ),
    );
    assert.match(
      text,
      new RegExp(
        `^prescale_resource_set_condition\\{resource_set="${id}",type="Ready",status="False",reason="ObserveFailed"\\} 1$`,
        'm',
      ),
    );
    assert.match(
      text,
      new RegExp(
        `^prescale_resource_set_last_error_timestamp_seconds\\{resource_set="${id}",condition="Observing",reason="ObserveFailed"\\} ${Date.parse(observing.since) / 1000}$`,
        'm',
      ),
    );
    const lag = Number(
      new RegExp(`^prescale_resource_set_loop_lag_seconds\\{resource_set="${id}"\\} (\\S+)$`, 'm').exec(text)?.[1],
    );
    assert.ok(lag > 30, `no decision recorded since the set was made: the loop lags (${lag} s)`);
    assert.doesNotMatch(text, new RegExp(`desired_instances\\{resource_set="${id}"\\}`), 'nothing decided yet');

    assert.equal((await api.request('DELETE', `/v1/resource-sets/${id}`)).status < 300, true);
    assert.doesNotMatch(
      String((await api.request('GET', '/metrics')).body),
      new RegExp(`resource_set="${id}"`),
      'a deleted set leaves /metrics',
    );
  });
});
