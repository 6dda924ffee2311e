import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createForecastActivities } from '../../src/activities/forecast.js';
import { modelJsonKey, neuralArtifactPrefix, objectStoreIO } from '../../src/store/neural-artifacts.js';
import { trainNeural } from '../../src/forecast/neural.js';
import type { DemandForecast, Series } from '../../src/forecast/types.js';
import { seededRandom } from '../../src/domain/random.js';
import { recordDecision } from '../../src/store/decisions.js';
import { backfillDemand } from '../../src/store/metrics.js';
import { promoteIfBetter, registerModelVersion, reserveModelVersion } from '../../src/store/models.js';
import { FolderObjectStore } from '../../src/store/objects/folder.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { noisySeries } from './synthetic.js';

const DAY = 1440;
/** Four days of a daily season with noise, per minute, ending at `end`. */
const series = {
  ...noisySeries({ level: 200, amplitude: 120, period: DAY }, 4 * DAY, 15, 1, 60),
  start: 28_333_333 * 60,
};
const end = series.start + series.values.length * 60;
const window = (from: number, to: number): Series => ({
  start: series.start + from * 60,
  stepSeconds: 60,
  values: series.values.slice(from, to),
});
const minutes = series.values.map((rate, i) => ({ minute: series.start + i * 60, requests: rate * 60 }));

describe("forecastDemand reads the set's demand from the store (real Postgres, folder object store)", () => {
  let database: TestDatabase;
  let dir: string;
  let activities: ReturnType<typeof createForecastActivities>;
  let deps: { db: TestDatabase['db']; objects: FolderObjectStore };
  before(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-forecast-activity-'));
    deps = { db: database.db, objects: new FolderObjectStore(dir) };
    activities = createForecastActivities(deps);
    await backfillDemand(database.db, 'shop', minutes);
    await backfillDemand(database.db, 'young', minutes.slice(-60));
  });
  after(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });
  const input = {
    resourceSetId: 'shop',
    asOf: end,
    historySeconds: 15 * 86_400,
    stepSeconds: 60,
    horizonSteps: 8,
    seasonSteps: DAY,
  };

  it('refuses a request it cannot answer, for good', async () => {
    const bad = [
      { ...input, resourceSetId: '' },
      { ...input, horizonSteps: 0 },
      { ...input, seasonSteps: 2.5 },
      { ...input, stepSeconds: 30 },
      { ...input, historySeconds: 90 * 86_400 },
      { ...input, models: ['crystal-ball'] },
    ];
    for (const request of bad) {
      await assert.rejects(
        activities.forecastDemand(request),
        (err: unknown) =>
          err instanceof ApplicationFailure && err.nonRetryable && err.type === 'InvalidForecastRequest',
      );
    }
  });

  it('forecasts the recorded demand in req/s with the verdict of model selection', async () => {
    const forecast = (await activities.forecastDemand(input))!;
    assert.equal(forecast.point.length, 8);
    assert.equal(forecast.start, end);
    assert.equal(forecast.trusted, true);
    assert.ok(typeof forecast.modelError === 'number' && forecast.modelError < 1, `MASE ${forecast.modelError}`);
    const level = series.values.at(-DAY)!;
    assert.ok(
      Math.abs(forecast.point[0]! - level) < 0.5 * level,
      `the next minute (${forecast.point[0]}) is near a day ago's (${level}) in req/s, not req/min`,
    );
    assert.deepEqual(forecast.candidates, ['seasonal-naive', 'ses', 'mstl-ets']);
  });

  it('a set with an hour of history is not trusted; no demand at all is no forecast', async () => {
    const short = (await activities.forecastDemand({ ...input, resourceSetId: 'young' }))!;
    assert.equal(short.trusted, false, 'less than two days of a daily season');
    assert.equal(short.modelError, null);
    assert.equal(await activities.forecastDemand({ ...input, resourceSetId: 'quiet' }), null);
  });

  it("with a calibration request, chooses the operating point on the set's own history once a day and gives the seasonal profile's load", async () => {
    const calibration = {
      objective: {},
      target: 0.7,
      capacityPerInstance: 320 / 20,
      leadSeconds: 300,
      holdMinutes: 10,
    };
    const forecast = (await activities.forecastDemand({ ...input, calibration }))!;
    const chosen = forecast.calibration!;
    assert.ok(chosen, 'four days of history are enough');
    assert.ok(['reactive', 'seasonal'].includes(chosen.rule) && chosen.target >= 0.5 && chosen.target <= 0.95);
    assert.equal(chosen.calibratedAt, end);
    assert.match(
      chosen.summary,
      /^(reactive|seasonal) at 0\.\d\d, scale-in after \d+ min: \d-day backtest \d+\.\d\d % short at \d\.\d\d × the least cost \(reactive at 0\.70/,
    );
    // The hour 5 minutes ahead, averaged over the same hour of the days before.
    const hour = Math.floor((end + 300) / 3600) * 3600;
    const days = [1, 2, 3].map((d) => (hour - d * 86_400 - series.start) / 60).filter((i) => i >= 0);
    const expected =
      days.map((i) => series.values.slice(i, i + 60).reduce((a, b) => a + b, 0) / 60).reduce((a, b) => a + b, 0) /
      days.length;
    assert.ok(Math.abs(chosen.seasonalDemand! - expected) < 1e-9, `${chosen.seasonalDemand} vs ${expected}`);

    const later = (await activities.forecastDemand({ ...input, asOf: end + 600, calibration }))!;
    assert.equal(later.calibration!.calibratedAt, end, 'the same day keeps the same calibration');
    // A set whose day turns 20 minutes after `end`: re-chosen then, not at UTC midnight.
    const phased = createForecastActivities(deps);
    const calibrateAtSecond = (end + 1200) % 86_400;
    const at = async (asOf: number) =>
      (await phased.forecastDemand({ ...input, asOf, calibration, calibrateAtSecond }))!.calibration!.calibratedAt;
    assert.deepEqual(
      [await at(end), await at(end + 600), await at(end + 1800)],
      [end, end, end + 1800],
      "re-chosen once the set's own time of day has passed",
    );
    await assert.rejects(
      phased.forecastDemand({ ...input, calibration, calibrateAtSecond: 86_400 }),
      /calibrateAtSecond must be a whole number/,
    );
    const young = (await activities.forecastDemand({ ...input, resourceSetId: 'young', calibration }))!.calibration!;
    assert.deepEqual(
      [young.rule, young.target, young.holdMinutes],
      ['reactive', 0.7, 10],
      "an hour of history: the set's own reactive rule",
    );
    assert.match(young.summary, /^reactive at 0\.70 \(1 h of history, calibration needs 2 days from a UTC midnight\)$/);
  });

  it('as an activity, heartbeats before each long stretch, so a worker that died mid-fit is noticed within the heartbeat timeout', async () => {
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    // A fresh factory: no kept forecaster, no calibration of the day yet.
    const fresh = createForecastActivities(deps);
    const calibration = { objective: {}, target: 0.7, capacityPerInstance: 16, leadSeconds: 300, holdMinutes: 10 };
    const forecast = () => env.run(() => fresh.forecastDemand({ ...input, calibration }));
    assert.ok(await forecast());
    assert.deepEqual(beats, ['model selection and fit', 'calibration replay']);
    assert.ok(await forecast());
    assert.deepEqual(
      beats.slice(2),
      ['model selection and fit'],
      "the day's calibration is kept: nothing long to announce",
    );
  });

  it('calibrates the forecast rule on the forecasts the loop recorded: bursts it saw coming make it the choice', async () => {
    // Three days of 100 req/s with a burst to 400 for 20 minutes every ~6 hours at random: no
    // season to learn. The recorded forecasts saw each burst 10 minutes ahead (as a good model
    // of a scheduled job would), so the forecast rule is the one that is never short.
    const random = seededRandom(3);
    const start = series.start;
    const rates = new Array<number>(3 * DAY).fill(100);
    for (let b = 0; b < 12; b++) {
      const at = Math.floor(random() * (rates.length - 20));
      rates.fill(400, at, at + 20);
    }
    await backfillDemand(
      database.db,
      'foreseen',
      rates.map((rate, i) => ({ minute: start + i * 60, requests: rate * 60 })),
    );
    const decide = (i: number) => {
      const ahead = Array.from({ length: 8 }, (_, h) => rates[Math.min(rates.length - 1, i + 1 + h)]!);
      const forecast: DemandForecast = {
        model: 'foresight',
        start: start + (i + 1) * 60,
        stepSeconds: 60,
        point: ahead,
        quantiles: { p50: ahead, p90: ahead, p95: ahead, p99: ahead },
        trusted: true,
      };
      return recordDecision(database.db, {
        resourceSetId: 'foreseen',
        loopId: 'loop-1',
        iteration: i,
        decidedAt: new Date((start + (i + 1) * 60) * 1000).toISOString(),
        mode: 'forecast-and-scale',
        paused: false,
        currentInstances: 1,
        readyInstances: 1,
        desiredInstances: 1,
        rule: 'reactive',
        reasons: [],
        forecast,
        actions: [],
        inputs: {
          loadPerReadyInstance: null,
          capacityPerInstance: 20,
          demandNow: null,
          predictive: null,
          reactive: 1,
          model: null,
          modelError: null,
        },
      });
    };
    for (let i = 0; i < rates.length; i += 100)
      await Promise.all(Array.from({ length: Math.min(100, rates.length - i) }, (_, k) => decide(i + k)));
    const asOf = start + rates.length * 60;
    const calibration = { objective: {}, target: 0.7, capacityPerInstance: 20, leadSeconds: 300, holdMinutes: 5 };
    const chosen = (await activities.forecastDemand({ ...input, resourceSetId: 'foreseen', asOf, calibration }))!
      .calibration!;
    assert.equal(chosen.rule, 'forecast', chosen.summary);
    assert.match(chosen.summary, /^p9[05] forecast at 0\.\d\d, scale-in after \d+ min: \d-day backtest 0\.00 % short/);
  });

  it('a promoted neural model joins the comparison, by version', async () => {
    // Registered with scores that beat seasonal naive: what is tested here is that the activity
    // loads the promoted artifact and compares it, not how well a tiny net trains (test/training).
    const model = await trainNeural(window(0, 3 * DAY), {
      seasonSteps: DAY,
      horizonSteps: 4,
      hiddenUnits: [4],
      epochs: 1,
    });
    const version = await reserveModelVersion(database.db, {
      resourceSetId: 'shop',
      kind: 'neural',
      trainingRunId: 'run-1',
    });
    const prefix = neuralArtifactPrefix('shop', version);
    await model.save(objectStoreIO(deps.objects, prefix));
    model.dispose();
    const scores = (scaledPinball: number) => ({
      mase: scaledPinball,
      pinball: scaledPinball,
      scaledPinball,
      coverage: { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 },
      origins: 10,
    });
    await registerModelVersion(database.db, {
      resourceSetId: 'shop',
      kind: 'neural',
      version,
      trainingRunId: 'run-1',
      artifactKey: modelJsonKey(prefix),
      backtest: { tailSteps: DAY, horizonSteps: 4, candidate: scores(0.5), naive: scores(1), incumbent: null },
    });
    assert.equal((await promoteIfBetter(database.db, 'shop', 'neural', version)).promoted, true);
    const forecast = (await activities.forecastDemand(input))!;
    assert.deepEqual(forecast.candidates, ['seasonal-naive', 'ses', 'mstl-ets', `neural@${version}`]);
    assert.equal(forecast.point.length, 8, 'the 4-step net reaches 8 steps by feeding its median back');
  });
});
