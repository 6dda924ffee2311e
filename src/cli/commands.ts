import { backtestCommand } from './backtest.js';
import type { Command } from './command.js';
import { keysCommand } from './keys.js';
import { loadCommand } from './load.js';
import { apiCommand, migrateCommand, workerCommand } from './serve.js';
import { startCommand } from './start.js';

/** The table of `prescale` subcommands; each lives in its own file beside this one. */
export const commands: readonly Command[] = [
  startCommand,
  apiCommand,
  workerCommand,
  migrateCommand,
  loadCommand,
  keysCommand,
  backtestCommand,
];
