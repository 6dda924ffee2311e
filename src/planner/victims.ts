import type { InstanceState } from '../domain/provider.js';

interface Candidate {
  id: string;
  state: InstanceState;
  healthy: boolean;
  launchedAt: string;
}

/**
 * Which instances to remove on scale-in: those that serve nothing first (unhealthy, then still
 * booting), then the newest, so the warm, proven instances stay. Ties break by id so the choice
 * is deterministic.
 */
export function chooseVictims(instances: readonly Candidate[], count: number): string[] {
  const rank = (i: Candidate): number => (!i.healthy && i.state === 'running' ? 0 : i.state === 'pending' ? 1 : 2);
  return instances
    .filter((i) => i.state === 'running' || i.state === 'pending')
    .sort((a, b) => rank(a) - rank(b) || b.launchedAt.localeCompare(a.launchedAt) || a.id.localeCompare(b.id))
    .slice(0, Math.max(0, count))
    .map((i) => i.id);
}
