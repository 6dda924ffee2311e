import {
  ProviderError,
  type DeprovisionRequest,
  type Instance,
  type InstanceType,
  type Provider,
  type ProvisionRequest,
  type ReplaceRequest,
} from '../../domain/provider.js';

export interface LocalProviderOptions {
  /** The local cloud's API, e.g. http://127.0.0.1:4100. */
  url: string;
  /** The cloud API's bearer token (StartedLocalCloud.token, or localCloudToken(…)). */
  token: string;
  /** Per HTTP call. */
  requestTimeoutMs?: number;
  /** Between describe calls while waiting for instances to become healthy or terminated. */
  pollIntervalMs?: number;
  /** How long `deprovision` and `replace` wait for instances to settle before a retryable error. */
  settleTimeoutMs?: number;
}

/** Statuses the cloud answers when the request itself is wrong: retrying cannot help. */
const CALLER_ERRORS = new Set([400, 401, 403, 404, 409, 422]);

/**
 * The `local` provider: the embedded cloud's HTTP API. `provision` returns as soon as the cloud
 * has recorded the launch, with the instances still `pending`; callers poll `describeInstances`
 * until they are running and healthy. `deprovision` and `replace` wait for the outcome themselves.
 */
export class LocalProvider implements Provider {
  readonly name = 'local';
  private readonly url: string;
  private readonly token: string;
  private readonly requestTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly settleTimeoutMs: number;

  constructor(options: LocalProviderOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.token = options.token;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 500;
    this.settleTimeoutMs = options.settleTimeoutMs ?? 10 * 60_000;
  }

  async instanceTypes(): Promise<InstanceType[]> {
    return (await this.call<{ instanceTypes: InstanceType[] }>('GET', '/instance-types')).instanceTypes;
  }

  async describeInstances(resourceSetId: string): Promise<Instance[]> {
    return (
      await this.call<{ instances: Instance[] }>('GET', `/instances?resourceSetId=${encodeURIComponent(resourceSetId)}`)
    ).instances;
  }

  async provision(request: ProvisionRequest): Promise<Instance[]> {
    return (
      await this.call<{ instances: Instance[] }>('POST', '/instances', {
        resourceSetId: request.resourceSetId,
        count: request.count,
        instanceType: request.instanceType,
        image: request.image,
        clientToken: request.idempotencyToken,
        ...(request.config ? { config: request.config } : {}),
      })
    ).instances;
  }

  async deprovision(request: DeprovisionRequest): Promise<Instance[]> {
    const { instances } = await this.call<{ instances: Instance[] }>('POST', '/instances/terminate', {
      resourceSetId: request.resourceSetId,
      instanceIds: request.instanceIds,
      clientToken: request.idempotencyToken,
      ...(request.drainSeconds === undefined ? {} : { drainSeconds: request.drainSeconds }),
    });
    return this.waitFor(
      request.resourceSetId,
      instances.map((i) => i.id),
      (i) => i.state === 'terminated',
      'terminated',
    );
  }

  /**
   * Surge first: launches the replacements (one launch per instance type and image, with tokens
   * derived from the request's), waits until all are healthy, then deprovisions the old ones.
   */
  async replace(request: ReplaceRequest): Promise<Instance[]> {
    const current = await this.describeInstances(request.resourceSetId);
    const groups = new Map<string, { instanceType: string; image: string; count: number }>();
    for (const id of request.instanceIds) {
      const old = current.find((i) => i.id === id);
      if (!old)
        throw new ProviderError(
          `instance ${id} does not exist in resource set "${request.resourceSetId}"`,
          'InvalidInstanceID.NotFound',
          false,
        );
      const instanceType = request.instanceType ?? old.instanceType;
      const image = request.image ?? old.image;
      const key = JSON.stringify([instanceType, image]);
      groups.set(key, { instanceType, image, count: (groups.get(key)?.count ?? 0) + 1 });
    }
    const launched: Instance[] = [];
    for (const [index, group] of [...groups.values()].entries()) {
      launched.push(
        ...(await this.provision({
          resourceSetId: request.resourceSetId,
          ...group,
          config: request.config,
          idempotencyToken: `${request.idempotencyToken}/launch-${index}`,
        })),
      );
    }
    const ready = await this.waitFor(
      request.resourceSetId,
      launched.map((i) => i.id),
      (i) => i.state === 'running' && i.healthy,
      'running and healthy',
    );
    await this.deprovision({
      resourceSetId: request.resourceSetId,
      instanceIds: request.instanceIds,
      idempotencyToken: `${request.idempotencyToken}/terminate`,
    });
    return ready;
  }

  async health(): Promise<void> {
    await this.call('GET', '/healthz');
  }

  /** Polls describe until every instance satisfies `done`; fails fast when one can no longer get there. */
  private async waitFor(
    resourceSetId: string,
    ids: string[],
    done: (i: Instance) => boolean,
    what: string,
  ): Promise<Instance[]> {
    const deadline = Date.now() + this.settleTimeoutMs;
    for (;;) {
      const byId = new Map((await this.describeInstances(resourceSetId)).map((i) => [i.id, i]));
      if (
        ids.every((id) => {
          const i = byId.get(id);
          return i !== undefined && done(i);
        })
      )
        return ids.map((id) => byId.get(id)!);
      const lost = ids.find((id) => {
        const i = byId.get(id);
        return i === undefined || (i.state === 'terminated' && !done(i));
      });
      if (lost !== undefined) {
        throw new ProviderError(
          `instance ${lost} was terminated or lost while waiting for it to be ${what}`,
          'InstanceLost',
          false,
        );
      }
      if (Date.now() > deadline) {
        throw new ProviderError(`instances not ${what} within ${this.settleTimeoutMs / 1000} s`, 'Timeout', true);
      }
      await new Promise((r) => setTimeout(r, this.pollIntervalMs));
    }
  }

  private async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.url}${path}`, {
        method,
        signal: AbortSignal.timeout(this.requestTimeoutMs),
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      text = await response.text();
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new ProviderError(
        timedOut
          ? `local cloud at ${this.url} did not answer ${method} ${path} within ${this.requestTimeoutMs} ms`
          : `local cloud at ${this.url} is unreachable: ${(err as Error).message}`,
        timedOut ? 'Timeout' : 'Unavailable',
        true,
        { cause: err },
      );
    }
    if (response.ok) {
      try {
        return JSON.parse(text) as T;
      } catch (err) {
        throw new ProviderError(
          `local cloud: ${method} ${path} answered ${response.status} with a body that is not JSON`,
          'InvalidResponse',
          true,
          { cause: err },
        );
      }
    }
    let error: { code?: string; message?: string } | undefined;
    try {
      error = (JSON.parse(text) as { error?: typeof error }).error;
    } catch {
      // Not our cloud's JSON (a proxy's error page, say): the status says enough.
    }
    throw new ProviderError(
      `local cloud: ${method} ${path} → ${response.status}: ${error?.message ?? text.slice(0, 200)}`,
      error?.code ?? `HTTP${response.status}`,
      !CALLER_ERRORS.has(response.status),
    );
  }
}
