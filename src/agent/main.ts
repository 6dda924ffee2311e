// The Performance Monitoring Agent: one beside each instance's app. Samples host, process and app
// metrics, pushes them to the control plane through an on-disk buffer, and applies configuration.
//   PRESCALE_AGENT_TOKEN=… node --import tsx src/agent/main.ts --port P --app-url http://127.0.0.1:APP
//     --instance-id ID --resource-set-id RS --ingest-url http://127.0.0.1:CP --state-dir DIR [--interval-ms 5000]
//     --config-delivery JSON [--app-pid PID] [--buffer-max-samples 50000] [--host 127.0.0.1]
// --config-delivery is the `config` section of the app's profile: how a configuration reaches the app.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { configDeliverySchema } from '../domain/app-profile.js';
import { metricBatchSchema } from '../domain/metrics.js';
import { createLogger } from '../logger.js';
import { AppClient } from './app-client.js';
import { ConfigApplier } from './config-applier.js';
import { chooseDelivery } from './delivery/choose-delivery.js';
import { DiskBuffer } from './disk-buffer.js';
import { hostFlag, jsonFlag, parseFlagsOrExit, portFlag } from './flags.js';
import { listen } from './http.js';
import { Pusher } from './pusher.js';
import { Sampler } from './sampler.js';
import { SeqStore } from './seq-store.js';
import { createAgentServer } from './server.js';

const MINUTE_MS = 60_000;
const FLUSH_ON_EXIT_MS = 3_000;
const integer = (what: string) => z.coerce.number({ error: `must be ${what}` }).int(`must be ${what}`);
const url = z.url({ message: 'must be a URL such as http://127.0.0.1:8080' });

const flagsSchema = z.object({
  port: portFlag,
  host: hostFlag,
  'app-url': url,
  'instance-id': metricBatchSchema.shape.instanceId,
  'resource-set-id': metricBatchSchema.shape.resourceSetId,
  'ingest-url': url,
  'state-dir': z.string({ error: "is required: a directory for the agent's state" }).min(1),
  // The control plane rolls samples up per minute, so an interval must never straddle one.
  'interval-ms': integer('a whole number of milliseconds')
    .min(100, 'must be at least 100')
    .max(3_600_000, 'must be at most 3600000')
    .refine(
      (ms) => MINUTE_MS % ms === 0 || ms % MINUTE_MS === 0,
      'must divide a minute (e.g. 1000, 5000, 15000) or be whole minutes',
    )
    .default(5_000),
  'app-pid': integer('a process id').min(1, 'must be a process id').optional(),
  'buffer-max-samples': integer('a whole number')
    .min(1, 'must be at least 1')
    .max(10_000_000, 'must be at most 10000000')
    .default(50_000),
  'config-delivery': jsonFlag(configDeliverySchema, "the `config` section of the app's profile"),
});

const usage =
  'PRESCALE_AGENT_TOKEN=… main.ts --port P --app-url URL --instance-id ID --resource-set-id RS --ingest-url URL --state-dir DIR ' +
  '--config-delivery JSON [--interval-ms 5000] [--app-pid PID] [--buffer-max-samples 50000] [--host 127.0.0.1]';
const flags = parseFlagsOrExit(process.argv.slice(2), flagsSchema, usage);
const token = process.env.PRESCALE_AGENT_TOKEN;
if (!token) {
  process.stderr.write("PRESCALE_AGENT_TOKEN: must be set to this instance's agent token\n");
  process.exit(2);
}

const logger = createLogger(process.env.LOG_LEVEL ?? 'info', 'agent').child({ instanceId: flags['instance-id'] });
const stateDir = path.resolve(flags['state-dir']);
await mkdir(stateDir, { recursive: true });
const buffer = await DiskBuffer.open(path.join(stateDir, 'buffer'), { maxSamples: flags['buffer-max-samples'] });
const seq = await SeqStore.open(stateDir, (buffer.lastSeqOnDisk ?? -1) + 1);
const app = new AppClient(flags['app-url'], token);
const delivery = chooseDelivery(flags['config-delivery'], app, flags['app-url']);
const applier = await ConfigApplier.open(stateDir, delivery, logger);
const pusher = new Pusher({
  buffer,
  ingestUrl: flags['ingest-url'],
  token,
  instanceId: flags['instance-id'],
  resourceSetId: flags['resource-set-id'],
  logger,
});
const sampler = new Sampler({
  intervalMs: flags['interval-ms'],
  app,
  appPid: flags['app-pid'] ?? null,
  seq,
  logger,
  async emit(sample) {
    await buffer.append(sample);
    pusher.kick();
  },
});
const server = createAgentServer({
  app,
  applier,
  token,
  logger,
  counting: () => sampler.countApp(),
  state: () => ({
    latest: sampler.latest,
    bufferedSamples: buffer.size,
    droppedSamplesTotal: buffer.droppedTotal,
    pushFailuresTotal: pusher.pushFailuresTotal,
    rejectedSamplesTotal: pusher.rejectedSamplesTotal,
    appliedConfigVersion: applier.applied?.version ?? null,
  }),
});
await listen(server, flags.port, flags.host);
sampler.start();
void applier.reconcile();
const reconciling = setInterval(() => void applier.reconcile(), Math.min(flags['interval-ms'], 5_000));
logger.info(
  {
    port: flags.port,
    appUrl: flags['app-url'],
    configDelivery: flags['config-delivery'],
    ingestUrl: flags['ingest-url'],
    intervalMs: flags['interval-ms'],
    buffered: buffer.size,
    appliedVersion: applier.applied?.version ?? null,
  },
  'agent started',
);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  clearInterval(reconciling);
  server.close();
  server.closeIdleConnections();
  await sampler.stop();
  await pusher.stop(FLUSH_ON_EXIT_MS);
  logger.info({ buffered: buffer.size }, 'stopped');
  process.exit(0);
}
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));
