import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { modelJsonKey, neuralArtifactPrefix, objectStoreIO } from '../../src/store/neural-artifacts.js';
import { NeuralModel, trainNeural } from '../../src/forecast/neural.js';
import type { ObjectStore } from '../../src/store/objects/contract.js';
import { FolderObjectStore } from '../../src/store/objects/folder.js';
import { S3ObjectStore } from '../../src/store/objects/s3.js';
import { startS3Server, type S3Server } from '../support/s3-server.js';
import { seasonalSeries } from '../training/synthetic.js';

const SEASON = 24;
const series = seasonalSeries({
  start: Date.UTC(2026, 0, 5) / 1000,
  stepSeconds: 3600,
  seasonSteps: SEASON,
  steps: 12 * SEASON,
});

let dir: string;
let ownS3: S3Server | undefined;
let model: NeuralModel;
const stores: Record<string, ObjectStore> = {};

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-neural-artifacts-'));
  stores.folder = new FolderObjectStore(dir);
  // s3rver accepts only its own account; the test runner sets it, a lone run sets it here.
  process.env.AWS_ACCESS_KEY_ID ??= 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'S3RVER';
  let endpoint = process.env.TEST_S3_ENDPOINT;
  if (!endpoint) {
    ownS3 = await startS3Server();
    endpoint = ownS3.endpoint;
  }
  const s3 = new S3ObjectStore({
    endpoint,
    bucket: `prescale-neural-${randomBytes(4).toString('hex')}`,
    region: 'us-east-1',
    forcePathStyle: true,
  });
  await s3.init();
  stores.s3 = s3;
  model = await trainNeural(series, { seasonSteps: SEASON, horizonSteps: 4, hiddenUnits: [8], epochs: 3 });
});

after(async () => {
  model.dispose();
  await ownS3?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('neural model artifacts in object storage', () => {
  for (const name of ['folder', 's3']) {
    it(`round-trips through the ${name} store: model.json + weights.bin, identical predictions and metadata`, async () => {
      const store = stores[name]!;
      const prefix = neuralArtifactPrefix('web-shop', 3);
      await model.save(objectStoreIO(store, prefix));
      assert.deepEqual(await store.list('models/web-shop/'), [`${prefix}/model.json`, `${prefix}/weights.bin`]);
      const json = JSON.parse(new TextDecoder().decode(await store.get(modelJsonKey(prefix))));
      assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);
      assert.equal(json.userDefinedMetadata.prescale.scale, model.meta.scale, 'normalisation travels with the model');

      const loaded = await NeuralModel.load(objectStoreIO(store, prefix));
      try {
        assert.deepEqual(loaded.meta, model.meta);
        for (const end of [10 * SEASON, 11 * SEASON + 5, series.values.length]) {
          const history = { ...series, values: series.values.slice(0, end) };
          assert.deepEqual(loaded.predict(history, 4), model.predict(history, 4));
        }
      } finally {
        loaded.dispose();
      }
    });
  }

  it('refuses a model.json that is not a Prescale neural model', async () => {
    const store = stores.folder!;
    const prefix = neuralArtifactPrefix('web-shop', 9);
    await model.save(objectStoreIO(store, prefix));
    const json = JSON.parse(new TextDecoder().decode(await store.get(modelJsonKey(prefix))));
    json.userDefinedMetadata.prescale.format = 'something-else/1';
    await store.put(modelJsonKey(prefix), JSON.stringify(json));
    await assert.rejects(NeuralModel.load(objectStoreIO(store, prefix)), /not a prescale-neural\/1 model/);
  });
});
