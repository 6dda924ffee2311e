import type { z } from 'zod';

/** An error with an HTTP status, a stable machine-readable code and a message for people. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Response headers the error calls for, e.g. retry-after. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** "body.policy.mode: Invalid option…" — the field and the reason, for each problem zod found. */
export function validationError(where: 'body' | 'query' | 'params', error: z.ZodError): HttpError {
  return invalidFields(
    error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message })),
  );
}

/** A 400 for problems only a lookup finds (a name that must exist), shaped as validationError's. */
export function invalidFields(issues: readonly { path: string; message: string }[]): HttpError {
  return new HttpError(400, 'invalid_request', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}

export const notFound = (what: string, id: string): HttpError =>
  new HttpError(404, 'not_found', `${what} "${id}" does not exist`);
