import { parseArgs } from 'node:util';
import { ConfigError } from '../config.js';
import { UsageError, type Command } from './command.js';
import { commands } from './commands.js';

function help(list: readonly Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return [
    'Usage: prescale <command> [options]',
    '',
    'Commands:',
    ...list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run `prescale <command> --help` for a command's options.",
  ].join('\n');
}

function commandHelp(c: Command): string {
  const lines = Object.entries(c.options).map(
    ([name, o]) =>
      `  --${name}${o.type === 'string' ? ' <value>' : ''}${o.default !== undefined ? ` (default ${String(o.default)})` : ''}`,
  );
  return [`Usage: prescale ${c.usage}`, '', c.summary, ...(lines.length ? ['', 'Options:', ...lines] : [])].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(help(commands));
    return name ? 0 : 2;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    console.error(`prescale: unknown command "${name}"\n\n${help(commands)}`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      console.log(commandHelp(command));
      return 0;
    }
    return (await command.run(values, positionals)) ?? 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`prescale: configuration error: ${err.message}`);
      return 2;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`prescale ${name}: ${(err as Error).message}\nUsage: prescale ${command.usage}`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
