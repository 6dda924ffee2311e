// The forecast worker of bench/orchestrator-scale.ts in a process of its own, so that its CPU is
// measured apart from the main worker's: `node --import tsx bench/support/forecast-worker.ts <temporal address> <database url> <objects dir> <cache series>`.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { NativeConnection } from '@temporalio/worker';
import { createLogger } from '../../src/logger.js';
import { createPool } from '../../src/store/db.js';
import { FolderObjectStore } from '../../src/store/objects/folder.js';
import { installTemporalRuntime } from '../../src/workers/system.js';
import { createWorker } from '../../src/workers/workers.js';
import { InstantProvider } from './instant-provider.js';

const [address, databaseUrl, objectsDir, cacheSeries] = process.argv.slice(2);
installTemporalRuntime(createLogger('error'));
const connection = await NativeConnection.connect({ address: address! });
const db = createPool(databaseUrl!);
const provider = new InstantProvider();
const worker = await createWorker({
  connection,
  namespace: 'default',
  queue: 'forecast',
  deps: {
    db,
    objects: new FolderObjectStore(objectsDir!),
    providerFor: () => provider,
    agentSecret: 'unused-by-this-benchmark',
    forecastCacheSeries: Number(cacheSeries),
  },
});
process.once('SIGTERM', () => worker.shutdown());
// The benchmark's --profile: a CPU profile over its measured window ({ profile: 'start' }, then { profile: FILE }).
const profiler = new Session();
process.on('message', (m: { profile?: string }) => {
  void (async () => {
    if (m.profile === 'start') {
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
    } else if (m.profile) {
      const { profile } = await profiler.post('Profiler.stop');
      await writeFile(m.profile, JSON.stringify(profile));
      process.send?.('profiled');
    }
  })();
});
process.send?.('ready');
await worker.run();
await connection.close();
await db.end();
// The IPC channel would keep the process alive.
process.disconnect?.();
