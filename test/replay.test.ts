import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../src/workers/workers.js';

const DIR = new URL('./histories/', import.meta.url);

/**
 * Histories recorded from real runs of our workflows (test/histories/record.ts), replayed against
 * today's workflow code: a change that would break running workflows fails here, before deploy.
 */
describe('workflow replay against recorded histories', () => {
  it('replays every recorded history without nondeterminism', async () => {
    const files = (await readdir(DIR)).filter((f) => f.endsWith('.json')).sort();
    assert.ok(files.length >= 3, `expected recorded histories in test/histories (found ${files.length})`);
    const histories = await Promise.all(
      files.map(async (file) => ({
        workflowId: file.replace(/\.json$/, ''),
        history: historyFromJSON(JSON.parse(await readFile(new URL(file, DIR), 'utf8'))),
      })),
    );
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.deepEqual(failures, []);
  });
});
