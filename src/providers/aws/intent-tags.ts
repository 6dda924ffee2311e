import { createHash } from 'node:crypto';
import { CreateOrUpdateTagsCommand, type AutoScalingClient, type AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import { z } from 'zod';
import { aws } from './errors.js';

/**
 * Auto Scaling's SetDesiredCapacity and UpdateAutoScalingGroup take no client token, so the adapter
 * keeps its own: before changing the group it writes what it is about to do (token and absolute
 * target) as a tag on the group, then applies the absolute value. A retry with the same token reads
 * the tag and converges on the recorded target instead of adding again.
 */
export const tagKeys = {
  provision: 'prescale:provision',
  surge: 'prescale:replace-surge',
  replace: 'prescale:replace',
} as const;

export const scaleIntentSchema = z.object({
  token: z.string(),
  /** DesiredCapacity when the intent was recorded. */
  from: z.number().int(),
  /** The DesiredCapacity this request sets. */
  to: z.number().int(),
  /** When the intent was recorded: instances launched since then are this request's. */
  at: z.iso.datetime(),
});
export type ScaleIntent = z.infer<typeof scaleIntentSchema>;

export const replaceIntentSchema = z.object({
  token: z.string(),
  /** The launch template version the new version is based on, fixed on the first attempt. */
  sourceVersion: z.string(),
});
export type ReplaceIntent = z.infer<typeof replaceIntentSchema>;

/**
 * EC2 accepts client tokens of at most 128 ASCII characters and Auto Scaling tag values of at most
 * 256; longer or non-ASCII tokens are replaced by their SHA-256, which is just as unique and stable.
 */
export function idempotencyKey(token: string): string {
  return /^[\x20-\x7e]{1,128}$/.test(token) ? token : createHash('sha256').update(token).digest('hex');
}

export function readIntent<S extends z.ZodType>(
  group: AutoScalingGroup,
  key: string,
  schema: S,
): z.infer<S> | undefined {
  const value = group.Tags?.find((tag) => tag.Key === key)?.Value;
  if (value === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // a hand-edited tag is as good as none: the request starts afresh
  }
}

export async function writeIntent(
  client: AutoScalingClient,
  groupName: string,
  key: string,
  intent: ScaleIntent | ReplaceIntent,
): Promise<void> {
  await aws(() =>
    client.send(
      new CreateOrUpdateTagsCommand({
        Tags: [
          {
            ResourceId: groupName,
            ResourceType: 'auto-scaling-group',
            Key: key,
            Value: JSON.stringify(intent),
            PropagateAtLaunch: false,
          },
        ],
      }),
    ),
  );
}
