import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { HttpError } from '../../infra/http-error.js';
import { agentToken } from '../../domain/agent-token.js';
import type { AppConfig } from '../../domain/app-config.js';
import type { Logger } from '../../logger.js';
import { capacityProblem, DEFAULT_APP_CONFIG, sampleParamsSchema } from '../../sample-service/app-params.js';
import { versionOfImage } from '../../sample-service/versions.js';
import type { Instance } from '../../domain/provider.js';
import { findInstanceType, LOCAL_INSTANCE_TYPES } from './instance-types.js';
import {
  freeLoopbackPort,
  isInstanceProcess,
  isPortFree,
  spawnInstance,
  stopInstanceProcesses,
} from './instance-processes.js';
import { StateFile, type CloudState, type InstanceRecord } from './state-file.js';

/** Terminated instances stay visible to describe for an hour, as on EC2. */
const TERMINATED_VISIBLE_MS = 60 * 60_000;
/** EC2 honours a client token for at least 24 h after its instances terminated; so do we. */
const TERMINATED_RETAINED_MS = 24 * 60 * 60_000;
/** One missed probe is noise on a busy machine; two take the instance out of the load balancer. */
const UNHEALTHY_AFTER_FAILURES = 2;
const PROBE_TIMEOUT_MS = 2_000;
const STOP_GRACE_MS = 10_000;

export interface LaunchRequest {
  resourceSetId: string;
  count: number;
  instanceType: string;
  image: string;
  clientToken: string;
  config?: AppConfig;
}

export interface TerminateRequest {
  instanceIds: string[];
  /** When given, every instance must belong to this set. */
  resourceSetId?: string;
  drainSeconds: number;
  clientToken: string;
}

export interface LocalCloudOptions {
  stateDir: string;
  ingestUrl: string;
  agentSecret: string;
  bootDelayMs: number;
  instanceLimit: number;
  healthIntervalMs: number;
  logger: Logger;
  /** Resolves once the load balancer has no request in flight to the instance, or after `timeoutMs`. */
  drain(instanceId: string, timeoutMs: number): Promise<void>;
}

/** A load-balancer target: a running, healthy instance's app. */
export interface Target {
  id: string;
  port: number;
}

const isLive = (r: InstanceRecord): boolean => r.state === 'pending' || r.state === 'running';

/**
 * The local cloud's control plane: instances as pairs of real processes, their lifecycle
 * (pending → running → draining → terminated), client-token idempotency and the state file that
 * lets a restarted cloud adopt what is still running.
 */
export class LocalCloud {
  private readonly file: StateFile;
  private state: CloudState = { version: 1, instances: {}, launches: {}, terminations: {} };
  /** Launches and terminations run one at a time: a token check and what it guards never interleave. */
  private mutations: Promise<unknown> = Promise.resolve();
  private readonly terminating = new Set<Promise<void>>();
  private readonly failures = new Map<string, number>();
  private healthTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(private readonly options: LocalCloudOptions) {
    this.file = new StateFile(options.stateDir);
  }

  /** Loads the state file, adopts the instances whose processes still run and restarts the others. */
  static async open(options: LocalCloudOptions): Promise<LocalCloud> {
    const cloud = new LocalCloud(options);
    cloud.state = await cloud.file.load();
    await cloud.recover();
    cloud.scheduleHealthCheck();
    return cloud;
  }

  launch(request: LaunchRequest): Promise<Instance[]> {
    return this.exclusive(async () => {
      const type = findInstanceType(request.instanceType);
      if (!type) {
        throw new HttpError(
          400,
          'InvalidInstanceType',
          `instanceType: "${request.instanceType}" is not one of ${LOCAL_INSTANCE_TYPES.map((t) => t.name).join(', ')}`,
        );
      }
      try {
        versionOfImage(request.image);
      } catch (err) {
        throw new HttpError(400, 'InvalidImage', `image: ${(err as Error).message}`);
      }
      const config = request.config ?? DEFAULT_APP_CONFIG;
      // The app refuses a configuration too big for the type; say so now, not by never booting.
      // Its instances run the sample service, so its parameters are the sample service's.
      const sampleParams = sampleParamsSchema.safeParse(config.params);
      if (!sampleParams.success)
        throw new HttpError(
          400,
          'InvalidParameterValue',
          `config.params: ${sampleParams.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ')}`,
        );
      const problem = capacityProblem(sampleParams.data, type.speed);
      if (problem) throw new HttpError(400, 'InvalidParameterValue', `config.${problem}`);
      const params = JSON.stringify([
        request.resourceSetId,
        request.count,
        request.instanceType,
        request.image,
        config,
      ]);
      const previous = this.state.launches[request.clientToken];
      if (previous) {
        if (previous.params !== params) throw mismatch(request.clientToken);
        await this.save();
        return this.view(previous.instanceIds);
      }
      const live = Object.values(this.state.instances).filter((r) => r.state !== 'terminated').length;
      if (live + request.count > this.options.instanceLimit) {
        throw new HttpError(
          400,
          'InstanceLimitExceeded',
          `count: ${request.count} more instances would exceed this cloud's limit of ${this.options.instanceLimit} (${live} in use)`,
        );
      }
      const now = Date.now();
      const usedPorts = this.usedPorts();
      const records: InstanceRecord[] = [];
      for (let i = 0; i < request.count; i++) {
        records.push({
          id: `i-${randomBytes(8).toString('hex')}`,
          resourceSetId: request.resourceSetId,
          instanceType: type.name,
          image: request.image,
          config,
          state: 'pending',
          healthy: false,
          launchedAt: new Date(now).toISOString(),
          bootUntil: now + this.options.bootDelayMs,
          app: { port: await allocatePort(usedPorts) },
          agent: { port: await allocatePort(usedPorts) },
        });
      }
      for (const record of records) this.state.instances[record.id] = record;
      this.state.launches[request.clientToken] = { params, instanceIds: records.map((r) => r.id) };
      // Recorded before any process starts, so a crash in between is repaired by the next start.
      await this.save();
      for (const record of records) await this.start(record);
      await this.save();
      this.options.logger.info(
        { resourceSetId: request.resourceSetId, instanceIds: records.map((r) => r.id), instanceType: type.name },
        'launched',
      );
      return this.view(records.map((r) => r.id));
    });
  }

  /** Marks the instances draining and acknowledges; draining and stopping continue in the background. */
  terminate(request: TerminateRequest): Promise<Instance[]> {
    return this.exclusive(async () => {
      const ids = [...new Set(request.instanceIds)];
      const params = JSON.stringify([[...ids].sort(), request.resourceSetId ?? null, request.drainSeconds]);
      const previous = this.state.terminations[request.clientToken];
      if (previous) {
        if (previous.params !== params) throw mismatch(request.clientToken);
        await this.save();
        return this.view(previous.instanceIds);
      }
      const missing = ids.filter((id) => {
        const record = this.state.instances[id];
        return !record || (request.resourceSetId !== undefined && record.resourceSetId !== request.resourceSetId);
      });
      if (missing.length) {
        throw new HttpError(
          400,
          'InvalidInstanceID.NotFound',
          `instanceIds: ${missing.join(', ')} ${missing.length === 1 ? 'does' : 'do'} not exist${request.resourceSetId ? ` in resource set "${request.resourceSetId}"` : ''}`,
        );
      }
      const stopping = ids.map((id) => this.state.instances[id]!).filter(isLive);
      for (const record of stopping) {
        record.state = 'draining';
        record.healthy = false;
      }
      this.state.terminations[request.clientToken] = { params, instanceIds: ids };
      await this.save();
      for (const record of stopping) this.track(this.finishTermination(record, request.drainSeconds * 1000));
      this.options.logger.info(
        { instanceIds: stopping.map((r) => r.id), drainSeconds: request.drainSeconds },
        'terminating',
      );
      return this.view(ids);
    });
  }

  /** Every instance of the set (or of the cloud) except those terminated more than an hour ago. */
  describe(resourceSetId?: string): Instance[] {
    const visibleSince = Date.now() - TERMINATED_VISIBLE_MS;
    return Object.values(this.state.instances)
      .filter((r) => resourceSetId === undefined || r.resourceSetId === resourceSetId)
      .filter((r) => r.state !== 'terminated' || Date.parse(r.terminatedAt!) > visibleSince)
      .sort((a, b) => a.launchedAt.localeCompare(b.launchedAt) || a.id.localeCompare(b.id))
      .map(toInstance);
  }

  /** The instances of a set that may receive new requests. */
  targets(resourceSetId: string): Target[] {
    return Object.values(this.state.instances)
      .filter((r) => r.resourceSetId === resourceSetId && r.state === 'running' && r.healthy)
      .map((r) => ({ id: r.id, port: r.app.port }));
  }

  /**
   * Stops health checks and waits for terminations under way. With `stopInstances` it also stops
   * every instance's processes; their records stay, so the next start boots them again, like a
   * host coming back from a power cut.
   */
  async close(options: { stopInstances: boolean }): Promise<void> {
    this.closed = true;
    clearTimeout(this.healthTimer);
    await this.mutations.catch(() => undefined);
    await Promise.all(this.terminating);
    if (options.stopInstances) {
      await Promise.all(
        Object.values(this.state.instances)
          .filter(isLive)
          .map((r) => stopInstanceProcesses(processesOf(r), STOP_GRACE_MS)),
      );
    }
    await this.save();
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.mutations.then(fn);
    this.mutations = result.catch(() => undefined);
    return result;
  }

  private save(): Promise<void> {
    return this.file.save(this.state);
  }

  private view(ids: string[]): Instance[] {
    return ids.flatMap((id) => {
      const record = this.state.instances[id];
      return record ? [toInstance(record)] : [];
    });
  }

  private usedPorts(): Set<number> {
    return new Set(
      Object.values(this.state.instances)
        .filter((r) => r.state !== 'terminated')
        .flatMap((r) => [r.app.port, r.agent.port]),
    );
  }

  private async start(record: InstanceRecord): Promise<void> {
    const pids = await spawnInstance({
      id: record.id,
      resourceSetId: record.resourceSetId,
      speed: findInstanceType(record.instanceType)!.speed,
      image: record.image,
      config: record.config,
      appPort: record.app.port,
      agentPort: record.agent.port,
      dir: this.instanceDir(record.id),
      ingestUrl: this.options.ingestUrl,
      agentToken: agentToken(this.options.agentSecret, record.id),
    });
    record.app.pid = pids.appPid;
    record.agent.pid = pids.agentPid;
  }

  private instanceDir(id: string): string {
    return path.join(this.options.stateDir, 'instances', id);
  }

  /**
   * Brings the recorded world back: an instance whose two processes still run is adopted as is;
   * one with a process missing is started again (same id, same ports when free) after killing what
   * is left of it; a drain the previous run left unfinished is finished (its connections died with
   * the previous load balancer).
   */
  private async recover(): Promise<void> {
    const records = Object.values(this.state.instances).filter((r) => r.state !== 'terminated');
    const usedPorts = this.usedPorts();
    for (const record of records) {
      const procs = processesOf(record);
      if (record.state === 'draining') {
        await stopInstanceProcesses(procs, STOP_GRACE_MS);
        markTerminated(record);
        continue;
      }
      const alive = await Promise.all(procs.map((p) => isInstanceProcess(p.pid, p.kind, p.port)));
      if (alive.every(Boolean)) {
        this.options.logger.info({ instanceId: record.id, state: record.state }, 'adopted');
        continue;
      }
      await stopInstanceProcesses(procs, STOP_GRACE_MS);
      for (const proc of [record.app, record.agent]) {
        if (!(await isPortFree(proc.port))) proc.port = await allocatePort(usedPorts);
      }
      record.state = 'pending';
      record.healthy = false;
      record.bootUntil = Date.now() + this.options.bootDelayMs;
      await this.start(record);
      this.options.logger.info({ instanceId: record.id }, 'restarted: its processes had stopped');
    }
    this.prune();
    await this.save();
  }

  private async finishTermination(record: InstanceRecord, drainMs: number): Promise<void> {
    await this.options.drain(record.id, drainMs);
    await stopInstanceProcesses(processesOf(record), STOP_GRACE_MS);
    markTerminated(record);
    this.failures.delete(record.id);
    await this.save();
    this.options.logger.info({ instanceId: record.id }, 'terminated');
  }

  private track(work: Promise<void>): void {
    const tracked = work
      .catch((err: unknown) => this.options.logger.error({ err }, 'termination failed'))
      .finally(() => this.terminating.delete(tracked));
    this.terminating.add(tracked);
  }

  private scheduleHealthCheck(): void {
    this.healthTimer = setTimeout(() => {
      void this.checkHealth()
        .catch((err: unknown) => this.options.logger.error({ err }, 'health check failed'))
        .finally(() => {
          if (!this.closed) this.scheduleHealthCheck();
        });
    }, this.options.healthIntervalMs);
  }

  /** Pending instances past their boot delay become running on their first good probe. */
  private async checkHealth(): Promise<void> {
    const now = Date.now();
    const due = Object.values(this.state.instances).filter(
      (r) => r.state === 'running' || (r.state === 'pending' && now >= r.bootUntil),
    );
    let changed = false;
    await Promise.all(
      due.map(async (record) => {
        const ok = await probe(record);
        // The record may have started draining while the probe was out.
        if (record.state === 'pending' && ok) {
          record.state = 'running';
          record.healthy = true;
          changed = true;
          this.options.logger.info({ instanceId: record.id }, 'running');
        } else if (record.state === 'running' && ok) {
          this.failures.delete(record.id);
          if (!record.healthy) changed = true;
          record.healthy = true;
        } else if (record.state === 'running') {
          const failures = (this.failures.get(record.id) ?? 0) + 1;
          this.failures.set(record.id, failures);
          if (failures >= UNHEALTHY_AFTER_FAILURES && record.healthy) {
            record.healthy = false;
            changed = true;
            this.options.logger.warn({ instanceId: record.id }, 'unhealthy');
          }
        }
      }),
    );
    if (this.prune() || changed) await this.save();
  }

  /** Forgets instances terminated long ago, and the tokens that only named them. */
  private prune(): boolean {
    const forgetBefore = Date.now() - TERMINATED_RETAINED_MS;
    const forgotten = Object.values(this.state.instances).filter(
      (r) => r.state === 'terminated' && Date.parse(r.terminatedAt!) < forgetBefore,
    );
    for (const record of forgotten) {
      delete this.state.instances[record.id];
      void rm(this.instanceDir(record.id), { recursive: true, force: true });
    }
    for (const tokens of [this.state.launches, this.state.terminations]) {
      for (const [token, used] of Object.entries(tokens)) {
        if (!used.instanceIds.some((id) => id in this.state.instances)) delete tokens[token];
      }
    }
    return forgotten.length > 0;
  }
}

function mismatch(token: string): HttpError {
  return new HttpError(
    409,
    'IdempotentParameterMismatch',
    `clientToken: "${token}" was already used with different parameters`,
  );
}

function markTerminated(record: InstanceRecord): void {
  record.state = 'terminated';
  record.healthy = false;
  record.terminatedAt = new Date().toISOString();
}

function processesOf(record: InstanceRecord) {
  return [
    { pid: record.app.pid, kind: 'app' as const, port: record.app.port },
    { pid: record.agent.pid, kind: 'agent' as const, port: record.agent.port },
  ];
}

async function allocatePort(used: Set<number>): Promise<number> {
  for (;;) {
    const port = await freeLoopbackPort();
    if (!used.has(port)) {
      used.add(port);
      return port;
    }
  }
}

/** Healthy: the app process is still ours and the agent answers /healthz with 200. */
async function probe(record: InstanceRecord): Promise<boolean> {
  if (!(await isInstanceProcess(record.app.pid, 'app', record.app.port))) return false;
  const response = await fetch(`http://127.0.0.1:${record.agent.port}/healthz`, {
    signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
  }).catch(() => undefined);
  await response?.body?.cancel();
  return response?.status === 200;
}

function toInstance(record: InstanceRecord): Instance {
  return {
    id: record.id,
    resourceSetId: record.resourceSetId,
    instanceType: record.instanceType,
    image: record.image,
    state: record.state,
    healthy: record.healthy,
    launchedAt: record.launchedAt,
    agentUrl: `http://127.0.0.1:${record.agent.port}`,
  };
}
