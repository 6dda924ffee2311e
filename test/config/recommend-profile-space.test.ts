import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appProfileSchema, paramsSchemaOf, type AppProfileInput } from '../../src/domain/app-profile.js';
import { seededRandom } from '../../src/domain/random.js';
import type { Observation } from '../../src/config/recommend/observation.js';
import { tuningSpaceOf } from '../../src/config/recommend/profile-space.js';
import { decode, encode, pointIn } from '../../src/config/recommend/space.js';
import { proposeNext } from '../../src/config/recommend/tuner.js';

// An app that is not the sample service: a runtime's workers, its GC target and a mode switch.
const runtime: AppProfileInput = {
  parameters: {
    workers: { type: 'integer', minimum: 1, maximum: 32, default: 4 },
    gcPercent: { type: 'number', minimum: 50, maximum: 400, default: 100, scale: 'log' },
    mode: { type: 'string', enum: ['throughput', 'latency', 'balanced'], default: 'balanced', tunable: true },
    verbose: { type: 'boolean', default: false },
    region: { type: 'string', enum: ['eu', 'us'], default: 'eu' },
    maxBody: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1000, tunable: false },
    logLevel: { type: 'integer', minimum: 0, default: 1 },
  },
  config: { method: 'restart' },
};
const profile = appProfileSchema.parse(runtime);

describe('the tuning space of a profile', () => {
  it('is every parameter the profile lets the tuner search, over its range and scale', () => {
    assert.deepEqual(tuningSpaceOf(profile).parameters, [
      { name: 'workers', min: 1, max: 32, integer: true, scale: 'linear' },
      { name: 'gcPercent', min: 50, max: 400, integer: false, scale: 'log' },
      {
        name: 'mode',
        min: 0,
        max: 2,
        integer: true,
        scale: 'linear',
        values: ['throughput', 'latency', 'balanced'],
      },
    ]);
  });

  it('caps a bound that grows with the instance at its capacity', () => {
    const cache = appProfileSchema.parse({
      parameters: { cacheSize: { type: 'integer', minimum: 0, maximum: 1_000_000, maximumPerCapacity: 1000 } },
      config: { method: 'restart' },
    });
    assert.equal(tuningSpaceOf(cache, 2).parameters[0]!.max, 2000);
    assert.equal(tuningSpaceOf(cache).parameters[0]!.max, 1_000_000);
  });

  it('refuses a tunable parameter without a range to search', () => {
    for (const parameter of [
      { type: 'integer', minimum: 1, tunable: true },
      { type: 'string', tunable: true },
      { type: 'number', minimum: -1, maximum: 1, scale: 'log' },
    ]) {
      const parsed = appProfileSchema.safeParse({ parameters: { p: parameter }, config: { method: 'restart' } });
      assert.equal(parsed.success, false, JSON.stringify(parameter));
    }
  });

  it('round-trips choices through the unit cube and places a release inside the space', () => {
    const space = tuningSpaceOf(profile);
    const point = { workers: 7, gcPercent: 120, mode: 'latency' };
    const back = decode(space, encode(space, point));
    assert.deepEqual({ ...back, gcPercent: Math.round(Number(back.gcPercent) * 1e9) / 1e9 }, point);
    assert.deepEqual(pointIn(space, { ...point, verbose: true }), point);
    assert.equal(pointIn(space, { ...point, mode: 'eco' }), null);
    assert.equal(pointIn(space, { ...point, workers: 33 }), null);
  });

  it('gets proposals within the space that the profile accepts', () => {
    const space = tuningSpaceOf(profile);
    const accepts = paramsSchemaOf(profile);
    const random = seededRandom(7);
    const observations: Observation[] = [
      { params: { workers: 4, gcPercent: 100, mode: 'balanced' }, safe: true, value: 10 },
    ];
    for (let i = 0; i < 5; i++) {
      const { params, basis } = proposeNext(space, observations, random, { randomCandidates: 300 });
      assert.ok(accepts.safeParse(params).success, `${basis}: ${JSON.stringify(params)}`);
      assert.deepEqual(Object.keys(params), ['workers', 'gcPercent', 'mode']);
      assert.ok(pointIn(space, params), JSON.stringify(params));
      // A made-up response, best at more workers and the latency mode, for the surrogate to fit.
      const value = 1 + Number(params.workers) / 32 + (params.mode === 'latency' ? 1 : 0);
      observations.push({ params, safe: true, value });
    }
    assert.equal(proposeNext(space, observations, random, { randomCandidates: 300 }).basis, 'expected-improvement');
  });
});
