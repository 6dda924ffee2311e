import path from 'node:path';
import type { Config } from '../../config.js';
import type { ObjectStore } from './contract.js';
import { FolderObjectStore } from './folder.js';
import { S3ObjectStore } from './s3.js';

export { InvalidObjectKeyError, ObjectNotFoundError, type ObjectStore } from './contract.js';

export type ObjectStoreConfig = Pick<
  Config,
  'dataDir' | 'S3_ENDPOINT' | 'S3_BUCKET' | 'S3_REGION' | 'S3_FORCE_PATH_STYLE'
>;

/** S3 when S3_ENDPOINT and S3_BUCKET are set (creating the bucket if needed), else a folder in the data directory. */
export async function createObjectStore(config: ObjectStoreConfig): Promise<ObjectStore> {
  if (!config.S3_ENDPOINT || !config.S3_BUCKET) return new FolderObjectStore(path.join(config.dataDir, 'objects'));
  const store = new S3ObjectStore({
    endpoint: config.S3_ENDPOINT,
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
  });
  await store.init();
  return store;
}
