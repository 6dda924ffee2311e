import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { curveCapacity, fitCapacity } from '../../src/planner/capacity-model.js';
import { mmcKnee, mmcP95Ms, mmcSamples } from '../training/synthetic.js';

// The sample service's default shape: 2 workers, ~26 ms mean service time, so it saturates near 77/s.
const C = 2;
const MU = 1000 / 26;
const SLO = 250;
const KNEE = mmcKnee(SLO, C, MU);

describe('capacity model', () => {
  it('finds where p95 crosses the SLO when the data reaches it, a little on the safe side', () => {
    const fit = fitCapacity(mmcSamples({ count: 300, from: 4, to: 0.99 * C * MU, c: C, mu: MU }), { sloP95Ms: SLO });
    assert.equal(fit.status, 'learned', fit.reason);
    assert.equal(fit.method, 'observed');
    const ratio = fit.capacity! / KNEE;
    assert.ok(ratio > 0.9 && ratio <= 1.01, `learned ${fit.capacity} vs knee ${KNEE} (${ratio})`);
    assert.ok(fit.r2! > 0.9, `R² ${fit.r2}`);
    assert.equal(fit.samples, 300);
  });

  it('extrapolates with the queueing curve when the fleet never ran that hot, without overshooting', () => {
    const fit = fitCapacity(mmcSamples({ count: 300, from: 4, to: 0.8 * KNEE, c: C, mu: MU, seed: 11 }), {
      sloP95Ms: SLO,
    });
    assert.equal(fit.status, 'learned', fit.reason);
    assert.equal(fit.method, 'extrapolated');
    const ratio = fit.capacity! / KNEE;
    assert.ok(ratio > 0.8 && ratio <= 1.02, `learned ${fit.capacity} vs knee ${KNEE} (${ratio})`);
    assert.ok(Math.abs(curveCapacity(fit.curve!, SLO)! - fit.capacity!) < 1e-9);
  });

  it('keeps the default until there are 30 samples', () => {
    const samples = mmcSamples({ count: 29, from: 4, to: 0.99 * C * MU, c: C, mu: MU });
    const fit = fitCapacity(samples, { sloP95Ms: SLO });
    assert.equal(fit.status, 'insufficient');
    assert.equal(fit.capacity, null);
    assert.match(fit.reason, /29 samples.*at least 30/);
    assert.equal(
      fitCapacity([...samples, ...mmcSamples({ count: 1, from: 4, to: 70, c: C, mu: MU, seed: 5 })], { sloP95Ms: SLO })
        .status,
      'learned',
    );
  });

  it('keeps the default while the loads seen span less than 40% of the range up to the SLO', () => {
    // Plenty of samples, all in a narrow band just under the knee.
    const fit = fitCapacity(mmcSamples({ count: 200, from: 0.75 * KNEE, to: 1.05 * KNEE, c: C, mu: MU }), {
      sloP95Ms: SLO,
    });
    assert.equal(fit.status, 'insufficient');
    assert.ok(fit.coverage! < 0.4, `coverage ${fit.coverage}`);
    assert.match(fit.reason, /span \d+% of the range/);
  });

  it('does not guess from flat latencies far below the knee', () => {
    const fit = fitCapacity(mmcSamples({ count: 200, from: 2, to: 0.3 * KNEE, c: C, mu: MU }), { sloP95Ms: SLO });
    assert.equal(fit.status, 'insufficient', `learned ${fit.capacity} from loads up to ${fit.maxObservedLoad}`);
  });

  it('says so when the SLO is broken even at the lowest loads', () => {
    const fit = fitCapacity(mmcSamples({ count: 100, from: 2, to: 60, c: C, mu: MU }), {
      sloP95Ms: mmcP95Ms(1, C, MU) * 0.5,
    });
    assert.equal(fit.status, 'insufficient');
    assert.match(fit.reason, /above the .* SLO already at the lowest loads/);
  });

  it('ignores idle and unmeasured points', () => {
    const samples = mmcSamples({ count: 60, from: 4, to: 0.99 * C * MU, c: C, mu: MU });
    const noisy = [...samples, { load: 0, latencyP95Ms: 5 }, { load: 10, latencyP95Ms: NaN }];
    assert.deepEqual(fitCapacity(noisy, { sloP95Ms: SLO }), fitCapacity(samples, { sloP95Ms: SLO }));
  });
});
