// The sample service: a realistic app to scale (a worker pool, a wait queue, a cache; service time
// is waiting, not computing). One per instance, started by the local cloud:
//   PRESCALE_AGENT_TOKEN=… node --import tsx src/sample-service/main.ts --port P --speed S --image sample-service:vN --config '<AppConfig JSON>'
import { z } from 'zod';
import { hostFlag, parseFlagsOrExit, portFlag } from '../agent/flags.js';
import { listen } from '../agent/http.js';
import { createLogger } from '../logger.js';
import { capacityProblem, sampleConfigSchema } from './app-params.js';
import { createSampleService } from './server.js';
import { versionOfImage, type SoftwareVersion } from './versions.js';

const DRAIN_SECONDS = 5;

const flagsSchema = z.object({
  port: portFlag,
  host: hostFlag,
  speed: z.coerce.number({ error: 'must be a number' }).positive('must be above 0').max(1000, 'must be at most 1000'),
  image: z
    .string({ error: 'is required, e.g. sample-service:v1' })
    .transform((image, ctx): { image: string; version: SoftwareVersion } | typeof z.NEVER => {
      try {
        return { image, version: versionOfImage(image) };
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  config: z
    .string({ error: 'is required: an AppConfig as JSON' })
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not valid JSON (${(err as Error).message})` });
        return z.NEVER;
      }
    })
    .pipe(sampleConfigSchema),
});

const usage =
  'PRESCALE_AGENT_TOKEN=… main.ts --port P --speed S --image sample-service:vN --config \'{"version":1,"params":{"poolSize":8,"cacheSize":1000,"queueLimit":64}}\' [--host 127.0.0.1]';
const flags = parseFlagsOrExit(process.argv.slice(2), flagsSchema, usage);
const problem = capacityProblem(flags.config.params, flags.speed);
if (problem) {
  process.stderr.write(`--config: ${problem}\n`);
  process.exit(2);
}
const reloadToken = process.env.PRESCALE_AGENT_TOKEN;
if (!reloadToken) {
  process.stderr.write("PRESCALE_AGENT_TOKEN: must be set to the instance's agent token, which /reload requires\n");
  process.exit(2);
}

const logger = createLogger(process.env.LOG_LEVEL ?? 'info', 'sample-service');
const service = createSampleService({
  speed: flags.speed,
  image: flags.image.image,
  version: flags.image.version,
  config: flags.config,
  logger,
  reloadToken,
});
await listen(service.server, flags.port, flags.host);
logger.info(
  { port: flags.port, speed: flags.speed, image: flags.image.image, config: flags.config },
  'sample service listening',
);

let stopping = false;
function stop(signal: string): void {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'draining');
  const timer = setTimeout(() => {
    logger.warn(`requests still in flight after ${DRAIN_SECONDS} s; closing them`);
    service.server.closeAllConnections();
  }, DRAIN_SECONDS * 1000);
  void service.drain().then(() => {
    clearTimeout(timer);
    logger.info('stopped');
    process.exit(0);
  });
}
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));
