import { readFile, rm } from 'node:fs/promises';
import type { AppConfig } from '../../domain/app-config.js';
import { writeFileAtomic } from '../state-file.js';
import type { ConfigDelivery } from './config-delivery.js';
import { renderConfigFile, type ConfigFileFormat } from './config-formats.js';
import { triggerReload, type ReloadSpec } from './reload-trigger.js';

export interface ConfigFileSpec {
  path: string;
  format: ConfigFileFormat;
  /** Absent: the app watches the file itself. */
  reload?: ReloadSpec;
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Writes the parameters to the app's configuration file, atomically, then tells the app to reload.
 * A failed reload puts the file's previous content back, so a restart of the app never picks up a
 * configuration it refused. The file carries no version: the app cannot say which one it runs.
 */
export class ConfigFileDelivery implements ConfigDelivery {
  constructor(private readonly spec: ConfigFileSpec) {}

  async deliver(config: AppConfig): Promise<void> {
    const previous = await readIfExists(this.spec.path);
    await writeFileAtomic(this.spec.path, renderConfigFile(config.params, this.spec.format), { durable: true });
    if (!this.spec.reload) return;
    try {
      await triggerReload(this.spec.reload, this.spec.path);
    } catch (err) {
      if (previous === null) await rm(this.spec.path, { force: true });
      else await writeFileAtomic(this.spec.path, previous, { durable: true });
      throw err;
    }
  }

  /** The file is what the app reads on a (re)start, so the file holding the configuration is enough. */
  async holds(config: AppConfig): Promise<boolean> {
    return (await readIfExists(this.spec.path)) === renderConfigFile(config.params, this.spec.format);
  }

  launched(): Promise<null> {
    return Promise.resolve(null);
  }
}
