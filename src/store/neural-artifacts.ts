import * as tf from '@tensorflow/tfjs';
import type { ObjectStore } from './objects/contract.js';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

/** Where a neural model version lives: `models/<resourceSetId>/neural/<version>/`. */
export function neuralArtifactPrefix(resourceSetId: string, version: number): string {
  return `models/${resourceSetId}/neural/${version}`;
}

export const modelJsonKey = (prefix: string): string => `${prefix}/${MODEL_JSON}`;

/**
 * A tfjs IO handler that keeps a model as `<prefix>/model.json` + `<prefix>/weights.bin` in an
 * object store (folder or S3) — the same two files tfjs's own file handlers write, so a model can
 * be copied out and loaded with `tf.loadLayersModel('file://…')` too. The weights go first: a
 * reader that finds model.json finds its weights.
 */
export function objectStoreIO(objects: ObjectStore, prefix: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('binary model topologies are not supported');
      const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? []);
      await objects.put(`${prefix}/${WEIGHTS_BIN}`, new Uint8Array(weights), {
        contentType: 'application/octet-stream',
      });
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
      };
      await objects.put(modelJsonKey(prefix), JSON.stringify(modelJson), { contentType: 'application/json' });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const modelJson = JSON.parse(
        new TextDecoder().decode(await objects.get(modelJsonKey(prefix))),
      ) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs = manifest.flatMap((group) => group.weights);
        const parts = await Promise.all(
          manifest
            .flatMap((group) => group.paths)
            .map(async (p) => {
              const bytes = await objects.get(`${prefix}/${p}`);
              return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
            }),
        );
        return [specs, tf.io.CompositeArrayBuffer.join(parts)];
      });
    },
  };
}
