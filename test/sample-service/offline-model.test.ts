import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cacheCapacity, hourlyCost, MEMORY_PRICE_SHARE } from '../../src/sample-service/memory-cost.js';
import { lruHitRate } from '../../src/sample-service/lru-hit-rate.js';
import {
  exhaustiveBest,
  sampleCapacity,
  sampleHourlyCost,
  sampleServiceQueue,
  sampleServiceSpace,
  sampleValue,
  slowdown,
} from '../../src/sample-service/offline-model.js';
import { seededRandom } from '../../src/domain/random.js';
import { LOCAL_INSTANCE_TYPES } from '../../src/providers/local/instance-types.js';
import { LruCache } from '../../src/sample-service/lru-cache.js';
import { HIT_MS, KEY_SPACE, MISS_MS, zipfKey } from '../../src/sample-service/workload.js';

const [small, medium] = LOCAL_INSTANCE_TYPES;
const SLO = { quantileMs: 250, quantile: 0.95, errorRate: 0.01 };
const GOOD = { poolSize: 32, cacheSize: KEY_SPACE, queueLimit: 512 };

describe('sample service model', () => {
  for (const size of [1000, 10_000]) {
    it(`predicts the hit rate of the service's own LRU cache under its own keys (${size} entries)`, () => {
      const random = seededRandom(size);
      const cache = new LruCache(size);
      let [hits, lookups] = [0, 0];
      for (let i = 0; i < 400_000; i++) {
        const key = zipfKey(random);
        const hit = cache.lookup(key);
        if (!hit) cache.add(key);
        if (i >= 100_000) {
          lookups++;
          if (hit) hits++;
        }
      }
      assert.ok(
        Math.abs(lruHitRate(size) - hits / lookups) < 0.01,
        `model ${lruHitRate(size)} vs simulated ${hits / lookups}`,
      );
    });
  }

  it("serves hits and misses at the sample service's times, divided by speed", () => {
    const queue = sampleServiceQueue(medium!, { poolSize: 2, cacheSize: 0, queueLimit: 1 });
    assert.deepEqual(
      queue.service.map((s) => s.meanMs),
      [HIT_MS / 2, MISS_MS / 2],
    );
    assert.equal(queue.service[0]!.weight, 0);
    assert.equal(slowdown(2, 2), 1, 'one worker per unit of speed contends with nobody');
    assert.ok(slowdown(64, 1) > 2 * slowdown(32, 1));
  });

  it('has an interior optimum in pool size: too few workers queue, too many contend', () => {
    const value = (poolSize: number) => sampleValue(small!, { ...GOOD, poolSize }, SLO);
    assert.ok(value(32) > 1.5 * value(8), `${value(32)} vs ${value(8)}`);
    assert.ok(value(32) > 1.5 * value(128), `${value(32)} vs ${value(128)}`);
    assert.equal(value(512), 0, 'so slow that no load meets the SLO');
  });

  it('charges cache entries for memory, so a cache pays only while it raises the hit rate', () => {
    const value = (cacheSize: number) => sampleValue(small!, { ...GOOD, cacheSize }, SLO);
    assert.ok(value(KEY_SPACE) > 2 * value(1000));
    assert.equal(value(2 * KEY_SPACE), value(KEY_SPACE), 'beyond the key space nothing more is held or hit');
    assert.ok(
      Math.abs(sampleHourlyCost(small!, { ...GOOD, cacheSize: 0 }) - small!.hourlyPrice * (1 - MEMORY_PRICE_SHARE)) <
        1e-12,
    );
    assert.equal(hourlyCost(small!, cacheCapacity(small!)), small!.hourlyPrice);
  });

  it('gives no capacity to a cache the instance cannot hold, and bounds the space by memory', () => {
    assert.equal(sampleCapacity(small!, { ...GOOD, cacheSize: cacheCapacity(small!) + 1 }, SLO), 0);
    assert.ok(sampleCapacity(medium!, { ...GOOD, cacheSize: cacheCapacity(small!) + 1 }, SLO) > 0);
    const space = sampleServiceSpace(small!);
    assert.deepEqual(
      space.parameters.map((p) => [p.name, p.min, p.max]),
      [
        ['poolSize', 1, 512],
        ['cacheSize', 0, cacheCapacity(small!)],
        ['queueLimit', 0, 100_000],
      ],
    );
  });

  it('finds the best of a grid by brute force, inside the pool range', () => {
    const { best, evaluated } = exhaustiveBest(small!, SLO, 6);
    assert.equal(evaluated, 6 ** 3);
    assert.ok(best.params.poolSize > 1 && best.params.poolSize < 512, JSON.stringify(best));
    assert.ok(best.value >= sampleValue(small!, { poolSize: 2, cacheSize: 100, queueLimit: 32 }, SLO));
  });
});
