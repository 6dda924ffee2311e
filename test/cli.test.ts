import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { commands } from '../src/cli/commands.js';

const run = promisify(execFile);
const BIN = new URL('../bin/prescale.js', import.meta.url).pathname;

async function prescale(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('prescale CLI', () => {
  it('lists its commands', async () => {
    const { code, stdout } = await prescale(['--help']);
    assert.equal(code, 0);
    for (const c of commands) assert.match(stdout, new RegExp(`\\b${c.name}\\b`));
  });

  for (const c of commands) {
    it(`prescale ${c.name} --help explains itself`, async () => {
      const { code, stdout } = await prescale([c.name, '--help']);
      assert.equal(code, 0);
      assert.match(stdout, new RegExp(`Usage: prescale ${c.name}`));
    });
  }

  it('an unknown command or option exits 2 with usage', async () => {
    assert.equal((await prescale(['frobnicate'])).code, 2);
    const bad = await prescale(['worker', '--nope']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Usage: prescale worker/);
  });

  it('a bad configuration value stops start-up with one line naming the variable', async () => {
    const { code, stderr } = await prescale(['start'], { PORT: 'eighty' });
    assert.equal(code, 2);
    assert.equal(stderr.trim().split('\n').length, 1);
    assert.match(stderr, /PORT: /);
  });

  it('production commands refuse to run without their servers', async () => {
    const { code, stderr } = await prescale(['api'], { TEMPORAL_ADDRESS: '', DATABASE_URL: '' });
    assert.equal(code, 2);
    assert.match(stderr, /TEMPORAL_ADDRESS and DATABASE_URL must be set/);
  });
});
