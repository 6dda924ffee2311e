import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import {
  createTrainingActivities,
  type TrainNeuralInput,
  type TrainNeuralResult,
} from '../../src/activities/training.js';
import { defaultCapacity } from '../../src/planner/capacity.js';
import { capacityFor, learnedCapacities, listCapacityModels } from '../../src/store/capacity.js';
import { listModelVersions } from '../../src/store/models.js';
import { FolderObjectStore } from '../../src/store/objects/folder.js';
import { uniqueId } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { ingestDemand, ingestLoadLatency } from './ingest.js';
import { mmcKnee, mmcSamples, seasonalSeries } from './synthetic.js';

let database: TestDatabase;
let dir: string;
let activities: ReturnType<typeof createTrainingActivities>;
let objects: FolderObjectStore;

before(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-training-'));
  objects = new FolderObjectStore(dir);
  activities = createTrainingActivities({ db: database.db, objects });
});
after(async () => {
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

/** Activities run in Temporal's activity test context (heartbeats, cancellation signal). */
const train = (input: TrainNeuralInput, env = new MockActivityEnvironment()): Promise<TrainNeuralResult> =>
  env.run<[], TrainNeuralResult, () => Promise<TrainNeuralResult>>(() => activities.trainNeuralModel(input));
const promote = (version: number, resourceSetId: string) => activities.promoteNeuralModel({ resourceSetId, version });

const NOW = Math.floor(Date.UTC(2026, 2, 10, 18) / 1000);
const SEASON = 60;

describe('training activities', () => {
  it('trains, backtests, stores and registers one version per training run, however often it runs', async () => {
    const rs = uniqueId('rs');
    // Level wandering as a random walk around an hourly shape: seasonal naive lags it, the net follows it.
    await ingestDemand(
      database.db,
      rs,
      seasonalSeries({
        start: NOW - 10 * 3600,
        stepSeconds: 60,
        seasonSteps: SEASON,
        steps: 10 * 60,
        persistence: 0.99,
        noise: 15,
      }),
    );
    const input: TrainNeuralInput = {
      resourceSetId: rs,
      trainingRunId: 'train-x/run-1',
      asOf: NOW,
      historySeconds: 86_400,
      stepSeconds: 60,
      seasonSteps: SEASON,
      horizonSteps: 10,
      options: { hiddenUnits: [16], epochs: 15 },
    };
    const env = new MockActivityEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));
    const first = await train(input, env);
    assert.equal(first.status, 'registered');
    assert.ok(heartbeats.length > 0, 'heartbeats while training');
    if (first.status !== 'registered') return;
    assert.equal(first.version, 1);
    assert.equal(first.backtest.tailSteps, SEASON);
    assert.equal(first.backtest.incumbent, null);
    assert.ok(first.backtest.naive.scaledPinball > 0 && first.backtest.candidate.origins > 10);
    assert.deepEqual(await objects.list(`models/${rs}/`), [
      `models/${rs}/neural/1/model.json`,
      `models/${rs}/neural/1/weights.bin`,
    ]);

    // A retry after success (the completion was lost) finds the registered version.
    assert.deepEqual(await train(input), first);
    assert.equal((await listModelVersions(database.db, rs, 'neural')).length, 1);

    const promotion = await promote(1, rs);
    assert.ok(promotion.promoted, promotion.decision);

    const second = await train({ ...input, trainingRunId: 'train-x/run-2' });
    assert.equal(second.status, 'registered');
    if (second.status !== 'registered') return;
    assert.equal(second.version, 2);
    assert.equal(second.backtest.incumbent?.version, 1);
    // Same data, same seed: the incumbent, scored on the same tail, is the same model.
    assert.deepEqual(second.backtest.incumbent.scores, first.backtest.candidate);
    const rejected = await promote(2, rs);
    assert.equal(rejected.promoted, false, 'a tie is not better');
  });

  it('skips, registering nothing, when the history is too short', async () => {
    const rs = uniqueId('rs');
    await ingestDemand(
      database.db,
      rs,
      seasonalSeries({ start: NOW - 2 * 3600, stepSeconds: 60, seasonSteps: SEASON, steps: 2 * 60 }),
    );
    const result = await train({
      resourceSetId: rs,
      trainingRunId: 'run',
      asOf: NOW,
      historySeconds: 86_400,
      stepSeconds: 60,
      seasonSteps: SEASON,
      horizonSteps: 10,
    });
    assert.equal(result.status, 'skipped');
    assert.deepEqual(await listModelVersions(database.db, rs, 'neural'), []);
    assert.deepEqual(await objects.list(`models/${rs}/`), []);
  });

  it('learns capacity per instance type and configuration, and capacityFor answers with it or the default', async () => {
    const rs = uniqueId('rs');
    const [c, mu, slo] = [2, 1000 / 26, 250];
    const start = NOW - 6 * 3600;
    // Two small instances on config 1 with plenty of load variety; one small on config 2 and one large with too little data.
    await ingestLoadLatency(database.db, {
      resourceSetId: rs,
      instanceId: 'i-a',
      startMinute: start,
      points: mmcSamples({ count: 120, from: 4, to: 75, c, mu, seed: 1 }),
      configVersion: 1,
    });
    await ingestLoadLatency(database.db, {
      resourceSetId: rs,
      instanceId: 'i-b',
      startMinute: start,
      points: mmcSamples({ count: 120, from: 4, to: 75, c, mu, seed: 2 }),
      configVersion: 1,
    });
    await ingestLoadLatency(database.db, {
      resourceSetId: rs,
      instanceId: 'i-c',
      startMinute: start + 3 * 3600,
      points: mmcSamples({ count: 20, from: 4, to: 75, c, mu, seed: 3 }),
      configVersion: 2,
    });
    await ingestLoadLatency(database.db, {
      resourceSetId: rs,
      instanceId: 'i-d',
      startMinute: start,
      points: mmcSamples({ count: 10, from: 4, to: 150, c, mu: 2 * mu, seed: 4 }),
      configVersion: 1,
    });
    // Samples of an instance the provider no longer lists do not count.
    await ingestLoadLatency(database.db, {
      resourceSetId: rs,
      instanceId: 'i-gone',
      startMinute: start,
      points: mmcSamples({ count: 100, from: 4, to: 38, c, mu: mu / 2, seed: 5 }),
      configVersion: 1,
    });

    const outcomes = await activities.learnCapacity({
      resourceSetId: rs,
      sloP95Ms: slo,
      asOf: NOW,
      windowSeconds: 86_400,
      instances: [
        { id: 'i-a', instanceType: 'local.small' },
        { id: 'i-b', instanceType: 'local.small' },
        { id: 'i-c', instanceType: 'local.small' },
        { id: 'i-d', instanceType: 'local.large' },
      ],
    });
    const byKey = Object.fromEntries(outcomes.map((o) => [`${o.instanceType}/${o.configVersion}`, o.fit]));
    assert.deepEqual(Object.keys(byKey).sort(), ['local.large/1', 'local.small/1', 'local.small/2']);
    const learned = byKey['local.small/1']!;
    assert.equal(learned.status, 'learned', learned.reason);
    assert.equal(learned.samples, 240);
    const knee = mmcKnee(slo, c, mu);
    assert.ok(
      learned.capacity! > 0.85 * knee && learned.capacity! <= 1.02 * knee,
      `learned ${learned.capacity} vs knee ${knee}`,
    );
    assert.equal(byKey['local.small/2']!.status, 'insufficient');
    assert.equal(byKey['local.large/1']!.status, 'insufficient');

    const fallback = defaultCapacity(1);
    assert.equal(await capacityFor(database.db, rs, 'local.small', '1', fallback), learned.capacity);
    assert.equal(await capacityFor(database.db, rs, 'local.small', '1', fallback, slo), learned.capacity);
    assert.equal(
      await capacityFor(database.db, rs, 'local.small', '1', fallback, 100),
      fallback,
      'learned for another SLO',
    );
    assert.equal(await capacityFor(database.db, rs, 'local.small', '2', fallback), fallback, 'not enough data yet');
    assert.equal(
      await capacityFor(database.db, rs, 'local.small', null, fallback),
      fallback,
      'config 2 reported last: it runs now',
    );
    assert.deepEqual(
      await learnedCapacities(database.db, rs),
      new Map(),
      'per type, the newest configuration as capacityFor without one: config 2 on local.small, too little on local.large',
    );
    assert.equal(await capacityFor(database.db, rs, 'local.large', '1', defaultCapacity(4)), defaultCapacity(4));
    assert.equal(await capacityFor(database.db, uniqueId('rs'), 'local.small', '1', fallback), fallback);

    const stored = await listCapacityModels(database.db, rs);
    assert.equal(stored.length, 3);
    const row = stored.find((m) => m.instanceType === 'local.small' && m.configVersion === '1')!;
    assert.equal(row.fit.r2, learned.r2);
    assert.equal(row.sloP95Ms, slo);

    // Refitting replaces the rows rather than adding to them.
    await activities.learnCapacity({
      resourceSetId: rs,
      sloP95Ms: slo,
      asOf: NOW,
      windowSeconds: 86_400,
      instances: [{ id: 'i-a', instanceType: 'local.small' }],
    });
    const refit = await listCapacityModels(database.db, rs);
    assert.equal(refit.length, 3);
    assert.equal(refit.find((m) => m.instanceType === 'local.small' && m.configVersion === '1')!.fit.samples, 120);
  });
});
