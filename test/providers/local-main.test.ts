import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/providers/local/main.ts', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr };
}

const good = ['--port', '1', '--lb-port', '2', '--state-dir', '/nonexistent', '--ingest-url', 'http://127.0.0.1:3'];

describe('local cloud command line', () => {
  it('names the bad option and exits 2', () => {
    const badPort = run(['--port', 'x', ...good.slice(2)], { PRESCALE_AGENT_SECRET: 'a'.repeat(32) });
    assert.equal(badPort.status, 2);
    assert.match(badPort.stderr, /--port: /);
    const unknown = run([...good, '--bogus'], { PRESCALE_AGENT_SECRET: 'a'.repeat(32) });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /--bogus/);
  });

  it('requires the agent secret', () => {
    const missing = run(good, { PRESCALE_AGENT_SECRET: '' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /PRESCALE_AGENT_SECRET: must be set/);
  });
});
