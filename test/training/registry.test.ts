import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { modelJsonKey, neuralArtifactPrefix, objectStoreIO } from '../../src/store/neural-artifacts.js';
import type { BacktestScores } from '../../src/forecast/neural-backtest.js';
import { trainNeural } from '../../src/forecast/neural.js';
import {
  listModelVersions,
  loadPromotedNeural,
  promotedModelVersion,
  promoteIfBetter,
  registerModelVersion,
  reserveModelVersion,
  type ModelBacktest,
} from '../../src/store/models.js';
import { FolderObjectStore } from '../../src/store/objects/folder.js';
import { uniqueId } from '../support/api.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { seasonalSeries } from './synthetic.js';

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await database.drop();
});

const scores = (scaledPinball: number): BacktestScores => ({
  mase: scaledPinball * 4,
  pinball: scaledPinball * 10,
  scaledPinball,
  coverage: { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 },
  origins: 48,
});

/** A backtest where the candidate scored `candidate`, seasonal naive `naive`, and `incumbent` (if any) its score. */
const backtestOf = (
  candidate: number,
  naive: number,
  incumbent: { version: number; score: number | null } | null = null,
): ModelBacktest => ({
  tailSteps: 24,
  horizonSteps: 6,
  candidate: scores(candidate),
  naive: scores(naive),
  incumbent: incumbent && {
    version: incumbent.version,
    scores: incumbent.score === null ? null : scores(incumbent.score),
  },
});

async function candidate(resourceSetId: string, backtest: ModelBacktest): Promise<number> {
  const trainingRunId = uniqueId('run');
  const version = await reserveModelVersion(database.db, { resourceSetId, kind: 'neural', trainingRunId });
  await registerModelVersion(database.db, {
    resourceSetId,
    kind: 'neural',
    version,
    trainingRunId,
    artifactKey: modelJsonKey(neuralArtifactPrefix(resourceSetId, version)),
    backtest,
  });
  return version;
}

const promoted = async (rs: string): Promise<number | null> =>
  (await promotedModelVersion(database.db, rs, 'neural'))?.version ?? null;

describe('model registry', () => {
  it('gives a training run one version however often it asks, and the next run the next one', async () => {
    const rs = uniqueId('rs');
    const key = { resourceSetId: rs, kind: 'neural' as const, trainingRunId: 'train-rs/run-1' };
    const [a, b] = await Promise.all([reserveModelVersion(database.db, key), reserveModelVersion(database.db, key)]);
    assert.equal(a, 1);
    assert.equal(b, 1);
    assert.equal(await reserveModelVersion(database.db, { ...key, trainingRunId: 'train-rs/run-2' }), 2);
    assert.equal(
      await reserveModelVersion(database.db, { ...key, resourceSetId: uniqueId('rs') }),
      1,
      'versions count per resource set',
    );
  });

  it('registers a version once, however often it is registered', async () => {
    const rs = uniqueId('rs');
    const backtest = backtestOf(0.2, 0.3);
    const entry = {
      resourceSetId: rs,
      kind: 'neural' as const,
      version: 1,
      trainingRunId: 'run-1',
      artifactKey: 'models/x/neural/1/model.json',
      backtest,
    };
    const first = await registerModelVersion(database.db, entry);
    const again = await registerModelVersion(database.db, { ...entry, backtest: backtestOf(0.1, 0.3) });
    assert.deepEqual(again, first);
    assert.equal(first.status, 'candidate');
    assert.equal(first.score, 0.2);
    assert.equal((await listModelVersions(database.db, rs, 'neural')).length, 1);
  });

  it('promotes only a candidate that beats the promoted model and seasonal naive, retiring the old one', async () => {
    const rs = uniqueId('rs');
    const worseThanNaive = await candidate(rs, backtestOf(0.35, 0.3));
    assert.deepEqual(await promoteIfBetter(database.db, rs, 'neural', worseThanNaive), {
      promoted: false,
      decision: "not promoted: scaled pinball 0.3500 does not beat seasonal naive's 0.3000",
    });
    assert.equal(await promoted(rs), null);

    const v2 = await candidate(rs, backtestOf(0.2, 0.3));
    assert.equal((await promoteIfBetter(database.db, rs, 'neural', v2)).promoted, true);
    assert.equal(await promoted(rs), v2);

    const worse = await candidate(rs, backtestOf(0.25, 0.3, { version: v2, score: 0.22 }));
    const refused = await promoteIfBetter(database.db, rs, 'neural', worse);
    assert.equal(refused.promoted, false);
    assert.match(refused.decision, /does not beat v2's 0.2200/);
    assert.equal(await promoted(rs), v2, 'a worse candidate leaves the promoted model in place');

    const better = await candidate(rs, backtestOf(0.15, 0.3, { version: v2, score: 0.21 }));
    const accepted = await promoteIfBetter(database.db, rs, 'neural', better);
    assert.equal(accepted.promoted, true);
    assert.match(accepted.decision, /beats seasonal naive's 0.3000 and v2's 0.2100/);
    const versions = await listModelVersions(database.db, rs, 'neural');
    assert.deepEqual(
      versions.map((v) => [v.version, v.status]),
      [
        [better, 'promoted'],
        [worse, 'candidate'],
        [v2, 'retired'],
        [worseThanNaive, 'candidate'],
      ],
    );
    assert.ok(versions[0]!.promotedAt);

    assert.deepEqual(await promoteIfBetter(database.db, rs, 'neural', worse), refused, 'the first decision stands');
    assert.deepEqual(
      await promoteIfBetter(database.db, rs, 'neural', better),
      accepted,
      'asking again changes nothing',
    );
  });

  it('does not promote on a comparison with a model that is no longer the promoted one', async () => {
    const rs = uniqueId('rs');
    const v1 = await candidate(rs, backtestOf(0.2, 0.3));
    await promoteIfBetter(database.db, rs, 'neural', v1);
    // Both trained while v1 was promoted; both beat it; whichever is decided first wins.
    const [v2, v3] = [
      await candidate(rs, backtestOf(0.1, 0.3, { version: v1, score: 0.2 })),
      await candidate(rs, backtestOf(0.05, 0.3, { version: v1, score: 0.2 })),
    ];
    const decisions = await Promise.all([
      promoteIfBetter(database.db, rs, 'neural', v2),
      promoteIfBetter(database.db, rs, 'neural', v3),
    ]);
    assert.equal(decisions.filter((d) => d.promoted).length, 1, JSON.stringify(decisions));
    const loser = decisions.find((d) => !d.promoted)!;
    assert.match(loser.decision, /is promoted now, the backtest compared with v1/);
    assert.ok([v2, v3].includes((await promoted(rs))!));
  });

  it('replaces a promoted model that cannot forecast the new horizon when the candidate beats seasonal naive', async () => {
    const rs = uniqueId('rs');
    const v1 = await candidate(rs, backtestOf(0.2, 0.3));
    await promoteIfBetter(database.db, rs, 'neural', v1);
    const v2 = await candidate(rs, backtestOf(0.25, 0.3, { version: v1, score: null }));
    const decision = await promoteIfBetter(database.db, rs, 'neural', v2);
    assert.equal(decision.promoted, true);
    assert.match(decision.decision, /v1 cannot forecast this horizon/);
  });

  it('loads the promoted model from object storage once per version', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-registry-'));
    try {
      const objects = new FolderObjectStore(dir);
      const rs = uniqueId('rs');
      assert.equal(await loadPromotedNeural(objects, database.db, rs), null);
      const series = seasonalSeries({ start: 0, stepSeconds: 3600, seasonSteps: 24, steps: 240 });
      const model = await trainNeural(series, { seasonSteps: 24, horizonSteps: 3, hiddenUnits: [4], epochs: 2 });
      for (const version of [1, 2]) await model.save(objectStoreIO(objects, neuralArtifactPrefix(rs, version)));
      const expected = model.predict(series, 3);
      model.dispose();

      const v1 = await candidate(rs, backtestOf(0.2, 0.3));
      await promoteIfBetter(database.db, rs, 'neural', v1);
      const first = await loadPromotedNeural(objects, database.db, rs);
      assert.equal(first?.version, 1);
      assert.deepEqual(first.model.predict(series, 3), expected);
      assert.equal((await loadPromotedNeural(objects, database.db, rs))?.model, first.model, 'cached by version');

      const v2 = await candidate(rs, backtestOf(0.1, 0.3, { version: v1, score: 0.2 }));
      await promoteIfBetter(database.db, rs, 'neural', v2);
      const second = await loadPromotedNeural(objects, database.db, rs);
      assert.equal(second?.version, 2);
      assert.notEqual(second.model, first.model);
      assert.deepEqual(
        first.model.predict(series, 3),
        expected,
        'the previous version stays usable for callers that hold it',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
