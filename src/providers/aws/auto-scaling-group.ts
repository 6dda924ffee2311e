import {
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
  UpdateAutoScalingGroupCommand,
  type AutoScalingClient,
  type AutoScalingGroup,
  type LaunchTemplateSpecification,
} from '@aws-sdk/client-auto-scaling';
import { ProviderError } from '../../domain/provider.js';
import { aws } from './errors.js';

export async function describeGroup(client: AutoScalingClient, name: string): Promise<AutoScalingGroup> {
  const { AutoScalingGroups: groups = [] } = await aws(() =>
    client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] })),
  );
  const group = groups.find((g) => g.AutoScalingGroupName === name);
  if (!group) throw new ProviderError(`Auto Scaling group ${name} not found`, 'GroupNotFound', false);
  return group;
}

export async function setDesiredCapacity(client: AutoScalingClient, name: string, desired: number): Promise<void> {
  // The planner decided; a cooldown left by an earlier activity must not swallow the change.
  await aws(() =>
    client.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: desired, HonorCooldown: false }),
    ),
  );
}

/**
 * TerminateInstanceInAutoScalingGroup names no group: it acts on whichever group holds the instance,
 * so callers only pass instances they have just seen in their own group. An instance that left in
 * between answers "Instance Id not found", which means the work is done.
 */
export async function terminateInGroup(client: AutoScalingClient, instanceId: string): Promise<void> {
  try {
    await aws(() =>
      client.send(
        new TerminateInstanceInAutoScalingGroupCommand({
          InstanceId: instanceId,
          ShouldDecrementDesiredCapacity: true,
        }),
      ),
    );
  } catch (error) {
    if (error instanceof ProviderError && error.code === 'ValidationError' && /not found/i.test(error.message)) return;
    throw error;
  }
}

export async function pointGroupAt(
  client: AutoScalingClient,
  name: string,
  template: { LaunchTemplateId: string; Version: string },
): Promise<void> {
  await aws(() =>
    client.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: name, LaunchTemplate: template })),
  );
}

/** The group's launch template; groups on launch configurations or mixed-instances policies are not supported. */
export function launchTemplateOf(group: AutoScalingGroup): LaunchTemplateSpecification & { LaunchTemplateId: string } {
  const template = group.LaunchTemplate;
  if (template?.LaunchTemplateId === undefined) {
    throw new ProviderError(
      `Auto Scaling group ${group.AutoScalingGroupName} has no launch template of its own (launch configuration or mixed instances policy): instance type and image changes are not supported`,
      'Unsupported',
      false,
    );
  }
  return { ...template, LaunchTemplateId: template.LaunchTemplateId };
}
