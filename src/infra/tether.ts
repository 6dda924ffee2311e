// Runs a program that cannot watch a lifeline itself (the Temporal CLI) and ends it when ours is
// cut:  node --import tsx tether.ts <command> [args…]
// SIGTERM/SIGINT are passed on; when the supervisor goes away the program gets SIGTERM, then
// SIGKILL if it has not ended within a few seconds. Exits with the program's exit code. Where
// util-linux's setpriv exists (every Debian), the kernel also sends the program SIGTERM when this
// tether itself dies, even by SIGKILL, which no handler of ours sees.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { onLifelineCut } from './lifeline.js';

/** How long the program gets to end cleanly once the supervisor is gone. */
const ORPHAN_GRACE_MS = 5_000;

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error('usage: tether.ts <command> [args…]');
  process.exit(2);
}
// First, so the program does not inherit the lifeline's variable.
onLifelineCut(() => {
  program.kill('SIGTERM');
  setTimeout(() => program.kill('SIGKILL'), ORPHAN_GRACE_MS).unref();
});
const SETPRIV = '/usr/bin/setpriv';
const program = existsSync(SETPRIV)
  ? spawn(SETPRIV, ['--pdeathsig', 'TERM', '--', command, ...args], { stdio: ['ignore', 'inherit', 'inherit'] })
  : spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
program.on('error', (err) => {
  console.error(`tether: could not start ${command}: ${err.message}`);
  process.exit(127);
});
program.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => program.kill(signal));
