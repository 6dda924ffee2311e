import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expectedRequests, rateAt, rateSchedule, scheduleSeconds, traceMinuteAt } from '../../src/load/schedule.js';
import { parseTraceCsv, toMinuteSteps } from '../../src/sim/trace.js';

const NASA_START = Date.UTC(1995, 6, 1) / 60_000;
const close = (actual: number, expected: number) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≈ ${expected}`);

describe('rate schedule from a trace', () => {
  const minutes = toMinuteSteps(parseTraceCsv('minute,requests\n0,10\n1,20\n2,40\n3,0\n'));

  it('compresses one trace minute into 60 ÷ speedup seconds and scales the peak minute to the peak rate', () => {
    const schedule = rateSchedule(minutes, { speedup: 60, peakRps: 100 });
    assert.equal(schedule.stepSeconds, 1);
    assert.deepEqual(schedule.rates, [25, 50, 100, 0]);
    assert.equal(schedule.traceStart, NASA_START);
    assert.equal(scheduleSeconds(schedule), 4);

    const fast = rateSchedule(minutes, { speedup: 720, peakRps: 200 });
    close(fast.stepSeconds, 1 / 12);
    assert.deepEqual(fast.rates, [50, 100, 200, 0]);
    close(scheduleSeconds(fast), 4 / 12);
  });

  it('answers the rate at a time, the requests over an interval, and the trace time replayed', () => {
    const schedule = rateSchedule(minutes, { speedup: 30, peakRps: 100 }); // 2-s steps
    assert.equal(rateAt(schedule, 0), 25);
    assert.equal(rateAt(schedule, 3.9), 50);
    assert.equal(rateAt(schedule, 4), 100);
    assert.equal(rateAt(schedule, 100), 0, 'nothing after the trace ends');
    close(expectedRequests(schedule, 0, 8), 2 * (25 + 50 + 100 + 0));
    close(expectedRequests(schedule, 1, 5), 25 + 2 * 50 + 100);
    close(expectedRequests(schedule, 0, 100), 350);
    close(traceMinuteAt(schedule, 3), NASA_START + 1.5);
  });

  it('keeps the shape of a coarser trace: each 30-minute sample held for its 30 minutes', () => {
    const taxi = toMinuteSteps(parseTraceCsv('timestamp,value\n2014-07-01T00:00:00Z,100\n2014-07-01T00:30:00Z,400\n'));
    const schedule = rateSchedule(taxi, { speedup: 1800, peakRps: 40 });
    assert.equal(schedule.rates.length, 31);
    close(schedule.stepSeconds, 1 / 30);
    close(schedule.rates[0]!, 10);
    close(schedule.rates[29]!, 10);
    close(schedule.rates[30]!, 40);
    assert.equal(new Date(schedule.traceStart * 60_000).toISOString(), '2014-07-01T00:00:00.000Z');
  });

  it('refuses what it cannot scale', () => {
    assert.throws(
      () => rateSchedule(toMinuteSteps(parseTraceCsv('minute,requests\n0,0\n1,0\n')), { speedup: 60, peakRps: 10 }),
      /no positive value/,
    );
    assert.throws(() => rateSchedule(minutes, { speedup: 0, peakRps: 10 }), /speedup/);
    assert.throws(() => rateSchedule(minutes, { speedup: 60, peakRps: Number.NaN }), /peak rate/);
  });
});
