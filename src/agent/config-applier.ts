import path from 'node:path';
import { HttpError } from '../infra/http-error.js';
import { appConfigSchema, sameParams, type AppConfig } from '../domain/app-config.js';
import type { Logger } from '../logger.js';
import { DeliveryError, type ConfigDelivery } from './delivery/config-delivery.js';
import { Serial } from './serial.js';
import { readJsonFile, writeFileAtomic } from './state-file.js';

export interface ApplyResult {
  appliedVersion: number;
  /** False when this version was already applied: nothing was done. */
  changed: boolean;
}

/**
 * The configuration this agent applied to its app, kept in the state dir. Applying is idempotent by
 * version; a failed apply puts the previous configuration back, and `reconcile` keeps the app on
 * the applied configuration whatever happens to it.
 */
export class ConfigApplier {
  private lastReconcileError: string | null = null;
  private readonly serial = new Serial();

  private constructor(
    private readonly file: string,
    private readonly delivery: ConfigDelivery,
    private readonly logger: Logger,
    private current: AppConfig | null,
  ) {}

  static async open(stateDir: string, delivery: ConfigDelivery, logger: Logger): Promise<ConfigApplier> {
    const file = path.join(stateDir, 'applied-config.json');
    const raw = await readJsonFile(file);
    const parsed = raw === undefined ? null : appConfigSchema.safeParse(raw);
    if (parsed && !parsed.success)
      throw new Error(`${file}: not an AppConfig (${parsed.error.message}); fix or remove it`);
    return new ConfigApplier(file, delivery, logger, parsed?.data ?? null);
  }

  /** The applied configuration; null until one is applied or adopted from the app. */
  get applied(): AppConfig | null {
    return this.current;
  }

  apply(config: AppConfig): Promise<ApplyResult> {
    return this.serial.run(async () => {
      const previous = this.current;
      if (previous?.version === config.version) {
        if (sameParams(previous.params, config.params)) return { appliedVersion: previous.version, changed: false };
        throw new HttpError(
          409,
          'version_conflict',
          `version ${config.version} is already applied with other params; a version's params never change, so send a new version`,
          { appliedVersion: previous.version },
        );
      }
      try {
        await this.delivery.deliver(config);
      } catch (err) {
        throw await this.putBack(previous, config, err as Error);
      }
      try {
        await writeFileAtomic(this.file, JSON.stringify(config));
      } catch (err) {
        // The app runs the new version but the agent could not record it: reconcile puts the recorded one back.
        throw err;
      }
      this.current = config;
      this.logger.info(
        { version: config.version, previousVersion: previous?.version ?? null, params: config.params },
        'configuration applied',
      );
      return { appliedVersion: config.version, changed: true };
    });
  }

  /** After a failed apply: re-apply the previous configuration, and say what holds now. */
  private async putBack(previous: AppConfig | null, requested: AppConfig, err: Error): Promise<HttpError> {
    let restored = false;
    if (previous)
      restored = await this.delivery.deliver(previous).then(
        () => true,
        () => false,
      );
    const refused = err instanceof DeliveryError && err.refused;
    let holds = previous ? `version ${previous.version} is still applied` : 'no version is applied';
    if (previous && !restored)
      holds += ' (the app has not confirmed it yet; it is re-applied as soon as the app answers)';
    this.logger.warn(
      { requestedVersion: requested.version, appliedVersion: previous?.version ?? null, restored, reason: err.message },
      'configuration not applied',
    );
    return new HttpError(
      refused ? 409 : 502,
      refused ? 'config_refused' : 'app_unavailable',
      `${refused ? 'the app refused' : 'the app could not apply'} version ${requested.version}: ${err.message}; ${holds}`,
      { appliedVersion: previous?.version ?? null, requestedVersion: requested.version, restored, reason: err.message },
    );
  }

  /**
   * Makes the app run the applied configuration (it restarted with its launch configuration, a
   * put-back failed, someone reloaded it by hand), or adopts the app's when none is applied yet.
   * Called periodically; quiet while the app is down.
   */
  reconcile(): Promise<void> {
    return this.serial.run(async () => {
      try {
        if (!this.current) {
          const adopted = await this.delivery.launched();
          if (!adopted) return;
          await writeFileAtomic(this.file, JSON.stringify(adopted));
          this.current = adopted;
          this.logger.info({ version: adopted.version }, 'adopted the configuration the app started with');
        } else if (!(await this.delivery.holds(this.current))) {
          await this.delivery.deliver(this.current);
          this.logger.info({ version: this.current.version }, 'configuration re-applied to the app');
        }
        this.lastReconcileError = null;
      } catch (err) {
        const message = (err as Error).message;
        // The app is often down for a while: say so once, not every time.
        if (message !== this.lastReconcileError)
          this.logger.warn({ reason: message }, 'cannot check the app runs the applied configuration');
        this.lastReconcileError = message;
      }
    });
  }
}
