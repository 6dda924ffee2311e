import type { Instance as AsgInstance } from '@aws-sdk/client-auto-scaling';
import type { Instance as Ec2Instance } from '@aws-sdk/client-ec2';
import type { Instance } from '../../domain/provider.js';
import { isHealthy, stateOf } from './lifecycle.js';

function common(
  resourceSetId: string,
  id: string,
  ec2: Ec2Instance | undefined,
  agentPort: number | undefined,
  instanceType?: string,
): Omit<Instance, 'state' | 'healthy'> {
  const ip = ec2?.PrivateIpAddress;
  return {
    id,
    resourceSetId,
    instanceType: instanceType ?? ec2?.InstanceType ?? 'unknown',
    image: ec2?.ImageId ?? 'unknown',
    // Missing only for an instance launched moments ago that EC2's describe does not show yet.
    launchedAt: (ec2?.LaunchTime ?? new Date()).toISOString(),
    ...(agentPort !== undefined && ip !== undefined && { agentUrl: `http://${ip}:${agentPort}` }),
  };
}

/** A member of the group: Auto Scaling owns its state and health, EC2 supplies the details. */
export function memberInstance(
  resourceSetId: string,
  member: AsgInstance & { InstanceId: string },
  ec2: Ec2Instance | undefined,
  agentPort: number | undefined,
): Instance {
  return {
    ...common(resourceSetId, member.InstanceId, ec2, agentPort, member.InstanceType),
    state: stateOf(member.LifecycleState),
    healthy: isHealthy(member.LifecycleState, member.HealthStatus),
  };
}

/** An instance that has left the group, as EC2 still remembers it. */
export function formerInstance(resourceSetId: string, id: string, ec2: Ec2Instance): Instance {
  return { ...common(resourceSetId, id, ec2, undefined), state: 'terminated', healthy: false };
}
