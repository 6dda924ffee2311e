import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from './http-error.js';

/**
 * A 401 naming the credential (`what`) unless the Authorization header is exactly
 * `Bearer <token>`, compared in constant time so the answer's timing does not leak the token.
 */
export function requireBearer(headers: IncomingHttpHeaders, token: string, what: string): void {
  const given = Buffer.from(headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HttpError(401, 'unauthorized', `needs the header Authorization: Bearer <${what}>`);
  }
}
