import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTraceCsv, toMinuteSteps } from '../../src/sim/trace.js';

const minutesOf = (iso: string) => Date.parse(iso) / 60_000;

test('reads timestamp,value with ISO times as epoch minutes', () => {
  const trace = parseTraceCsv('timestamp,value\n2014-07-01T00:00:00Z,10844\r\n2014-07-01T00:30:00Z,8127\n\n');
  assert.deepEqual(trace, {
    t: [minutesOf('2014-07-01T00:00:00Z'), minutesOf('2014-07-01T00:30:00Z')],
    v: [10844, 8127],
  });
});

test('keeps the seconds of timestamps off the minute', () => {
  const { t } = parseTraceCsv('timestamp,value\n2015-02-26T21:42:53Z,57\n');
  assert.equal(t[0], minutesOf('2015-02-26T21:42:00Z') + 53 / 60);
});

test('reads minute,requests as minutes from 1995-07-01', () => {
  const trace = parseTraceCsv('minute,requests\n0,42\n1,62\n');
  assert.deepEqual(trace, { t: [minutesOf('1995-07-01T00:00:00Z'), minutesOf('1995-07-01T00:01:00Z')], v: [42, 62] });
});

test('refuses what it cannot read, naming the line', () => {
  assert.throws(() => parseTraceCsv('time,load\n0,1\n'), /unknown header "time,load"/);
  assert.throws(() => parseTraceCsv('minute,requests\n0,42\n1,lots\n'), /line 3/);
  assert.throws(() => parseTraceCsv('minute,requests\n0,42\n,7\n'), /line 3/);
  assert.throws(() => parseTraceCsv('minute,requests\n0,42\n1,\n'), /line 3/);
  assert.throws(() => parseTraceCsv('minute,requests\n5,42\n5,43\n'), /line 3: time does not increase/);
  assert.throws(() => parseTraceCsv('timestamp,value\nyesterday,3\n'), /line 2/);
  assert.throws(() => parseTraceCsv('minute,requests\n'), /no samples/);
});

test('holds each sample until the next one: a 30-minute trace is a step function on whole minutes', () => {
  const { start, values } = toMinuteSteps({ t: [600, 630, 660], v: [0, 30, 90] });
  assert.equal(start, 600);
  assert.equal(values.length, 61);
  assert.deepEqual([values[0], values[1], values[29], values[30], values[59], values[60]], [0, 0, 0, 30, 30, 90]);
});

test('a grid off the minute stays on the samples, and a negative sample counts as zero', () => {
  assert.deepEqual(toMinuteSteps({ t: [0.5, 3.5, 5.5], v: [10, -4, 20] }), {
    start: 0.5,
    values: [10, 10, 10, 0, 0, 20],
  });
});

test('a 1-minute trace and a single sample pass through unchanged', () => {
  assert.deepEqual(toMinuteSteps({ t: [7, 8, 9], v: [3, 0, 5] }).values, [3, 0, 5]);
  assert.deepEqual(toMinuteSteps({ t: [7], v: [3] }), { start: 7, values: [3] });
});
