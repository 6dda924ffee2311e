import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type * as MstlModule from '@bsull/augurs/mstl';
import type * as ProphetModule from '@bsull/augurs/prophet';
import type { optimizer } from '@bsull/augurs-prophet-wasmstan';

interface WasmBindgenModule {
  initSync(module: { module: Uint8Array }): unknown;
}

const resolve = createRequire(import.meta.url).resolve;

/**
 * The augurs packages are wasm-bindgen "web" builds: in Node their default initialiser tries to
 * fetch the .wasm by URL, so the bytes are read from beside the module and handed over instead.
 */
async function load<M extends WasmBindgenModule>(name: string, importer: () => Promise<M>): Promise<M> {
  const [module, bytes] = await Promise.all([
    importer(),
    readFile(resolve(`@bsull/augurs/${name}`).replace(/\.js$/, '_bg.wasm')),
  ]);
  module.initSync({ module: bytes });
  return module;
}

// Each module is instantiated once per process, on first use: a worker that never forecasts
// with Prophet never pays for its 1.8 MB of WASM.
let mstl: Promise<typeof MstlModule> | undefined;
let prophet: Promise<{ Prophet: typeof ProphetModule.Prophet; optimizer: typeof optimizer }> | undefined;

export function loadMstl(): Promise<typeof MstlModule> {
  return (mstl ??= load('mstl', () => import('@bsull/augurs/mstl')));
}

export function loadProphet(): Promise<{ Prophet: typeof ProphetModule.Prophet; optimizer: typeof optimizer }> {
  return (prophet ??= (async () => {
    const [{ Prophet }, stan] = await Promise.all([
      load('prophet', () => import('@bsull/augurs/prophet')),
      // Compiles its Stan optimiser itself, at import.
      import('@bsull/augurs-prophet-wasmstan'),
    ]);
    return { Prophet, optimizer: stan.optimizer };
  })());
}
