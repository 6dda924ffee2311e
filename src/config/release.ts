// Pure and deterministic: the resource-set and rollout workflows import it.
import type { AppConfig } from '../domain/app-config.js';
// The boot release is still the sample service's defaults (the agent's item of issue 13 starts instances on the set's profile).
import { DEFAULT_APP_CONFIG } from '../sample-service/app-params.js';
import type { TemplateBody } from './template.js';

/** A template version resolved to what an instance runs. */
export interface Release {
  /** Null for the boot release: what instances run before any template was applied. */
  template: string | null;
  version: number | null;
  /** The configuration version the agent applies (idempotent by it); unique across templates. */
  revision: number;
  instanceType: string;
  image: string;
  params: AppConfig['params'];
}

export const BOOT_IMAGE = 'sample-service:v1';

/** What every instance of a set runs until a template is applied to it. */
export function bootRelease(instanceType: string): Release {
  return {
    template: null,
    version: null,
    revision: DEFAULT_APP_CONFIG.version,
    instanceType,
    image: BOOT_IMAGE,
    params: DEFAULT_APP_CONFIG.params,
  };
}

/** `image`: what the body's software version is under its profile (templateImage). */
export function releaseOf(
  template: string,
  version: number,
  revision: number,
  body: TemplateBody,
  image: string,
): Release {
  return { template, version, revision, instanceType: body.instanceType, image, params: body.params };
}

/** Revisions are unique, so equal revisions are the same release. */
export const sameRelease = (a: Release, b: Release): boolean => a.revision === b.revision;

export function describeRelease(r: Release): string {
  return r.template === null
    ? `the boot configuration (${r.image})`
    : `${r.template} v${r.version} (${r.image}, ${r.instanceType})`;
}

export function appConfigOf(r: Release): AppConfig {
  return { version: r.revision, params: r.params };
}

/** What an instance is observed to run. */
export interface RunningInstance {
  id: string;
  instanceType: string;
  image: string;
  /** The agent's applied configuration version; null when the agent did not say. */
  configVersion: number | null;
}

export function runsRelease(i: RunningInstance, r: Release): boolean {
  return i.image === r.image && i.instanceType === r.instanceType && i.configVersion === r.revision;
}

/** An instance type or software change replaces the instance; parameters apply in place. */
export function needsReplacement(i: Pick<RunningInstance, 'image' | 'instanceType'>, r: Release): boolean {
  return i.image !== r.image || i.instanceType !== r.instanceType;
}
