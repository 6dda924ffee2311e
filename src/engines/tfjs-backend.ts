import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

/** TensorFlow.js backends in order of preference: native libtensorflow, WASM, pure JS. */
export type TfBackend = 'tensorflow' | 'wasm' | 'cpu';

// A variable specifier keeps TypeScript (and bundlers) from requiring the optional package.
const TFJS_NODE = '@tensorflow/tfjs-node';

let wasmPathsSet = false;

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;
type ProcessEvent = (typeof PROCESS_EVENTS)[number];

/**
 * The WASM backend's Emscripten runtime adds process-wide handlers that rethrow every uncaught
 * error — printing its whole minified source with it — and overrides the host's own handling.
 * The host (worker, test runner) decides what a crash does, so they are removed again.
 */
async function withoutNewProcessHandlers<T>(init: () => Promise<T>): Promise<T> {
  type Listener = (...args: unknown[]) => void;
  const listeners = (event: ProcessEvent): Listener[] => process.listeners(event as 'uncaughtException') as Listener[];
  const before = new Map(PROCESS_EVENTS.map((event) => [event, new Set(listeners(event))]));
  try {
    return await init();
  } finally {
    for (const event of PROCESS_EVENTS) {
      for (const listener of listeners(event)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
  }
}

async function tryBackend(name: TfBackend): Promise<boolean> {
  try {
    if (name === 'tensorflow') {
      // Importing it registers the backend on the shared engine; it fails where libtensorflow is missing.
      await import(TFJS_NODE);
    } else if (name === 'wasm' && !wasmPathsSet) {
      // In Node the .wasm files are read from disk, so the path must be a directory, with its slash.
      const dist = path.join(
        path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')),
        'dist',
      );
      setWasmPaths(`${dist}${path.sep}`);
      wasmPathsSet = true;
    }
    return await withoutNewProcessHandlers(() => tf.setBackend(name));
  } catch {
    return false;
  }
}

let chosen: Promise<TfBackend> | undefined;

/**
 * Selects the fastest backend available, once per process: tfjs-node when it is installed (an
 * optional accelerator), else WASM (≈ 2.4× faster than pure JS for dense nets), else CPU.
 */
export function ensureTfBackend(): Promise<TfBackend> {
  chosen ??= (async () => {
    for (const name of ['tensorflow', 'wasm', 'cpu'] as const) if (await tryBackend(name)) return name;
    throw new Error('no TensorFlow.js backend could be initialised');
  })();
  return chosen;
}

/** Switches to a named backend (benchmarks compare them); throws when it cannot run here. */
export async function useTfBackend(name: TfBackend): Promise<void> {
  if (!(await tryBackend(name))) throw new Error(`TensorFlow.js backend "${name}" is not available here`);
  await tf.ready();
  chosen = Promise.resolve(name);
}
