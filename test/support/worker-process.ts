// A main worker in a process of its own, so a test can kill it with SIGKILL mid-activity.
// Env: TEMPORAL_ADDRESS, DATABASE_URL, LOCAL_CLOUD_URL, PRESCALE_AGENT_SECRET, OBJECTS_DIR, TASK_QUEUE
// (LOCAL_CLOUD_TOKEN when the cloud's is not the one derived from the secret).
// Prints "worker ready" once it polls.
import { NativeConnection } from '@temporalio/worker';
import { createLogger } from '../../src/logger.js';
import { localCloudToken } from '../../src/providers/local/token.js';
import { createPool } from '../../src/store/db.js';
import { FolderObjectStore } from '../../src/store/objects/folder.js';
import { installTemporalRuntime, providerRegistry } from '../../src/workers/system.js';
import { createWorker } from '../../src/workers/workers.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
};

installTemporalRuntime(createLogger('error'));
const db = createPool(env('DATABASE_URL'));
const connection = await NativeConnection.connect({ address: env('TEMPORAL_ADDRESS') });
const worker = await createWorker({
  connection,
  namespace: 'default',
  queue: 'main',
  taskQueue: env('TASK_QUEUE'),
  deps: {
    db,
    objects: new FolderObjectStore(env('OBJECTS_DIR')),
    providerFor: providerRegistry({
      localCloudUrl: env('LOCAL_CLOUD_URL'),
      localCloudToken: localCloudToken(process.env.LOCAL_CLOUD_TOKEN, env('PRESCALE_AGENT_SECRET')),
    }),
    pollMs: 500,
    agentSecret: env('PRESCALE_AGENT_SECRET'),
  },
});
const run = worker.run();
console.log('worker ready');
process.on('SIGTERM', () => worker.shutdown());
await run;
await connection.close();
await db.end();
