import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loopConditions } from '../../src/domain/conditions.js';
import { resourceSetSpecSchema, workflowIdFor } from '../../src/domain/resource-set.js';
import { recordDecision } from '../../src/store/decisions.js';
import { recordLoopStatus } from '../../src/store/loop-status.js';
import { insertResourceSet } from '../../src/store/resource-sets.js';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';

/**
 * /metrics and the overview answer from the store: sets whose workflows do not exist (no loop
 * runs, no worker polls for them) still show what their loops last recorded, and a scrape makes
 * no workflow query (which, at 3,000 sets, would be 3,000 per scrape).
 */
describe('/metrics and /v1/overview read the store, not the workflows (real Postgres, Temporal)', () => {
  let api: TestApi;
  before(async () => {
    api = await startTestApi();
  });
  after(async () => {
    await api.close();
  });

  it('shows the recorded decision, state and conditions of a set whose loop is not running, and a stalled loop as Ready False', async () => {
    const db = api.database.db;
    const id = uniqueId('stored');
    const spec = resourceSetSpecSchema.parse({
      id,
      provider: 'local',
      minInstances: 1,
      maxInstances: 5,
      policy: { intervalSeconds: 60 },
    });
    await insertResourceSet(db, spec, workflowIdFor(id));
    const now = Math.floor(Date.now() / 1000);
    const decidedAt = new Date(now * 1000).toISOString();
    await recordDecision(db, {
      resourceSetId: id,
      loopId: 'loop-a',
      iteration: 7,
      decidedAt,
      mode: 'forecast-and-scale',
      paused: true,
      currentInstances: 2,
      readyInstances: 2,
      desiredInstances: 4,
      rule: 'predictive',
      reasons: ['predictive: 4 ahead of the peak'],
      inputs: {
        loadPerReadyInstance: 5,
        capacityPerInstance: 10,
        demandNow: 12,
        predictive: 4,
        reactive: 2,
        model: 'mstl-ets',
        modelError: 0.4,
      },
      forecast: null,
      actions: [{ kind: 'provision', count: 2, instanceIds: ['i-1', 'i-2'] }],
    });
    const conditions = loopConditions(undefined, {
      at: decidedAt,
      error: null,
      observed: { current: 2, demandNow: 12 },
      forecast: { failed: 'forecastDemand: out of memory' },
      holding: 'paused',
      failures: [],
    });
    await recordLoopStatus(db, {
      resourceSetId: id,
      loopId: 'loop-a',
      iteration: 7,
      state: 'paused',
      conditions,
      activeRollout: null,
    });
    // An older iteration's write (a retry that lost a race) changes nothing.
    await recordLoopStatus(db, {
      resourceSetId: id,
      loopId: 'loop-a',
      iteration: 6,
      state: 'running',
      conditions: [],
      activeRollout: null,
    });

    // A set made an hour ago whose loop never decided: stalled.
    const quiet = uniqueId('stalled');
    await insertResourceSet(
      db,
      resourceSetSpecSchema.parse({ id: quiet, provider: 'local', minInstances: 1, maxInstances: 5 }),
      workflowIdFor(quiet),
    );
    await db.query("UPDATE resource_sets SET created_at = now() - interval '1 hour' WHERE id = $1", [quiet]);

    const overview = await api.request('GET', '/v1/overview', undefined, { as: 'viewer' });
    assert.equal(overview.status, 200, JSON.stringify(overview.body));
    const shown = (overview.body.items as any[]).find((s) => s.id === id);
    assert.equal(shown.state, 'paused');
    assert.deepEqual(
      [shown.current, shown.desired, shown.forecast],
      [4, 4, 4],
      'current: the 2 observed plus the 2 provisioned',
    );
    assert.deepEqual(
      { ...shown.lastDecision },
      {
        iteration: 7,
        decidedAt,
        desired: 4,
        current: 2,
        rule: 'predictive',
        reasons: ['predictive: 4 ahead of the peak'],
        model: 'mstl-ets',
        predictive: 4,
      },
    );
    assert.deepEqual(
      (shown.conditions as { type: string; status: string; reason: string }[]).map(
        (c) => `${c.type}=${c.status}/${c.reason}`,
      ),
      [
        'Ready=False/ForecastFailed',
        'Observing=True/Observed',
        'Forecasting=False/ForecastFailed',
        'Provisioning=False/Paused',
        'Rollout=True/NoRollout',
      ],
    );
    const stalled = (overview.body.items as any[]).find((s) => s.id === quiet);
    assert.equal(stalled.lastDecision, null);
    assert.equal(stalled.conditions[0].reason, 'LoopStalled', JSON.stringify(stalled.conditions[0]));
    assert.ok(stalled.loopLagSeconds > 3000);

    const text = String((await api.request('GET', '/metrics')).body);
    assert.match(text, new RegExp(`^prescale_resource_set_desired_instances\\{resource_set="${id}"\\} 4$`, 'm'));
    assert.match(
      text,
      new RegExp(
        `^prescale_resource_set_condition\\{resource_set="${id}",type="Forecasting",status="False",reason="ForecastFailed"\\} 1$`,
        'm',
      ),
    );
    assert.match(
      text,
      new RegExp(
        `^prescale_resource_set_condition\\{resource_set="${quiet}",type="Ready",status="False",reason="LoopStalled"\\} 1$`,
        'm',
      ),
    );
  });
});
