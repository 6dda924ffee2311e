import { loadConfig } from '../config.js';
import { TASK_QUEUES } from '../domain/task-queues.js';
import { createLogger } from '../logger.js';
import type { QueueName } from '../workers/workers.js';
import { configuredEndpoints, installTemporalRuntime, runMigrations, startServices } from '../workers/system.js';
import { UsageError, type Command } from './command.js';
import { runUntilStopped } from './lifecycle.js';

/** Production commands run against configured servers; they never start embedded ones. */
async function requireServers() {
  const config = loadConfig();
  if (!config.TEMPORAL_ADDRESS || !config.DATABASE_URL) {
    throw new UsageError('TEMPORAL_ADDRESS and DATABASE_URL must be set (use `prescale start` for the embedded setup)');
  }
  const logger = createLogger(config.LOG_LEVEL);
  const endpoints = {
    temporalAddress: config.TEMPORAL_ADDRESS,
    databaseUrl: config.DATABASE_URL,
    ...(await configuredEndpoints(config)),
  };
  return { config, logger, endpoints };
}

export const apiCommand: Command = {
  name: 'api',
  summary: 'Serve the REST API against TEMPORAL_ADDRESS and DATABASE_URL',
  usage: 'api',
  options: {},
  async run() {
    const { config, logger, endpoints } = await requireServers();
    const running = await startServices(config, endpoints, logger, { api: true, queues: [] });
    return runUntilStopped(logger, running.stop, { deadlineMs: config.SHUTDOWN_DEADLINE_SECONDS * 1000 });
  },
};

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run a Temporal worker for one task queue (main: workflows and light activities; forecast: model fits)',
  usage: 'worker --queue main|forecast',
  options: { queue: { type: 'string', default: 'main' } },
  async run(values) {
    const queue = values.queue as string;
    if (!(queue in TASK_QUEUES)) throw new UsageError(`--queue must be one of ${Object.keys(TASK_QUEUES).join(', ')}`);
    const { config, logger, endpoints } = await requireServers();
    installTemporalRuntime(logger);
    const running = await startServices(config, endpoints, logger, { api: false, queues: [queue as QueueName] });
    return runUntilStopped(logger, running.stop, { deadlineMs: config.SHUTDOWN_DEADLINE_SECONDS * 1000 });
  },
};

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply database migrations to DATABASE_URL and exit',
  usage: 'migrate',
  options: {},
  async run() {
    const config = loadConfig();
    if (!config.DATABASE_URL)
      throw new UsageError('DATABASE_URL must be set (`prescale start` migrates the embedded database itself)');
    await runMigrations(config.DATABASE_URL, createLogger(config.LOG_LEVEL));
  },
};
