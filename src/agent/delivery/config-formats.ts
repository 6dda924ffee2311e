import { stringify as stringifyYaml } from 'yaml';
import type { Params } from '../../domain/app-profile.js';

export type ConfigFileFormat = 'json' | 'yaml' | 'env';

// Strings are always double-quoted with C-style escapes, which dotenv and systemd's EnvironmentFile
// both read back as the same string; numbers and booleans stand bare.
function envValue(value: Params[string]): string {
  if (typeof value !== 'string') return String(value);
  return JSON.stringify(value).replace(/\$/g, '\\$');
}

/** A configuration file's text: the parameters as a flat map, keys in the order given. */
export function renderConfigFile(params: Params, format: ConfigFileFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(params, null, 2)}\n`;
    case 'yaml':
      return Object.keys(params).length ? stringifyYaml(params) : '{}\n';
    case 'env':
      // Parameter names are letters, digits and "_" (the profile checks it): valid variable names.
      return Object.entries(params)
        .map(([name, value]) => `${name}=${envValue(value)}\n`)
        .join('');
  }
}
