import { z } from 'zod';

/**
 * Page positions handed to clients as opaque, URL-safe text: they can pass one back but not
 * build one, so the position's shape can change without breaking anybody.
 */
export const encodeCursor = (position: unknown): string => Buffer.from(JSON.stringify(position)).toString('base64url');

/** Postgres's own text of a timestamptz (`started_at::text`): exact to the microsecond, so a page ends exactly where its last row is. */
export const pgTimestampText = z.string().regex(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d)?$/);

/** A query parameter holding a cursor made by `encodeCursor` from a `position`. */
export function cursorSchema<T>(position: z.ZodType<T>): z.ZodType<T> {
  const notOurs = 'must be the `next` of a previous page';
  return z
    .string()
    .max(500)
    .regex(/^[\w-]+$/, notOurs)
    .transform((text, ctx) => {
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

/** The query of a paged list: `limit` bounded by `max`, and the `cursor` of a previous page. */
export const pageQuery = <T>(position: z.ZodType<T>, { max, fallback }: { max: number; fallback: number }) =>
  z.strictObject({
    limit: z.coerce.number().int().min(1).max(max).default(fallback),
    cursor: cursorSchema(position).optional().describe("A previous page's `next`"),
  });

/** A page's answer: its items, and `next` when the page is full (there may be more after its last item). */
export function pageOf<R, I>(
  rows: readonly R[],
  limit: number,
  positionOf: (last: R) => unknown,
  show: (row: R) => I,
): { items: I[]; next?: string } {
  const last = rows.length === limit ? rows.at(-1) : undefined;
  return { items: rows.map(show), ...(last ? { next: encodeCursor(positionOf(last)) } : {}) };
}

/** The answer schema of a paged list of `item`. */
export const pageBody = (item: z.ZodType) =>
  z.object({
    items: z.array(item),
    next: z.string().optional().describe('The cursor of the next page, when there may be one'),
  });
