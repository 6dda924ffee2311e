import { parseArgs } from 'node:util';
import { z } from 'zod';

export class FlagError extends Error {
  override name = 'FlagError';
}

/**
 * Parses `--name value` flags against a schema whose keys are the flag names: an unknown flag or a
 * bad value throws a FlagError naming the flag and the reason.
 */
export function parseFlags<S extends z.ZodObject>(argv: string[], schema: S): z.infer<S> {
  const options = Object.fromEntries(Object.keys(schema.shape).map((name) => [name, { type: 'string' as const }]));
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
  const parsed = schema.safeParse(values);
  if (!parsed.success) {
    throw new FlagError(parsed.error.issues.map((i) => `--${i.path.map(String).join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

/** For main modules: parse or print the reason and the usage, then exit 2. */
export function parseFlagsOrExit<S extends z.ZodObject>(argv: string[], schema: S, usage: string): z.infer<S> {
  try {
    return parseFlags(argv, schema);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nusage: ${usage}\n`);
    process.exit(2);
  }
}

export const portFlag = z.coerce
  .number({ error: 'must be a port number 1..65535' })
  .int('must be a port number 1..65535')
  .min(1, 'must be a port number 1..65535')
  .max(65535, 'must be a port number 1..65535');
export const hostFlag = z.string().min(1).default('127.0.0.1');

/** A flag whose value is a JSON document checked by `schema`; its problems name the field inside it. */
export const jsonFlag = <T extends z.ZodType>(schema: T, what: string) =>
  z
    .string({ error: `is required: ${what}, as JSON` })
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `must be JSON (${(err as Error).message})` });
        return z.NEVER;
      }
    })
    .pipe(schema);
