import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';

const src = new URL('../../src/', import.meta.url).pathname;
/** Where the sample service may be known by its parameters: itself, the demo and the simulator. */
const ALLOWED = ['sample-service/', 'demo/', 'sim/'];
const SAMPLE_PARAMETERS = /\b(poolSize|cacheSize|queueLimit)\b/;

describe('the engine knows no concrete app', () => {
  it("names none of the sample service's parameters outside the sample service, the demo and the simulator", async () => {
    const files = (await readdir(src, { recursive: true })).filter(
      (f) => f.endsWith('.ts') && !ALLOWED.some((a) => f.startsWith(a)),
    );
    const offenders: string[] = [];
    for (const file of files) {
      const text = await readFile(path.join(src, file), 'utf8');
      text.split('\n').forEach((line, i) => {
        if (SAMPLE_PARAMETERS.test(line)) offenders.push(`src/${file}:${i + 1}: ${line.trim()}`);
      });
    }
    assert.deepEqual(offenders, []);
  });
});
