import { pino, type Logger } from 'pino';
import { prettyTo } from './pretty-log.js';

export type { Logger };

/** Where logs go: stdout unless told (a test's capture). */
export interface LogOutput {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** Fields that hold secrets, redacted at the top level and one level down. */
const SECRET_FIELDS = ['authorization', 'apiKey', 'password', 'secret', 'token'];

/**
 * Structured logs; secrets never reach them (issue 7 widens the redaction list). JSON lines for
 * machines (files, pipes, collectors), readable lines when a person watches a terminal.
 */
export function createLogger(level: string, name = 'prescale', out: LogOutput = process.stdout): Logger {
  const options = {
    name,
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        ...SECRET_FIELDS,
        ...SECRET_FIELDS.map((f) => `*.${f}`),
      ],
      censor: '[redacted]',
    },
  };
  if (out.isTTY) return pino(options, prettyTo(out));
  // pino's own stdout writer when it is stdout: synchronous, so nothing is lost on exit.
  return out === process.stdout ? pino(options) : pino(options, out);
}
