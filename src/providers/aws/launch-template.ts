import {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplatesCommand,
  type EC2Client,
  type RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { ProviderError } from '../../domain/provider.js';
import { aws } from './errors.js';

/**
 * CreateLaunchTemplateVersion wants a version number as its source, while a group may follow the
 * "$Latest" or "$Default" alias (or name no version, which means "$Default").
 */
export async function resolveVersion(
  client: EC2Client,
  template: { LaunchTemplateId: string; Version?: string | undefined },
): Promise<string> {
  const version = template.Version ?? '$Default';
  if (/^\d+$/.test(version)) return version;
  const { LaunchTemplates: found = [] } = await aws(() =>
    client.send(new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [template.LaunchTemplateId] })),
  );
  const number = version === '$Latest' ? found[0]?.LatestVersionNumber : found[0]?.DefaultVersionNumber;
  if (number === undefined)
    throw new ProviderError(
      `cannot resolve version ${version} of launch template ${template.LaunchTemplateId}`,
      'InvalidLaunchTemplateVersion',
      false,
    );
  return String(number);
}

export interface NewVersion {
  templateId: string;
  sourceVersion: string;
  /** Already shortened to what EC2 accepts (see idempotencyKey). */
  clientToken: string;
  instanceType?: string | undefined;
  imageId?: string | undefined;
}

/** EC2 honours the client token: the same token and parameters return the version made the first time. */
export async function createVersion(client: EC2Client, v: NewVersion): Promise<string> {
  const data: RequestLaunchTemplateData = {
    // The SDK types InstanceType as a closed union of today's names; EC2 validates it server-side.
    ...(v.instanceType !== undefined && { InstanceType: v.instanceType as RequestLaunchTemplateData['InstanceType'] }),
    ...(v.imageId !== undefined && { ImageId: v.imageId }),
  };
  const { LaunchTemplateVersion: created } = await aws(() =>
    client.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: v.templateId,
        SourceVersion: v.sourceVersion,
        ClientToken: v.clientToken,
        VersionDescription: `prescale ${v.clientToken}`,
        LaunchTemplateData: data,
      }),
    ),
  );
  if (created?.VersionNumber === undefined)
    throw new ProviderError(
      `CreateLaunchTemplateVersion returned no version for ${v.templateId}`,
      'InternalFailure',
      true,
    );
  return String(created.VersionNumber);
}
