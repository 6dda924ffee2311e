import type { AppConfig } from '../../domain/app-config.js';

/**
 * Why a delivery failed. `refused`: the app answered and would not take the configuration (a 4xx,
 * a reload command that exited non-zero); otherwise it could not be reached or told.
 */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly refused: boolean,
  ) {
    super(message);
  }
}

/** How this agent hands its app a configuration: one per method of the profile's `config` section. */
export interface ConfigDelivery {
  /** Makes the app run `config`, or throws (a DeliveryError when it can say why) and leaves the previous one in place. */
  deliver(config: AppConfig): Promise<void>;
  /** Whether the app demonstrably runs `config`; false sends it again. */
  holds(config: AppConfig): Promise<boolean>;
  /** The versioned configuration the app started with, when the method can tell; null otherwise. */
  launched(): Promise<AppConfig | null>;
}
