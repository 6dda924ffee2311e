// The local cloud as its own process:
//   node --import tsx src/providers/local/main.ts --port P --lb-port L --state-dir DIR --ingest-url URL
//     [--boot-delay-seconds 20] [--instance-limit 50] [--stop-instances-on-exit]
// with the secret that agent tokens derive from in PRESCALE_AGENT_SECRET, the API's bearer token in
// LOCAL_CLOUD_TOKEN (derived from the secret when unset), LOG_LEVEL as everywhere.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { configSchema } from '../../config.js';
import { onLifelineCut } from '../../infra/lifeline.js';
import { createLogger } from '../../logger.js';
import { startLocalCloudServer } from './server.js';
import { localCloudToken } from './token.js';

const port = z.coerce.number().int().min(1).max(65535);
const argsSchema = z.object({
  port,
  'lb-port': port,
  'state-dir': z.string().min(1),
  'ingest-url': z.url(),
  'boot-delay-seconds': z.coerce.number().min(0).max(3600).default(20),
  'instance-limit': z.coerce.number().int().min(1).max(1000).default(50),
  'health-interval-ms': z.coerce.number().int().min(100).max(60_000).default(1000),
  'stop-instances-on-exit': z.boolean().default(false),
  PRESCALE_AGENT_SECRET: z.string({ error: 'must be set' }).min(16, 'must be at least 16 characters'),
  LOCAL_CLOUD_TOKEN: configSchema.shape.LOCAL_CLOUD_TOKEN,
  LOG_LEVEL: configSchema.shape.LOG_LEVEL,
});

function fail(message: string): never {
  console.error(`local cloud: ${message}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      port: { type: 'string' },
      'lb-port': { type: 'string' },
      'state-dir': { type: 'string' },
      'ingest-url': { type: 'string' },
      'boot-delay-seconds': { type: 'string' },
      'instance-limit': { type: 'string' },
      'health-interval-ms': { type: 'string' },
      'stop-instances-on-exit': { type: 'boolean' },
    },
  }));
} catch (err) {
  fail((err as Error).message);
}
const parsed = argsSchema.safeParse({
  ...values,
  PRESCALE_AGENT_SECRET: process.env.PRESCALE_AGENT_SECRET || undefined,
  LOCAL_CLOUD_TOKEN: process.env.LOCAL_CLOUD_TOKEN || undefined,
  LOG_LEVEL: process.env.LOG_LEVEL || undefined,
});
if (!parsed.success) {
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0]);
  // Environment variables are upper case; everything else is an option.
  fail(`${name === name.toUpperCase() ? name : `--${name}`}: ${issue.message}`);
}
const args = parsed.data;
const logger = createLogger(args.LOG_LEVEL, 'local-cloud');

const server = await startLocalCloudServer({
  port: args.port,
  lbPort: args['lb-port'],
  stateDir: path.resolve(args['state-dir']),
  ingestUrl: args['ingest-url'],
  agentSecret: args.PRESCALE_AGENT_SECRET,
  token: localCloudToken(args.LOCAL_CLOUD_TOKEN, args.PRESCALE_AGENT_SECRET),
  bootDelaySeconds: args['boot-delay-seconds'],
  instanceLimit: args['instance-limit'],
  healthIntervalMs: args['health-interval-ms'],
  logger,
}).catch((err: unknown) => {
  logger.fatal({ err }, 'could not start');
  process.exit(1);
});
logger.info({ api: server.apiUrl, loadBalancer: server.lbUrl }, 'local cloud listening');

let stopping = false;
function stop(why: string): void {
  if (stopping) return;
  stopping = true;
  logger.info({ why, stopInstances: args['stop-instances-on-exit'] }, 'stopping');
  void server.stop({ stopInstances: args['stop-instances-on-exit'] }).then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error({ err }, 'stop failed');
      process.exit(1);
    },
  );
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop(signal));
onLifelineCut(() => stop('its supervisor is gone'));
