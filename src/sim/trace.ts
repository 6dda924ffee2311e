/** A demand trace as recorded: sample times in epoch minutes (increasing) and their values. */
export interface Trace {
  t: number[];
  v: number[];
}

/** A demand series on a 1-minute grid: values[i] is the demand at minute start + i. */
export interface MinuteSeries {
  /** Epoch minutes of values[0]. */
  start: number;
  values: number[];
}

// The NASA trace has no timestamps, only minutes since 1995-07-01 00:00 local time; like the NAB
// files, its local times are written as UTC.
const NASA_EPOCH_MINUTES = Date.UTC(1995, 6, 1) / 60_000;

const timeColumns: Record<string, (cell: string) => number> = {
  'timestamp,value': (cell) => Date.parse(cell) / 60_000,
  'minute,requests': (cell) => NASA_EPOCH_MINUTES + Number(cell),
};

/**
 * Parses a trace CSV of /work/shared/traces: header `timestamp,value` (ISO 8601 UTC) or
 * `minute,requests` (minutes from 1995-07-01). Throws on anything else, naming the line.
 */
export function parseTraceCsv(text: string): Trace {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = lines[0]?.trim() ?? '';
  const parseTime = timeColumns[header];
  if (!parseTime)
    throw new Error(`trace: unknown header "${header}" (expected ${Object.keys(timeColumns).join(' or ')})`);
  const t: number[] = [];
  const v: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const [timeCell = '', valueCell = ''] = line.split(',').map((cell) => cell.trim());
    // Number('') is 0, so an empty cell must be refused before it is read.
    const time = timeCell === '' ? NaN : parseTime(timeCell);
    const value = valueCell === '' ? NaN : Number(valueCell);
    if (!Number.isFinite(time) || !Number.isFinite(value))
      throw new Error(`trace line ${i + 1}: cannot read "${line}"`);
    if (t.length > 0 && time <= t[t.length - 1]!) throw new Error(`trace line ${i + 1}: time does not increase`);
    t.push(time);
    v.push(value);
  }
  if (t.length === 0) throw new Error('trace: no samples');
  return { t, v };
}

/**
 * Fleet model v2: the trace as a step function on 1-minute steps from the first sample to the
 * last — the demand at minute g is the last sample at or before g, since the rate an interval
 * reports holds for that interval. Nothing between two samples is known before the second arrives,
 * so no policy can read the future (interpolating would hand it the next sample's slope). The grid
 * starts at the first sample even when it is not on a whole minute; negative values count as 0.
 */
export function toMinuteSteps(trace: Trace): MinuteSeries {
  const { t, v } = trace;
  const start = t[0]!;
  const steps = Math.floor(t[t.length - 1]! - start + 1e-9) + 1;
  const values = new Array<number>(steps);
  let j = 0;
  for (let i = 0; i < steps; i++) {
    while (j + 1 < t.length && t[j + 1]! <= start + i + 1e-9) j++;
    values[i] = Math.max(0, v[j]!);
  }
  return { start, values };
}
