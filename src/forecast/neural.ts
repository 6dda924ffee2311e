import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../domain/random.js';
import { ensureTfBackend } from '../engines/tfjs-backend.js';
import {
  buildFeatures,
  featureSpecFor,
  inputWidth,
  minHistory,
  trainingOrigins,
  type NeuralFeatureSpec,
} from './neural-features.js';
import { QUANTILES, type Forecast, type QuantileName, type Series } from './types.js';

/**
 * A multi-layer perceptron over lagged windows and calendar features (see neural-features.ts)
 * with one output head per quantile and horizon step, trained with the pinball loss. The heads
 * cannot cross: the network emits the median and non-negative increments (softplus) that are
 * summed upwards, so p50 ≤ p90 ≤ p95 ≤ p99 by construction. The point forecast is the median.
 */

const QUANTILE_NAMES = Object.keys(QUANTILES) as QuantileName[];
const TAUS = QUANTILE_NAMES.map((name) => QUANTILES[name]);
const FORMAT = 'prescale-neural/1';
// Fewer training windows than this cannot teach even a small net anything about a season.
const MIN_TRAINING_ORIGINS = 48;
const MIN_BATCHES_PER_EPOCH = 16;
const MIN_BATCH_SIZE = 8;

export interface NeuralTrainingOptions {
  hiddenUnits: number[];
  /** Upper bound; training stops earlier once the validation loss stops improving. */
  epochs: number;
  /** Epochs without a better validation loss before stopping. */
  patience: number;
  batchSize: number;
  learningRate: number;
  /** Seeds the initial weights and the batch order, so a retrain on the same data is repeatable. */
  seed: number;
  /** Share of the latest training windows held out for early stopping. */
  validationFraction: number;
  /**
   * Training windows used per epoch at most, evenly spread over the history: neighbouring windows
   * of a minute-step series are nearly the same, so more only costs time.
   */
  maxWindows: number;
  /** Called after every epoch: heartbeats, cancellation (throw to stop). */
  onEpoch?: (progress: { epoch: number; loss: number; validationLoss: number }) => void | Promise<void>;
}

export const DEFAULT_NEURAL_OPTIONS: Omit<NeuralTrainingOptions, 'onEpoch'> = {
  hiddenUnits: [64, 64],
  epochs: 60,
  patience: 6,
  batchSize: 128,
  learningRate: 0.003,
  seed: 42,
  validationFraction: 0.15,
  maxWindows: 4096,
};

/** Everything besides the weights that predictions depend on; stored in model.json. */
export interface NeuralMetadata {
  format: typeof FORMAT;
  spec: NeuralFeatureSpec;
  /** The training series' mean: window levels are expressed relative to it. */
  scale: number;
  quantiles: QuantileName[];
  trainedOn: { start: number; steps: number };
  epochs: number;
  validationLoss: number;
}

/** The history or horizon asked for does not fit the model; callers fall back to another model. */
export class NeuralInputError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'NeuralInputError';
  }
}

/** Raw outputs [batch, quantiles × horizon] → ordered quantiles [batch, quantiles, horizon]. */
function stackQuantiles(raw: tf.Tensor, horizon: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [median, ...increments] = tf.split(raw.reshape([-1, TAUS.length, horizon]), TAUS.length, 1);
    const stacked = [median!];
    // Summed one by one: tfjs's cumsum gradient is wrong on any axis but the last.
    for (const increment of increments) stacked.push(stacked.at(-1)!.add(tf.softplus(increment)));
    return tf.concat(stacked, 1) as tf.Tensor3D;
  });
}

/** Mean pinball loss over quantiles, horizon steps and rows; targets are [batch, horizon]. */
function pinballLoss(raw: tf.Tensor, targets: tf.Tensor, horizon: number): tf.Scalar {
  return tf.tidy(() => {
    const error = targets.expandDims(1).sub(stackQuantiles(raw, horizon));
    const tau = tf.tensor3d(TAUS, [1, TAUS.length, 1]);
    return tf.maximum(error.mul(tau), error.mul(tau.sub(1))).mean();
  });
}

function shuffled(count: number, random: () => number): Int32Array {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** At most `max` of the items, evenly spaced, first and last included. */
function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  return Array.from({ length: max }, (_, i) => items[Math.round((i * (items.length - 1)) / (max - 1))]!);
}

export class NeuralModel {
  constructor(
    private readonly net: tf.LayersModel,
    readonly meta: NeuralMetadata,
  ) {}

  get spec(): NeuralFeatureSpec {
    return this.meta.spec;
  }

  /** Observations `predict` needs: two seasons and a little more. */
  get minHistory(): number {
    return minHistory(this.meta.spec);
  }

  /** Point (the median) and quantiles for the `horizonSteps` steps after the history. */
  predict(history: Series, horizonSteps: number): Forecast {
    const { spec, scale } = this.meta;
    if (history.stepSeconds !== spec.stepSeconds) {
      throw new NeuralInputError(
        `the model forecasts ${spec.stepSeconds}-second steps, the history has ${history.stepSeconds}-second steps`,
      );
    }
    if (!(Number.isInteger(horizonSteps) && horizonSteps >= 1 && horizonSteps <= spec.horizonSteps)) {
      throw new NeuralInputError(`the model forecasts 1..${spec.horizonSteps} steps ahead, not ${horizonSteps}`);
    }
    const n = history.values.length;
    if (n < this.minHistory)
      throw new NeuralInputError(`the model needs ${this.minHistory} steps of history, got ${n}`);
    const { x, levels } = buildFeatures(history.values, history.start, [n - 1], spec, scale, false);
    const level = levels[0]!;
    const out = tf.tidy(() => {
      const raw = this.net.predict(tf.tensor2d(x, [1, inputWidth(spec)])) as tf.Tensor;
      return stackQuantiles(raw, spec.horizonSteps).dataSync();
    });
    const quantiles = Object.fromEntries(
      QUANTILE_NAMES.map((name, q) => [
        name,
        Array.from(out.subarray(q * spec.horizonSteps, q * spec.horizonSteps + horizonSteps), (v) =>
          Math.max(0, v * level),
        ),
      ]),
    ) as Record<QuantileName, number[]>;
    return {
      model: 'neural',
      start: history.start + n * history.stepSeconds,
      stepSeconds: history.stepSeconds,
      point: quantiles.p50,
      quantiles,
    };
  }

  /** Writes model.json (topology, metadata) and the weights through any tfjs IO handler. */
  async save(handler: tf.io.IOHandler): Promise<void> {
    this.net.setUserDefinedMetadata({ prescale: this.meta as unknown as Record<string, unknown> });
    await this.net.save(handler);
  }

  static async load(handler: tf.io.IOHandler): Promise<NeuralModel> {
    await ensureTfBackend();
    const net = await tf.loadLayersModel(handler);
    const meta = (net.getUserDefinedMetadata() as { prescale?: NeuralMetadata } | undefined)?.prescale;
    if (meta?.format !== FORMAT) {
      net.dispose();
      throw new Error(`not a ${FORMAT} model (metadata format ${String(meta?.format)})`);
    }
    return new NeuralModel(net, meta);
  }

  dispose(): void {
    this.net.dispose();
  }
}

/**
 * Trains a model on the whole history (hold a tail out yourself to backtest it). Windows are
 * visited in a seeded order and the latest `validationFraction` of them decides when to stop;
 * the weights of the best validation epoch are kept.
 */
export async function trainNeural(
  history: Series,
  options: { seasonSteps: number; horizonSteps: number } & Partial<NeuralTrainingOptions>,
): Promise<NeuralModel> {
  const o = { ...DEFAULT_NEURAL_OPTIONS, ...options };
  await ensureTfBackend();
  let spec: NeuralFeatureSpec;
  try {
    spec = featureSpecFor({
      stepSeconds: history.stepSeconds,
      seasonSteps: o.seasonSteps,
      horizonSteps: o.horizonSteps,
    });
  } catch (err) {
    throw new NeuralInputError((err as Error).message);
  }
  const origins = trainingOrigins(history.values.length, spec);
  const validationCount = Math.max(1, Math.floor(origins.length * o.validationFraction));
  // Windows whose targets reach into the validation period would leak it into training.
  const fitOrigins = spread(
    origins.slice(0, Math.max(0, origins.length - validationCount - spec.horizonSteps)),
    o.maxWindows,
  );
  if (fitOrigins.length < MIN_TRAINING_ORIGINS) {
    throw new NeuralInputError(
      `${history.values.length} steps give ${fitOrigins.length} training windows; at least ${MIN_TRAINING_ORIGINS} are needed (two seasons of ${spec.seasonSteps} steps, the horizon and some more)`,
    );
  }
  const mean = history.values.reduce((a, b) => a + b, 0) / history.values.length;
  const scale = mean > 0 ? mean : 1;
  const width = inputWidth(spec);
  const h = spec.horizonSteps;
  const toTensors = (rows: number[]): [tf.Tensor2D, tf.Tensor2D] => {
    const f = buildFeatures(history.values, history.start, rows, spec, scale, true);
    return [tf.tensor2d(f.x, [f.rows, width]), tf.tensor2d(f.y, [f.rows, h])];
  };
  const [x, y] = toTensors(fitOrigins);
  const [xv, yv] = toTensors(spread(origins.slice(-validationCount), Math.ceil(o.maxWindows * o.validationFraction)));

  const net = tf.sequential();
  o.hiddenUnits.forEach((units, i) =>
    net.add(
      tf.layers.dense({
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + i }),
        ...(i === 0 ? { inputShape: [width] } : {}),
      }),
    ),
  );
  net.add(
    tf.layers.dense({
      units: TAUS.length * h,
      kernelInitializer: tf.initializers.glorotUniform({ seed: o.seed + o.hiddenUnits.length }),
      ...(o.hiddenUnits.length === 0 ? { inputShape: [width] } : {}),
    }),
  );

  // Small histories still get enough gradient steps per epoch to learn in a few epochs.
  const batchSize = Math.min(
    o.batchSize,
    Math.max(MIN_BATCH_SIZE, Math.ceil(fitOrigins.length / MIN_BATCHES_PER_EPOCH)),
  );
  const optimizer = tf.train.adam(o.learningRate);
  const variables = net.trainableWeights.map((w) => w.read() as tf.Variable);
  const random = seededRandom(o.seed);
  let best = { loss: Infinity, epoch: 0, weights: [] as tf.Tensor[] };
  try {
    for (let epoch = 1, stale = 0; epoch <= o.epochs && stale < o.patience; epoch++) {
      const order = shuffled(fitOrigins.length, random);
      let lossSum = 0;
      let batches = 0;
      for (let b = 0; b < order.length; b += batchSize) {
        const idx = tf.tensor1d(order.subarray(b, b + batchSize), 'int32');
        const cost = optimizer.minimize(
          () => pinballLoss(net.apply(tf.gather(x, idx), { training: true }) as tf.Tensor, tf.gather(y, idx), h),
          true,
          variables,
        );
        lossSum += cost!.dataSync()[0]!;
        batches++;
        tf.dispose([idx, cost!]);
        // Each batch runs synchronously: yielding between them keeps a worker's other activities
        // (the control loops' forecasts) and its heartbeats moving while a model trains.
        await nextTick();
      }
      const validationLoss = tf.tidy(() => pinballLoss(net.predict(xv) as tf.Tensor, yv, h).dataSync()[0]!);
      if (validationLoss < best.loss) {
        tf.dispose(best.weights);
        best = { loss: validationLoss, epoch, weights: net.getWeights().map((w) => w.clone()) };
        stale = 0;
      } else {
        stale++;
      }
      await o.onEpoch?.({ epoch, loss: lossSum / batches, validationLoss });
    }
    if (best.weights.length === 0) throw new Error('training diverged: the validation loss was never a number');
    net.setWeights(best.weights);
  } catch (err) {
    net.dispose();
    throw err;
  } finally {
    tf.dispose([x, y, xv, yv, ...best.weights]);
    optimizer.dispose();
  }
  return new NeuralModel(net, {
    format: FORMAT,
    spec,
    scale,
    quantiles: QUANTILE_NAMES,
    trainedOn: { start: history.start, steps: history.values.length },
    epochs: best.epoch,
    validationLoss: best.loss,
  });
}
