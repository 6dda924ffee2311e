import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { resourceSetSpecSchema, workflowIdFor } from '../../src/domain/resource-set.js';
import { LocalProvider } from '../../src/providers/local/client.js';
import { backfillDemand } from '../../src/store/metrics.js';
import { pauseSignal, resumeSignal, stateQuery } from '../../src/workflows/resource-set-messages.js';
import { resourceSetWorkflow } from '../../src/workflows/resource-set.js';
import { startTestApi, uniqueId, type TestApi } from '../support/api.js';
import { localActivityMarkers } from '../support/history.js';
import { sendTraffic } from '../support/traffic.js';
import { waitFor } from '../support/wait.js';

const summaryOf = (e: temporal.api.history.v1.IHistoryEvent | undefined): string =>
  e?.userMetadata?.summary ? defaultPayloadConverter.fromPayload<string>(e.userMetadata.summary) : '(no summary)';

/** One season of ten minutes; instances serve 50 req/s at SLO, so at target 0.7 each takes 35 req/s. */
const policy = { intervalSeconds: 5, leadTimeSeconds: 120, seasonSeconds: 600, scaleInStabilizationSeconds: 600 };

describe('the control loop on a real local fleet (real Temporal, Postgres, local cloud, agents)', () => {
  let api: TestApi;
  let cloud: LocalProvider;
  before(async () => {
    api = await startTestApi({ fleet: { bootDelaySeconds: 1 } });
    cloud = new LocalProvider({ url: api.cloud!.apiUrl, token: api.cloud!.token });
  });
  after(async () => {
    await api.close();
  });

  const running = async (id: string) =>
    (await cloud.describeInstances(id)).filter((i) => i.state === 'running' && i.healthy).length;
  const decisions = async (id: string) =>
    (await api.request('GET', `/v1/resource-sets/${id}/decisions?limit=100`)).body.items as {
      rule: string;
      desiredInstances: number;
      currentInstances: number;
      reasons: string[];
      actions: { kind: string; count: number }[];
      paused: boolean;
    }[];

  it('a ramp seen in past seasons gets capacity before it arrives (predictive)', async () => {
    const id = uniqueId('ramp');
    // Three seasons of history: 10 req/s, except 150 req/s in the three minutes that, a season
    // later, are the next three minutes from now. No request is sent: only the forecast knows.
    const nowMinute = Math.floor(Date.now() / 60_000);
    const minutes = Array.from({ length: 30 }, (_, k) => {
      const minute = nowMinute - 30 + k;
      const phase = (((minute - nowMinute) % 10) + 10) % 10;
      return { minute: minute * 60, requests: (phase >= 1 && phase <= 3 ? 150 : 10) * 60 };
    });
    await backfillDemand(api.database.db, id, minutes);
    assert.equal(
      (
        await api.request('POST', '/v1/resource-sets', {
          id,
          provider: 'local',
          minInstances: 1,
          maxInstances: 6,
          policy,
        })
      ).status,
      201,
    );

    const ahead = await waitFor(
      'a predictive scale-out',
      async () => (await decisions(id)).find((d) => d.rule === 'predictive' && d.desiredInstances >= 5),
      90_000,
    );
    assert.equal(ahead.desiredInstances, Math.ceil(150 / (50 * 0.7)));
    assert.match(ahead.reasons.join(' '), /predictive wins/);
    await waitFor('5 healthy instances', async () => (await running(id)) >= 5, 90_000);
    const state = await api.request('GET', `/v1/resource-sets/${id}`);
    assert.equal(state.body.status.desiredInstances, 5);
    assert.equal(
      (await api.request('GET', `/v1/resource-sets/${id}/forecast`)).status,
      200,
      'the forecast is recorded with its intervals',
    );
  });

  it('a set with a daily season calibrates its operating point on its own history and names it in its decisions', async () => {
    const id = uniqueId('daily');
    // Three days of a day-night cycle a minute at a time, ending now: two whole UTC days and more.
    const nowMinute = Math.floor(Date.now() / 60_000);
    const minutes = Array.from({ length: 3 * 1440 }, (_, k) => {
      const minute = nowMinute - 3 * 1440 + k;
      return { minute: minute * 60, requests: Math.round(60 * (40 + 30 * Math.sin((2 * Math.PI * minute) / 1440))) };
    });
    await backfillDemand(api.database.db, id, minutes);
    const daily = { intervalSeconds: 5, leadTimeSeconds: 120, scaleInStabilizationSeconds: 600 };
    assert.equal(
      (
        await api.request('POST', '/v1/resource-sets', {
          id,
          provider: 'local',
          minInstances: 1,
          maxInstances: 6,
          policy: daily,
        })
      ).status,
      201,
    );
    const decided = await waitFor(
      'a calibrated decision',
      async () => (await decisions(id)).find((d) => d.reasons.some((r) => r.startsWith('calibrated '))),
      90_000,
    );
    const today = new Date().toISOString().slice(0, 10);
    const reason = decided.reasons.find((r) => r.startsWith('calibrated '))!;
    assert.match(
      reason,
      new RegExp(`^calibrated ${today}: (reactive|seasonal) at 0\\.\\d\\d, scale-in after \\d+ min: \\d-day backtest`),
      reason,
    );
    const events = (await api.ctx.temporal.client.workflow.getHandle(workflowIdFor(id)).fetchHistory()).events!;
    assert.ok(
      localActivityMarkers(events).some((m) => m.activity === 'forecastDemand'),
      'the forecast is a local activity: a marker, not an activity task and a second workflow task',
    );
    assert.equal(
      events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'forecastDemand').length,
      0,
    );
  });

  it('an unforeseen spike gets reactive catch-up', async () => {
    const id = uniqueId('spike');
    assert.equal(
      (
        await api.request('POST', '/v1/resource-sets', {
          id,
          provider: 'local',
          minInstances: 1,
          maxInstances: 4,
          policy,
        })
      ).status,
      201,
    );
    await waitFor('the first instance', async () => (await running(id)) === 1, 60_000);
    const traffic = sendTraffic(`${api.cloud!.lbUrl}/rs/${id}/work`, 110, 40);
    const caughtUp = await waitFor(
      'a reactive scale-out',
      async () =>
        (await decisions(id)).find(
          (d) => d.rule === 'reactive' && d.desiredInstances >= 2 && d.actions.some((a) => a.kind === 'provision'),
        ),
      90_000,
    );
    assert.match(
      caughtUp.reasons.join(' '),
      /predictive: (no forecast yet|forecast not trusted)/,
      `no history: the forecast is not trusted (${caughtUp.reasons.join(' | ')})`,
    );
    await traffic;
    assert.ok((await running(id)) >= 2);
  });

  it('pause stops all provisioning, resume restarts it', async () => {
    const id = uniqueId('pause');
    assert.equal(
      (
        await api.request('POST', '/v1/resource-sets', {
          id,
          provider: 'local',
          minInstances: 1,
          maxInstances: 4,
          policy,
        })
      ).status,
      201,
    );
    await waitFor('the first instance', async () => (await running(id)) === 1, 60_000);
    assert.equal((await api.request('POST', `/v1/resource-sets/${id}/pause`)).status, 202);
    assert.equal((await api.request('PATCH', `/v1/resource-sets/${id}/policy`, { minInstances: 3 })).status, 200);
    const planned = await waitFor(
      'a paused decision that wants 3',
      async () => (await decisions(id)).find((d) => d.paused && d.desiredInstances === 3),
      30_000,
    );
    assert.ok(planned.reasons.includes('paused: planned, not acted'));
    await new Promise((r) => setTimeout(r, 8_000));
    assert.equal(
      (await cloud.describeInstances(id)).filter((i) => i.state !== 'terminated').length,
      1,
      'nothing launched while paused',
    );
    const history = await api.ctx.temporal.client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
    const pausedAt = history.events!.findIndex(
      (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'pause',
    );
    const provisionsAfterPause = history
      .events!.slice(pausedAt)
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'provision');
    assert.equal(provisionsAfterPause.length, 0, 'no provision activity scheduled while paused');

    assert.equal((await api.request('POST', `/v1/resource-sets/${id}/resume`)).status, 202);
    await waitFor('3 healthy instances after resume', async () => (await running(id)) === 3, 60_000);
  });

  it('a storm of control messages is answered in full but costs one iteration per spacing, not one per message', async () => {
    const id = uniqueId('storm');
    // A minute's interval: iterations beyond the first are message-driven, and spaced 5 s apart.
    assert.equal(
      (
        await api.request('POST', '/v1/resource-sets', {
          id,
          provider: 'local',
          minInstances: 0,
          maxInstances: 2,
          policy: { ...policy, intervalSeconds: 60 },
        })
      ).status,
      201,
    );
    await waitFor('the first decision', async () => (await decisions(id)).length >= 1, 30_000);
    const stormStart = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 60 }, (_, k) => {
        const path = `/v1/resource-sets/${id}`;
        if (k % 3 === 0) return api.request('PATCH', `${path}/policy`, { targetUtilization: k % 2 ? 0.6 : 0.65 });
        return api.request('POST', `${path}/${k % 3 === 1 ? 'pause' : 'resume'}`);
      }),
    );
    assert.deepEqual(
      answers.map((a) => a.status).filter((st) => st !== 200 && st !== 202),
      [],
      'every message answered 2xx',
    );
    // Sent one after another, the last of each kind is what holds.
    assert.equal(
      (await api.request('PATCH', `/v1/resource-sets/${id}/policy`, { targetUtilization: 0.55 })).status,
      200,
    );
    assert.equal((await api.request('POST', `/v1/resource-sets/${id}/resume`)).status, 202);
    const state = await api.ctx.temporal.client.workflow.getHandle(workflowIdFor(id)).query(stateQuery);
    assert.equal(state.paused, false);
    assert.equal(state.spec.policy.targetUtilization, 0.55);
    await new Promise((r) => setTimeout(r, 7_000));
    const elapsedMs = Date.now() - stormStart;
    const iterations = (await decisions(id)).length - 1;
    // One at once, then at most one per 5 s spacing while messages keep coming (and perhaps the loop's own tick).
    assert.ok(iterations >= 1, 'the messages woke the loop');
    assert.ok(iterations <= 2 + Math.ceil(elapsedMs / 5_000), `${iterations} iterations in ${elapsedMs} ms`);
    await api.request('DELETE', `/v1/resource-sets/${id}`);
  });

  it('the Temporal UI reads each step: summaries on the workflow, its activities and its wait; current details', async () => {
    const id = uniqueId('ui');
    assert.equal(
      (
        await api.request('POST', '/v1/resource-sets', {
          id,
          provider: 'local',
          minInstances: 2,
          maxInstances: 3,
          policy,
        })
      ).status,
      201,
    );
    const handle = api.ctx.temporal.client.workflow.getHandle(workflowIdFor(id));
    await waitFor('two decisions', async () => (await decisions(id)).length >= 2, 60_000);
    const isMarker = (e: { markerRecordedEventAttributes?: { markerName?: string | null } | null }) =>
      e.markerRecordedEventAttributes?.markerName === 'core_local_activity';
    // A decision's row is written by a local activity before its workflow task, whose markers it is, completes.
    const events = await waitFor(
      "the second iteration's markers",
      async () => {
        const all = (await handle.fetchHistory()).events!;
        return all.filter(isMarker).length >= 4 ? all : undefined;
      },
      30_000,
    ).catch(async () => (await handle.fetchHistory()).events!);
    const summaries = events.map(summaryOf);
    const provision = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'provision');
    assert.match(summaryOf(provision), new RegExp(`^provision 2 × \\S+ for ${id}$`));
    assert.ok(
      summaries.some((t) => /^next iteration at \S+Z, sooner on a message$/.test(t)),
      `a wait says when it ends (${summaries.join(' | ')})`,
    );
    // observe and record are local activities: markers, not three events and a workflow task each.
    const markers = events.filter(isMarker);
    assert.ok(markers.length >= 4, `observe + record per iteration as local activities (${markers.length} markers)`);
    assert.equal(
      events.filter((e) =>
        ['observeFleet', 'recordDecision'].includes(e.activityTaskScheduledEventAttributes?.activityType?.name ?? ''),
      ).length,
      0,
    );
    assert.equal(await (await handle.describe()).staticSummary(), `resource set ${id}: 2..3 instances on local`);
    const { currentDetails } = await handle.query(workflowMetadataQuery);
    assert.match(
      currentDetails ?? '',
      /^\*\*running\*\*, forecast-and-scale: 2 instance\(s\), desired 2\n\nlast decision #\d+ at \S+: /,
    );
    await api.request('DELETE', `/v1/resource-sets/${id}`);
  });

  it('continue-as-new keeps the state, and no signal is lost across it', async () => {
    const id = uniqueId('can');
    const spec = resourceSetSpecSchema.parse({
      id,
      provider: 'local',
      minInstances: 0,
      maxInstances: 2,
      policy: { ...policy, intervalSeconds: 5 },
    });
    const handle = await api.ctx.temporal.client.workflow.start(resourceSetWorkflow, {
      workflowId: workflowIdFor(id),
      taskQueue: api.ctx.temporal.taskQueue,
      args: [{ spec, iterationsPerRun: 1 }],
    });
    const runIds = new Set<string>();
    let last: 'pause' | 'resume' = 'resume';
    for (let i = 0; i < 24; i++) {
      last = i % 2 === 0 ? 'pause' : 'resume';
      await handle.signal(last === 'pause' ? pauseSignal : resumeSignal);
      runIds.add((await handle.describe()).runId);
      await new Promise((r) => setTimeout(r, 700 + (i % 3) * 400));
    }
    await handle.signal(pauseSignal);
    const state = await waitFor(
      'the state to settle',
      async () => {
        const s = await handle.query(stateQuery);
        return s.paused ? s : undefined;
      },
      20_000,
    );
    assert.ok(runIds.size >= 3, `continued as new several times (${runIds.size} runs seen)`);
    assert.ok(state.iteration >= runIds.size - 1, 'the iteration count carried across runs');
    assert.equal(state.spec.id, id);
    // Resume as the last word: the loop must see it whichever run it lands in.
    await handle.signal(resumeSignal);
    await waitFor('resume to land', async () => !(await handle.query(stateQuery)).paused, 20_000);
    await handle.terminate('test over');
  });
});
