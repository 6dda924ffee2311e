import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyFor, fingerprint, instanceTypeRecommendation } from '../../src/config/recommend/proposal.js';
import { rightSize, typeCapacities } from '../../src/config/recommend/right-size.js';
import { bootRelease } from '../../src/config/release.js';
import { LOCAL_INSTANCE_TYPES } from '../../src/providers/local/instance-types.js';

describe('from the capacity model to a proposal the loop can roll out', () => {
  const stable = bootRelease('local.medium');

  const learnedOn = (entries: [string, number][]) => new Map(entries);

  it("scales the current type's capacity to the others by speed, and says which figure was learned", () => {
    const types = typeCapacities(LOCAL_INSTANCE_TYPES, 'local.medium', learnedOn([['local.medium', 120]]), 50);
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
    assert.deepEqual(typeCapacities(LOCAL_INSTANCE_TYPES, 'no.such', learnedOn([['local.medium', 120]]), 50), []);
  });

  // A catalogue where the bigger type is a bargain per vCPU and the app does not scale with vCPUs:
  // only measurements can tell which type is cheaper per request.
  const catalogue = [
    { name: 'c.small', speed: 1, hourlyPrice: 0.1 },
    { name: 'c.large', speed: 4, hourlyPrice: 0.3 },
    { name: 'm.large', speed: 4, hourlyPrice: 0.36 },
  ];

  it('prices each type from the catalogue with its measured capacity, scaling by speed only where none was measured', () => {
    const types = typeCapacities(
      catalogue,
      'c.small',
      learnedOn([
        ['c.small', 100],
        ['c.large', 150],
        ['m.large', NaN],
      ]),
      50,
    );
    assert.deepEqual(types, [
      { instanceType: 'c.small', hourlyPrice: 0.1, capacity: 100, basis: 'learned' },
      { instanceType: 'c.large', hourlyPrice: 0.3, capacity: 150, basis: 'learned' },
      { instanceType: 'm.large', hourlyPrice: 0.36, capacity: 400, basis: 'learned on c.small, scaled by speed' },
    ]);
    const result = rightSize({
      current: 'c.small',
      types,
      demand: 630,
      targetUtilization: 0.7,
      minInstances: 1,
      minSaving: 0.05,
    });
    // 9 × c.small = $0.90/h; 6 × c.large = $1.80/h by measurement (by speed alone it would be 3 × $0.30 = $0.90);
    // 3 × m.large = $1.08/h by speed: staying is cheapest, and the reason names the scaled estimate.
    assert.equal(result.recommended, null);
    assert.match(result.reason, /9 × c\.small = \$0\.9000\/h \(learned capacity\)/);
    assert.match(result.reason, /3 × m\.large = \$1\.0800\/h \(learned on c\.small, scaled by speed capacity\)/);
  });

  it('scales from a measured type when the current one has no measurement, and from the default before any', () => {
    const fromLarge = typeCapacities(catalogue, 'c.small', learnedOn([['c.large', 200]]), 50);
    assert.deepEqual(
      fromLarge.map((t) => [t.instanceType, t.capacity, t.basis]),
      [
        ['c.small', 50, 'learned on c.large, scaled by speed'],
        ['c.large', 200, 'learned'],
        ['m.large', 200, 'learned on c.large, scaled by speed'],
      ],
    );
    const fromDefault = typeCapacities(catalogue, 'c.small', learnedOn([]), 50);
    assert.deepEqual(
      fromDefault.map((t) => [t.instanceType, t.capacity, t.basis]),
      [
        ['c.small', 50, 'default'],
        ['c.large', 200, 'default on c.small, scaled by speed'],
        ['m.large', 200, 'default on c.small, scaled by speed'],
      ],
    );
  });

  it('at low demand with two instances at the least, proposes the small type with its expected gain', () => {
    const result = rightSize({
      current: 'local.medium',
      types: typeCapacities(LOCAL_INSTANCE_TYPES, 'local.medium', learnedOn([]), 100),
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
      types: typeCapacities(LOCAL_INSTANCE_TYPES, 'local.small', learnedOn([]), 50),
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
