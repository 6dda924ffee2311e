import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_APP_CONFIG } from '../../src/sample-service/app-params.js';
import { StateFile, type CloudState } from '../../src/providers/local/state-file.js';

describe('local cloud state file', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-state-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts empty, and reads back what it saved, leaving no temporary file', async () => {
    const file = new StateFile(dir);
    const state = await file.load();
    assert.deepEqual(state, { version: 1, instances: {}, launches: {}, terminations: {} });
    const saved: CloudState = {
      version: 1,
      instances: {
        'i-1': {
          id: 'i-1',
          resourceSetId: 'web',
          instanceType: 'local.small',
          image: 'sample-service:v1',
          config: DEFAULT_APP_CONFIG,
          state: 'pending',
          healthy: false,
          launchedAt: new Date(0).toISOString(),
          bootUntil: 1000,
          app: { port: 4001 },
          agent: { port: 4002, pid: 77 },
        },
      },
      launches: { t: { params: '[]', instanceIds: ['i-1'] } },
      terminations: {},
    };
    // Concurrent saves land in order: the file ends with the last snapshot.
    await Promise.all([file.save(state), file.save(saved)]);
    assert.deepEqual(await new StateFile(dir).load(), saved);
    assert.deepEqual(await readdir(dir), ['cloud-state.json']);
  });

  it('refuses a damaged file with the reason, instead of starting from nothing', async () => {
    const file = new StateFile(dir);
    await writeFile(file.file, '{"version":1,');
    await assert.rejects(file.load(), /cloud-state\.json: not valid JSON/);
    await writeFile(
      file.file,
      JSON.stringify({ version: 1, instances: { x: { id: 'x' } }, launches: {}, terminations: {} }),
    );
    await assert.rejects(file.load(), /cloud-state\.json: instances\.x\.resourceSetId: /);
  });
});
