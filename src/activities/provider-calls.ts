import { ApplicationFailure } from '@temporalio/activity';
import { ProviderError, type Instance } from '../domain/provider.js';

/** Provider failures that retrying cannot fix end the activity at once; the rest are retried. */
export async function viaProvider<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof ProviderError && !err.retryable) throw ApplicationFailure.nonRetryable(err.message, err.code);
    throw err;
  }
}

/** Instances the set has: starting or running, not draining or gone. */
export const alive = (i: Instance): boolean => i.state === 'pending' || i.state === 'running';
