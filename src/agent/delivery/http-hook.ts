import { sameParams, type AppConfig } from '../../domain/app-config.js';
import { AppError, type AppClient } from '../app-client.js';
import { DeliveryError, type ConfigDelivery } from './config-delivery.js';

export interface HttpHookSpec {
  /** A whole URL, or a path on the instance (on `port`, else the app's own). */
  url?: string;
  path?: string;
  port?: number;
}

/** The hook's address: the URL as given, or the path on the app's host and the given port. */
export function hookUrl(spec: HttpHookSpec, appUrl: string): string {
  if (spec.url !== undefined) return spec.url;
  const url = new URL(appUrl);
  if (spec.port !== undefined) url.port = String(spec.port);
  return new URL(spec.path ?? '/', url).toString();
}

const sameConfig = (a: { version: number | null; params: AppConfig['params'] }, b: AppConfig): boolean =>
  a.version === b.version && sameParams(a.params, b.params);

/**
 * PUTs `{ version, params }` with the agent token to a hook on the instance; a 2xx is success. What
 * the app runs is read from its GET /config when it serves one (`{ version, params }`): without it
 * the agent cannot see the app restart on other settings, and `holds` trusts the last delivery.
 */
export class HttpHookDelivery implements ConfigDelivery {
  constructor(
    private readonly app: AppClient,
    private readonly hook: string,
  ) {}

  async deliver(config: AppConfig): Promise<void> {
    try {
      await this.app.putConfig(this.hook, config);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      throw new DeliveryError(err.message, err.status !== null && err.status < 500);
    }
  }

  async holds(config: AppConfig): Promise<boolean> {
    const running = await this.running();
    return running === null || sameConfig(running, config);
  }

  async launched(): Promise<AppConfig | null> {
    const running = await this.running();
    return running?.version == null ? null : { version: running.version, params: running.params };
  }

  private async running(): Promise<Awaited<ReturnType<AppClient['runningConfig']>> | null> {
    try {
      return await this.app.runningConfig();
    } catch (err) {
      if (err instanceof AppError && err.status === 404) return null;
      throw err;
    }
  }
}
