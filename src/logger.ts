import { pino, type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs; secrets never reach them (issue 7 widens the redaction list). */
export function createLogger(level: string, name = 'prescale'): Logger {
  return pino({
    name,
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.authorization', '*.apiKey', '*.password', '*.secret', '*.token'], censor: '[redacted]' },
  });
}
