import type { ParseArgsConfig } from 'node:util';

/** One `prescale` subcommand. `options` follow node:util parseArgs; every command gets --help. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(
    values: Record<string, string | boolean | string[] | boolean[] | undefined>,
    positionals: string[],
  ): Promise<number | void>;
}

/** A usage error: printed as one line with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
