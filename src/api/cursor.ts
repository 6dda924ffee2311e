import { z } from 'zod';

/**
 * Page positions handed to clients as opaque, URL-safe text: they can pass one back but not
 * build one, so the position's shape can change without breaking anybody.
 */
export const encodeCursor = (position: unknown): string => Buffer.from(JSON.stringify(position)).toString('base64url');

/** A query parameter holding a cursor made by `encodeCursor` from a `position`. */
export function cursorSchema<T>(position: z.ZodType<T>): z.ZodType<T> {
  const notOurs = 'must be the `next` of a previous page';
  return z.string().max(500).regex(/^[\w-]+$/, notOurs).transform((text, ctx) => {
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    const parsed = position.safeParse(decoded);
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: 'custom', message: notOurs });
    return z.NEVER;
  });
}
