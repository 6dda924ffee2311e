import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { descendants, isAlive } from '../support/prescale-start.js';
import { waitFor } from '../support/wait.js';

const TETHER = fileURLToPath(new URL('../../src/infra/tether.ts', import.meta.url));

describe('the tether (what runs the Temporal CLI under prescale start)', () => {
  it('ends its program when the tether itself is SIGKILLed', async () => {
    const tether = spawn(process.execPath, ['--import', 'tsx', TETHER, 'sleep', '300'], { stdio: 'ignore' });
    try {
      const [program] = await waitFor(
        'the program under the tether',
        async () => {
          const pids = await descendants(tether.pid!);
          return pids.length > 0 && pids;
        },
        30_000,
        100,
      );
      tether.kill('SIGKILL');
      await waitFor(`program ${program} to end`, () => Promise.resolve(!isAlive(program!)), 5_000, 100);
    } finally {
      tether.kill('SIGKILL');
    }
  });
});
