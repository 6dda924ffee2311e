import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextTick, phaseOf, wakeSpacingMs } from '../../src/workflows/loop-schedule.js';

describe('loop schedule: each loop ticks on its own grid, phased by its id', () => {
  const interval = 60_000;

  it('the next tick is the first grid point strictly after now', () => {
    const phase = 12_345;
    assert.equal(nextTick(phase, interval, phase), phase + interval, 'on a tick: the next one, not the same');
    assert.equal(nextTick(phase + 1, interval, phase), phase + interval);
    assert.equal(nextTick(phase + interval - 1, interval, phase), phase + interval);
    assert.equal(nextTick(1_700_000_000_000, interval, phase) % interval, phase);
    // A slow iteration skips the ticks it missed instead of running them back to back.
    assert.equal(nextTick(phase + 3.5 * interval, interval, phase), phase + 4 * interval);
  });

  it('the phase is stable for an id and spreads many ids over the interval', () => {
    assert.equal(phaseOf('web', interval), phaseOf('web', interval));
    const phases = Array.from({ length: 1000 }, (_, k) => phaseOf(`bench-${k}`, interval));
    assert.ok(phases.every((p) => Number.isInteger(p) && p >= 0 && p < interval));
    const perSecond = new Array<number>(60).fill(0);
    for (const p of phases) perSecond[Math.floor(p / 1000)]!++;
    // 1,000 loops over 60 s: about 17 a second; all in a few seconds would be the start-up burst again.
    assert.ok(Math.max(...perSecond) <= 35, `busiest second holds ${Math.max(...perSecond)} loops`);
    assert.ok(perSecond.filter((n) => n === 0).length === 0, 'no second of the interval is left empty');
  });

  it('message-driven iterations are spaced by a quarter interval, at most 5 s', () => {
    assert.equal(wakeSpacingMs(60_000), 5_000);
    assert.equal(wakeSpacingMs(8_000), 2_000);
    assert.ok(wakeSpacingMs(1_000) < 1_000, 'a fast loop still reacts within its interval');
  });
});
