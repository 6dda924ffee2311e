import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { viaProvider } from '../../src/activities/provider-calls.js';
import { ProviderError } from '../../src/domain/provider.js';

test('a provider failure that retrying cannot fix ends the activity at once; a transient one is left to the retry policy', async () => {
  const refused = await viaProvider(() =>
    Promise.reject(new ProviderError('no such instance type', 'InvalidInstanceType', false)),
  ).catch((e: unknown) => e);
  assert.ok(refused instanceof ApplicationFailure && refused.nonRetryable, String(refused));
  assert.equal(refused.type, 'InvalidInstanceType');
  const throttled = new ProviderError('slow down', 'Throttling', true);
  assert.equal(await viaProvider(() => Promise.reject(throttled)).catch((e: unknown) => e), throttled);
  assert.equal(await viaProvider(() => Promise.resolve(3)), 3);
});
