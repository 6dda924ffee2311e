import type { InstanceState } from '../../domain/provider.js';

/**
 * Auto Scaling lifecycle states (API reference, Instance.LifecycleState) folded into ours. Standby
 * and EnteringStandby count as draining: the instance is out of service and serves no traffic.
 * Warm-pool states never appear among a group's instances; anything unrecognised is treated as
 * not yet serving.
 */
export function stateOf(lifecycleState: string | undefined): InstanceState {
  const s = lifecycleState ?? '';
  if (s === 'InService') return 'running';
  if (s === 'Terminated' || s === 'Detached') return 'terminated';
  if (s.startsWith('Terminating') || s === 'Detaching' || s === 'EnteringStandby' || s === 'Standby') return 'draining';
  return 'pending';
}

/** On its way out of the group already: terminating it again would be an error, not a no-op. */
export function isLeaving(lifecycleState: string | undefined): boolean {
  const s = lifecycleState ?? '';
  return s.startsWith('Terminating') || s === 'Terminated' || s === 'Detaching' || s === 'Detached';
}

/** Auto Scaling writes "Healthy"; DescribeAutoScalingInstances writes "HEALTHY". */
export function isHealthy(lifecycleState: string | undefined, healthStatus: string | undefined): boolean {
  return stateOf(lifecycleState) === 'running' && healthStatus?.toLowerCase() === 'healthy';
}
