import { ProviderError } from '../../domain/provider.js';

/**
 * AWS error codes that clear up on their own: throttling, server-side trouble, and Auto Scaling's
 * "another change to this group is still in flight". Everything else an AWS service returns with a
 * 4xx status (ValidationError, InvalidParameterValue, InvalidInstanceType, Unsupported,
 * LimitExceeded, AccessDenied, ResourceInUse, …) needs a person or a different request.
 */
const retryableCodes = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'TooManyRequestsException',
  'ServiceUnavailable',
  'Unavailable',
  'InternalFailure',
  'InternalError',
  'ScalingActivityInProgress',
  'ResourceContention',
  'RequestTimeout',
  'RequestTimeoutException',
  // Node and the SDK's HTTP handler: the request never got an answer.
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
]);

interface AwsLikeError {
  name?: string;
  /** The wire code of a Query-protocol error ("ScalingActivityInProgress"); `name` may be the SDK's class name. */
  Code?: string;
  /** Node's system error code (ECONNRESET …). */
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

export function toProviderError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  const e: AwsLikeError = typeof error === 'object' && error !== null ? error : {};
  const code = e.Code ?? e.code ?? e.name ?? 'Unknown';
  const status = e.$metadata?.httpStatusCode;
  const retryable = retryableCodes.has(code) || (status !== undefined && status >= 500);
  return new ProviderError(e.message ?? String(error), code, retryable, { cause: error });
}

/** Runs one AWS call (or a paginated sequence of them) and classifies whatever it throws. */
export async function aws<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toProviderError(error);
  }
}
