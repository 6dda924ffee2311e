import type { Config } from '../config.js';
import { runDemo } from '../demo/demo.js';
import type { Logger } from '../logger.js';
import { createPool } from '../store/db.js';
import type { Endpoints } from '../workers/system.js';

/** Runs the demo in the background of `prescale start`; `stop` ends its replay. */
export function startDemo(options: {
  config: Config;
  endpoints: Endpoints;
  apiUrl: string;
  adminKey: string | undefined;
  logger: Logger;
}): { stop(): Promise<void> } {
  const { config, endpoints, logger } = options;
  const abort = new AbortController();
  const db = createPool(endpoints.databaseUrl, { max: 2 });
  const done = runDemo({
    apiUrl: options.apiUrl,
    lbUrl: `http://127.0.0.1:${config.LOCAL_LB_PORT}`,
    db,
    dataDir: config.dataDir,
    logger: logger.child({ component: 'demo' }),
    signal: abort.signal,
    adminKey: options.adminKey,
  }).catch((err: unknown) => {
    if (!abort.signal.aborted) logger.error({ err }, 'demo stopped');
  });
  return {
    async stop() {
      abort.abort();
      await done;
      await db.end();
    },
  };
}
