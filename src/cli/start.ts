import { loadConfig } from '../config.js';
import { StartRefused } from '../infra/embedded-claims.js';
import { createLogger } from '../logger.js';
import { installTemporalRuntime, runMigrations, startEmbeddedInfra, startServices } from '../workers/system.js';
import type { Command } from './command.js';
import { firstAdminKey } from './keys.js';
import { runUntilStopped } from './lifecycle.js';
import { startDemo } from './start-demo.js';

export const startCommand: Command = {
  name: 'start',
  summary: 'Run the whole system: embedded Temporal and Postgres where not configured, API and workers',
  usage: 'start',
  options: {},
  async run() {
    const config = loadConfig();
    const logger = createLogger(config.LOG_LEVEL);
    installTemporalRuntime(logger);
    let embedded;
    try {
      embedded = await startEmbeddedInfra(config, logger);
    } catch (err) {
      if (!(err instanceof StartRefused)) {
        logger.fatal({ err }, 'could not start the embedded infrastructure');
        throw err;
      }
      console.error(`prescale start: ${err.message}`);
      return 1;
    }
    const { endpoints, children } = embedded;
    let stopServices = async (): Promise<void> => {};
    try {
      await runMigrations(endpoints.databaseUrl, logger);
      const running = await startServices(config, endpoints, logger, { api: true, queues: ['main', 'forecast'] });
      stopServices = running.stop;
      const adminKey = await firstAdminKey(endpoints.databaseUrl);
      if (config.PRESCALE_DEMO) {
        const demo = startDemo({ config, endpoints, apiUrl: running.apiUrl!, adminKey, logger });
        stopServices = async () => {
          await demo.stop();
          await running.stop();
        };
      }
      console.log(
        [
          '',
          'Prescale is running.',
          `  API           ${running.apiUrl}  (readiness: ${running.apiUrl}/readyz, OpenAPI: ${running.apiUrl}/v1/openapi.json)`,
          `  Temporal UI   ${endpoints.temporalUiUrl ?? '(external Temporal at ' + endpoints.temporalAddress + ')'}`,
          `  Data          ${config.dataDir}`,
          ...(adminKey
            ? [`  Admin key     ${adminKey}  (first run: shown this once; more with \`prescale keys create\`)`]
            : []),
          'Press Ctrl-C to stop.',
          '',
        ].join('\n'),
      );
    } catch (err) {
      logger.fatal({ err }, 'start-up failed');
      await stopServices();
      for (const child of children.reverse()) await child.stop();
      return 1;
    }
    return runUntilStopped(logger, stopServices, { children, deadlineMs: config.SHUTDOWN_DEADLINE_SECONDS * 1000 });
  },
};
