import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  loopConditions,
  resourceSetConditions,
  rolloutCondition,
  type IterationFacts,
} from '../../src/domain/conditions.js';

const T0 = '2026-12-07T10:00:00.000Z';
const T1 = '2026-12-07T10:01:00.000Z';
const T2 = '2026-12-07T10:02:00.000Z';
const healthy: IterationFacts = {
  at: T0,
  error: null,
  observed: { current: 3, demandNow: 42 },
  forecast: { model: 'mstl' },
  holding: null,
  failures: [],
};
const brief = (cs: readonly { type: string; status: string; reason: string }[]) =>
  cs.map((c) => `${c.type}=${c.status}/${c.reason}`);

describe('resource set conditions (pure)', () => {
  it('a healthy iteration: observing, forecasting and acting, all True and Ready', () => {
    const loop = loopConditions(undefined, healthy);
    assert.deepEqual(brief(loop), [
      'Observing=True/Observed',
      'Forecasting=True/Forecasting',
      'Provisioning=True/Acting',
    ]);
    assert.equal(loop[0]!.message, '3 instance(s), demand 42.0/s');
    const all = resourceSetConditions(loop, null, null, '2026-12-07T09:00:00.000+00:00');
    assert.deepEqual(brief(all), [
      'Ready=True/Ready',
      'Observing=True/Observed',
      'Forecasting=True/Forecasting',
      'Provisioning=True/Acting',
      'Rollout=True/NoRollout',
    ]);
    assert.equal(
      all.at(-1)!.since,
      '2026-12-07T09:00:00.000Z',
      "no rollout yet: since the set's creation, in one format",
    );
  });

  it('a failed observation is Observing False with the error; what depends on it is Unknown; Ready False', () => {
    const error = 'observeFleet: Region is missing';
    const loop = loopConditions(undefined, { ...healthy, error, observed: null, forecast: null });
    assert.deepEqual(brief(loop), [
      'Observing=False/ObserveFailed',
      'Forecasting=Unknown/NotObserved',
      'Provisioning=Unknown/NotObserved',
    ]);
    assert.equal(loop[0]!.message, error);
    const [ready] = resourceSetConditions(loop, null, null, T0);
    assert.deepEqual([ready!.status, ready!.reason, ready!.message], ['False', 'ObserveFailed', `Observing: ${error}`]);
  });

  it('since moves only when a status changes, so it tells how long a failure lasts', () => {
    const failing = { ...healthy, error: 'down', observed: null, forecast: null };
    const first = loopConditions(undefined, { ...failing, at: T0 });
    const still = loopConditions(first, { ...failing, at: T1 });
    assert.equal(still[0]!.since, T0, 'still failing: since the first failure');
    const back = loopConditions(still, { ...healthy, at: T2 });
    assert.deepEqual(
      back.map((c) => c.since),
      [T2, T2, T2],
    );
    const [ready] = resourceSetConditions(still, null, null, T0);
    assert.equal(ready!.since, T0);
  });

  it('forecast failures, no demand, failed actions, pause and forecast-only each have their reason', () => {
    const cases: [Partial<IterationFacts>, string, string][] = [
      [{ forecast: { failed: 'forecast failed: forecastDemand: timeout' } }, 'Forecasting', 'False/ForecastFailed'],
      [{ forecast: null }, 'Forecasting', 'Unknown/NoDemand'],
      [{ failures: ['action failed: provision: quota'] }, 'Provisioning', 'False/ActionFailed'],
      [{ error: 'recordDecision: database down' }, 'Provisioning', 'False/IterationFailed'],
      [{ holding: 'paused' }, 'Provisioning', 'False/Paused'],
      [{ holding: 'forecast-only' }, 'Provisioning', 'True/ForecastOnly'],
    ];
    for (const [facts, type, expected] of cases) {
      const c = loopConditions(undefined, { ...healthy, ...facts }).find((x) => x.type === type)!;
      assert.equal(`${c.status}/${c.reason}`, expected, JSON.stringify(facts));
    }
  });

  it('Rollout follows the latest rollout: under way, paused for an operator, promoted, rolled back', () => {
    const rollout = { id: 'rollout-web-1', kind: 'rollout', startedAt: T0, finishedAt: null, reason: null, events: [] };
    assert.deepEqual(brief([rolloutCondition({ ...rollout, status: 'running' }, null, T0)]), [
      'Rollout=True/Progressing',
    ]);
    const paused = rolloutCondition(
      {
        ...rollout,
        status: 'paused',
        events: [{ at: T1, message: 'step 1: still inconclusive (no data to judge), paused for an operator' }],
      },
      null,
      T0,
    );
    assert.deepEqual([paused.status, paused.reason, paused.since], ['False', 'Paused', T1]);
    assert.match(paused.message, /paused for an operator/);
    const done = { ...rollout, finishedAt: T2 };
    assert.deepEqual(
      brief([rolloutCondition({ ...done, status: 'promoted', reason: 'every instance runs web v2' }, null, T0)]),
      ['Rollout=True/Promoted'],
    );
    const back = rolloutCondition(
      { ...done, status: 'rolled-back', reason: 'step 1 (1 instance) judged fail' },
      null,
      T0,
    );
    assert.deepEqual([back.status, back.reason, back.since], ['False', 'RolledBack', T2]);
    assert.match(back.message, /judged fail/);
    const experiment = rolloutCondition(
      { ...done, status: 'promoted' },
      { workflowId: 'experiment-web-2', kind: 'experiment', startedAt: T2 },
      T0,
    );
    assert.deepEqual(
      [experiment.reason, experiment.since],
      ['Progressing', T2],
      'an experiment under way, which keeps no rollout record',
    );
  });

  it('before the first iteration the loop is not known: Ready Unknown', () => {
    const [ready] = resourceSetConditions(undefined, null, null, T0);
    assert.deepEqual([ready!.status, ready!.reason], ['Unknown', 'Starting']);
  });
});
