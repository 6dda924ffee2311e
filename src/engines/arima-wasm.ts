import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type ArimaConstructor from 'arima';

export type Arima = typeof ArimaConstructor;

interface EmscriptenOptions {
  wasmBinary: Uint8Array;
  print(text: string): void;
  printErr(text: string): void;
}

const require = createRequire(import.meta.url);
const packageDir = dirname(require.resolve('arima'));
const ignore = (): void => {};

let arima: Promise<Arima> | undefined;

/**
 * The `arima` package (ctsa compiled by Emscripten), instantiated once per process on first use.
 * Its own entry points build the module with C's stdout on console.log, and ctsa's optimiser
 * prints there ("Program Exiting as the function returns NaN", without a newline) — into a
 * worker's JSON log. So the module is built here from the package's own files, as its async
 * entry point does (the 200 kB compile does not block), with that output dropped: a fit that
 * went wrong shows in its forecast, which arima.ts checks. Those files are not the package's
 * public entry points, so its version is pinned.
 */
export function loadArima(): Promise<Arima> {
  return (arima ??= (async () => {
    const instantiate = require(join(packageDir, 'wasm/native-async.js')) as (
      options: EmscriptenOptions,
    ) => Promise<object>;
    const bind = require(join(packageDir, 'load.js')) as (module: object) => Arima;
    const wasmBinary = await readFile(join(packageDir, 'wasm/native.wasm'));
    return bind(await instantiate({ wasmBinary, print: ignore, printErr: ignore }));
  })());
}
