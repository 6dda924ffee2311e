import type {
  DeprovisionRequest,
  Instance,
  InstanceType,
  Provider,
  ProvisionRequest,
} from '../../src/domain/provider.js';

/**
 * A provider that answers at once from memory, so a benchmark measures the orchestrator alone.
 * Honours idempotency tokens like the real ones.
 */
export class InstantProvider implements Provider {
  readonly name = 'instant';
  private readonly fleets = new Map<string, Instance[]>();
  private readonly tokens = new Map<string, Instance[]>();
  private next = 0;

  /** The set's instances now (the benchmark's synthetic agents report for them). */
  instanceIds(resourceSetId: string): string[] {
    return (this.fleets.get(resourceSetId) ?? []).map((i) => i.id);
  }

  instanceTypes(): Promise<InstanceType[]> {
    return Promise.resolve([{ name: 'local.small', speed: 1, hourlyPrice: 0.02 }]);
  }

  describeInstances(resourceSetId: string): Promise<Instance[]> {
    return Promise.resolve(this.fleets.get(resourceSetId) ?? []);
  }

  provision(r: ProvisionRequest): Promise<Instance[]> {
    const done = this.tokens.get(r.idempotencyToken);
    if (done) return Promise.resolve(done);
    const launched = Array.from({ length: r.count }, (): Instance => ({
      id: `i-${++this.next}`,
      resourceSetId: r.resourceSetId,
      instanceType: r.instanceType,
      image: r.image,
      state: 'running',
      healthy: true,
      launchedAt: new Date().toISOString(),
    }));
    this.fleets.set(r.resourceSetId, [...(this.fleets.get(r.resourceSetId) ?? []), ...launched]);
    this.tokens.set(r.idempotencyToken, launched);
    return Promise.resolve(launched);
  }

  deprovision(r: DeprovisionRequest): Promise<Instance[]> {
    const fleet = this.fleets.get(r.resourceSetId) ?? [];
    this.fleets.set(
      r.resourceSetId,
      fleet.filter((i) => !r.instanceIds.includes(i.id)),
    );
    return Promise.resolve(
      fleet.filter((i) => r.instanceIds.includes(i.id)).map((i) => ({ ...i, state: 'terminated' as const })),
    );
  }

  replace(): Promise<Instance[]> {
    return Promise.reject(new Error('not used by this benchmark'));
  }

  health(): Promise<void> {
    return Promise.resolve();
  }
}
