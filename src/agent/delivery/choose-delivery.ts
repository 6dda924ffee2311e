import type { z } from 'zod';
import type { configDeliverySchema } from '../../domain/app-profile.js';
import type { AppClient } from '../app-client.js';
import { DeliveryError, type ConfigDelivery } from './config-delivery.js';
import { ConfigFileDelivery } from './config-file.js';
import { HttpHookDelivery, hookUrl } from './http-hook.js';

export type DeliverySpec = z.output<typeof configDeliverySchema>;

/**
 * Under `restart` the instance is launched with its configuration and replaced for a new one: that is
 * the control loop's to do through the provider, so the agent refuses every change and says why.
 */
const restartOnly: ConfigDelivery = {
  deliver: () =>
    Promise.reject(
      new DeliveryError(
        'this app takes a new configuration only on a restart (its profile\'s config.method is "restart"): replace the instance',
        true,
      ),
    ),
  holds: () => Promise.resolve(true),
  launched: () => Promise.resolve(null),
};

/** The delivery for the profile's method. */
export function chooseDelivery(spec: DeliverySpec, app: AppClient, appUrl: string): ConfigDelivery {
  switch (spec.method) {
    case 'http':
      return new HttpHookDelivery(app, hookUrl(spec, appUrl));
    case 'file':
      return new ConfigFileDelivery(spec);
    case 'restart':
      return restartOnly;
  }
}
