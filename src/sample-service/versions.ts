/**
 * The sample service's software versions ("images"): what each changes relative to v1, so rollouts,
 * canary judging and rollback have real regressions to catch.
 */
export interface SoftwareVersion {
  readonly tag: string;
  readonly description: string;
  /** Multiplies every request's service time. */
  readonly serviceTimeFactor: number;
  /** Share of served requests that answer 500. */
  readonly errorRate: number;
}

const CATALOGUE: readonly SoftwareVersion[] = [
  { tag: 'v1', description: 'baseline', serviceTimeFactor: 1, errorRate: 0 },
  { tag: 'v2', description: 'harmless change: 5% faster', serviceTimeFactor: 0.95, errorRate: 0 },
  { tag: 'v3', description: 'latency regression: +30% service time', serviceTimeFactor: 1.3, errorRate: 0 },
  { tag: 'v4', description: 'error regression: 5% of requests answer 500', serviceTimeFactor: 1, errorRate: 0.05 },
];

export const IMAGE_REPOSITORY = 'sample-service';

/** "sample-service:v3" → v3; anything else throws, naming what is known. */
export function versionOfImage(image: string): SoftwareVersion {
  const [repository, tag] = image.split(':');
  const version = CATALOGUE.find((v) => v.tag === tag);
  if (repository !== IMAGE_REPOSITORY || !version) {
    const known = CATALOGUE.map((v) => `${IMAGE_REPOSITORY}:${v.tag}`).join(', ');
    throw new Error(`unknown image "${image}": this sample service runs ${known}`);
  }
  return version;
}
