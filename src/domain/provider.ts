/**
 * The "existing resource allocation system" behind one interface. The provider is the truth about
 * which instances exist; every mutating call carries an idempotency token and honours it the way
 * EC2 honours a ClientToken: the same token never launches (or terminates) twice.
 */

import type { AppConfig } from './app-config.js';

export type InstanceState = 'pending' | 'running' | 'draining' | 'terminated';

export interface Instance {
  id: string;
  resourceSetId: string;
  instanceType: string;
  /** Software image, e.g. "sample-service:v1". */
  image: string;
  state: InstanceState;
  /** Running and passing its health check: it serves traffic. */
  healthy: boolean;
  /** ISO 8601. */
  launchedAt: string;
  /** Where the instance's agent answers (GET /healthz, /metrics, /config). */
  agentUrl?: string;
}

export interface InstanceType {
  name: string;
  /** Relative speed: service time divides by it. */
  speed: number;
  hourlyPrice: number;
}

export interface ProvisionRequest {
  resourceSetId: string;
  count: number;
  instanceType: string;
  image: string;
  /** The configuration the app starts with, so a new instance never serves on its defaults first. */
  config?: AppConfig;
  /** Same token → the same instances returned, nothing new launched. */
  idempotencyToken: string;
}

export interface DeprovisionRequest {
  resourceSetId: string;
  instanceIds: string[];
  /** How long in-flight requests may take to finish before the instance stops. */
  drainSeconds?: number;
  idempotencyToken: string;
}

export interface ReplaceRequest {
  resourceSetId: string;
  instanceIds: string[];
  instanceType?: string;
  image?: string;
  /** The configuration the replacements start with. */
  config?: AppConfig;
  idempotencyToken: string;
}

export interface Provider {
  readonly name: string;
  instanceTypes(): Promise<InstanceType[]>;
  describeInstances(resourceSetId: string): Promise<Instance[]>;
  provision(request: ProvisionRequest): Promise<Instance[]>;
  /** Drains first; resolves once the instances are terminated. */
  deprovision(request: DeprovisionRequest): Promise<Instance[]>;
  /** Launches replacements first, then drains and terminates the old ones; resolves with the new. */
  replace(request: ReplaceRequest): Promise<Instance[]>;
  /** Throws when the provider cannot be reached. */
  health(): Promise<void>;
}

/**
 * A provider failure classified for retry: throttling, timeouts and 5xx are retryable; an invalid
 * instance type, a quota or a bad request is not (activities fail fast on those).
 */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderError';
  }
}
