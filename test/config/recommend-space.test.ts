import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decode,
  encode,
  grid,
  randomPoint,
  sameParams,
  validateSpace,
  type SearchSpace,
} from '../../src/config/recommend/space.js';
import { seededRandom } from '../../src/domain/random.js';

const space: SearchSpace = {
  parameters: [
    { name: 'poolSize', min: 1, max: 512, integer: true, scale: 'log' },
    { name: 'cacheSize', min: 0, max: 1_000_000, integer: true, scale: 'log' },
    { name: 'ratio', min: -1, max: 1, integer: false, scale: 'linear' },
  ],
};

describe('search space', () => {
  it('round-trips integer and log-scaled values exactly', () => {
    const random = seededRandom(1);
    for (let i = 0; i < 200; i++) {
      const params = randomPoint(space, random);
      assert.ok(Number.isInteger(params.poolSize) && Number.isInteger(params.cacheSize), JSON.stringify(params));
      const back = decode(space, encode(space, params));
      assert.deepEqual(back.poolSize, params.poolSize);
      assert.deepEqual(back.cacheSize, params.cacheSize);
      assert.ok(Math.abs(Number(back.ratio) - Number(params.ratio)) < 1e-12);
      assert.ok(sameParams(space, back, params));
    }
  });

  it('spaces a log parameter by ratios, so 0 stays reachable and the middle is the geometric middle', () => {
    assert.deepEqual(decode(space, [0, 0, 0]), { poolSize: 1, cacheSize: 0, ratio: -1 });
    assert.deepEqual(decode(space, [1, 1, 1]), { poolSize: 512, cacheSize: 1_000_000, ratio: 1 });
    const middle = decode(space, [0.5, 0.5, 0.5]);
    assert.equal(middle.cacheSize, Math.round(Math.sqrt(1_000_001) - 1));
    assert.equal(middle.ratio, 0);
    // Half the unit range is 1 → ~1,000 entries: as far as 1,000 → 1,000,000.
    assert.ok(Math.abs(encode(space, { poolSize: 1, cacheSize: 1000, ratio: 0 })[1]! - 0.5) < 0.001);
  });

  it('clamps what lies outside the bounds and rejects what is missing', () => {
    assert.deepEqual(encode(space, { poolSize: 10_000, cacheSize: -5, ratio: 3 }), [1, 0, 1]);
    assert.throws(() => encode(space, { poolSize: 2, cacheSize: 3 }), /ratio: missing/);
    assert.throws(
      () => validateSpace({ parameters: [{ name: 'x', min: -1, max: 1, integer: false, scale: 'log' }] }),
      /log-scaled/,
    );
  });

  it('builds a grid with integer duplicates removed', () => {
    const small: SearchSpace = {
      parameters: [
        { name: 'a', min: 1, max: 4, integer: true, scale: 'linear' },
        { name: 'b', min: 0, max: 1, integer: false, scale: 'linear' },
      ],
    };
    const points = grid(small, 7);
    assert.equal(points.length, 4 * 7);
    assert.deepEqual([...new Set(points.map((p) => p.a))], [1, 2, 3, 4]);
  });
});
