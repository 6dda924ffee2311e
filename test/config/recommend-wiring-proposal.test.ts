import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyFor, fingerprint, instanceTypeRecommendation } from '../../src/config/recommend/proposal.js';
import { rightSize, typeCapacities } from '../../src/config/recommend/right-size.js';
import { bootRelease } from '../../src/config/release.js';
import { LOCAL_INSTANCE_TYPES } from '../../src/providers/local/instance-types.js';

describe('from the capacity model to a proposal the loop can roll out', () => {
  const stable = bootRelease('local.medium');

  it("scales the current type's capacity to the others by speed, and says which figure was learned", () => {
    const types = typeCapacities(LOCAL_INSTANCE_TYPES, 'local.medium', 120, true);
    assert.deepEqual(
      types.map((t) => [t.instanceType, t.capacity]),
      [
        ['local.small', 60],
        ['local.medium', 120],
        ['local.large', 240],
      ],
    );
    assert.equal(types[1]!.basis, 'learned');
    assert.equal(types[0]!.basis, 'learned on local.medium, scaled by speed');
    assert.deepEqual(typeCapacities(LOCAL_INSTANCE_TYPES, 'no.such', 120, true), []);
  });

  it('at low demand with two instances at the least, proposes the small type with its expected gain', () => {
    const result = rightSize({
      current: 'local.medium',
      types: typeCapacities(LOCAL_INSTANCE_TYPES, 'local.medium', 100, false),
      demand: 10,
      targetUtilization: 0.7,
      minInstances: 2,
      minSaving: 0.05,
    });
    const proposal = instanceTypeRecommendation(result, 'local.medium');
    assert.ok(proposal);
    assert.equal(proposal.instanceType, 'local.small');
    assert.ok(Math.abs(proposal.expectedGain - 0.5) < 1e-12);
    assert.ok(Math.abs(proposal.expectedSavingPerHour - 0.04) < 1e-12);
    assert.deepEqual(bodyFor(stable, proposal), {
      instanceType: 'local.small',
      softwareVersion: 'v1',
      params: stable.params,
    });
    assert.equal(fingerprint(stable, proposal), `${stable.revision}/instance-type/local.small`);
  });

  it('proposes nothing when staying is cheapest', () => {
    const result = rightSize({
      current: 'local.small',
      types: typeCapacities(LOCAL_INSTANCE_TYPES, 'local.small', 50, false),
      demand: 10,
      targetUtilization: 0.7,
      minInstances: 2,
      minSaving: 0.05,
    });
    assert.equal(instanceTypeRecommendation(result, 'local.small'), null);
  });

  it('turns tuned parameters into a body that changes the parameters only', () => {
    const params = { poolSize: 8, cacheSize: 5000, queueLimit: 64 };
    const body = bodyFor(stable, { kind: 'app-params', params, expectedGain: 0.2, reason: 'tuned' });
    assert.deepEqual(body, { instanceType: 'local.medium', softwareVersion: 'v1', params });
  });
});
