import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorRecord } from '../../src/forecast/calibration.js';

const offsetsOf = (r: ErrorRecord) => r.offsets().p50[0];

test("backtest errors stand in only until a step holds enough of the forecaster's own", () => {
  const record = new ErrorRecord(1, 1_000);
  const backtest = Array.from({ length: 300 }, (_, i) => i);
  record.topUp(0, backtest, 100);
  assert.equal(record.size(0), 100, 'topped up from empty');
  assert.equal(offsetsOf(record), 249.5, 'with the newest 100 (200…299)');
  record.topUp(0, backtest, 100);
  assert.equal(record.size(0), 100, 'full: another selection adds nothing');
  const partial = new ErrorRecord(1, 1_000);
  for (let i = 0; i < 95; i++) partial.push(0, -1);
  partial.topUp(0, backtest, 100);
  assert.equal(partial.size(0), 100, 'only the 5 missing');
});
