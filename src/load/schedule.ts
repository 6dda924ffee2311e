import type { MinuteSeries } from '../sim/trace.js';

/** A trace turned into target request rates: step i lasts stepSeconds of real time. */
export interface RateSchedule {
  /** Epoch minutes of the trace at the replay's start. */
  traceStart: number;
  /** Real seconds per trace minute: 60 ÷ speedup. */
  stepSeconds: number;
  /** Target requests per second during each step. */
  rates: number[];
}

/**
 * Compresses a 1-minute trace in time by `speedup` and scales it so that its peak minute asks
 * for `peakRps`: only the trace's shape is kept, whatever unit its values were in.
 */
export function rateSchedule(series: MinuteSeries, options: { speedup: number; peakRps: number }): RateSchedule {
  const { speedup, peakRps } = options;
  if (!(speedup > 0 && Number.isFinite(speedup)))
    throw new RangeError(`speedup must be a positive number (got ${speedup})`);
  if (!(peakRps > 0 && Number.isFinite(peakRps)))
    throw new RangeError(`peak rate must be a positive number (got ${peakRps})`);
  // reduce, not Math.max(...values): a long trace has more minutes than a call may take arguments.
  const peak = series.values.reduce((max, v) => Math.max(max, v), 0);
  if (!(peak > 0)) throw new RangeError('the trace has no positive value to scale to the peak rate');
  return {
    traceStart: series.start,
    stepSeconds: 60 / speedup,
    rates: series.values.map((v) => (Math.max(0, v) / peak) * peakRps),
  };
}

export function scheduleSeconds(schedule: RateSchedule): number {
  return schedule.rates.length * schedule.stepSeconds;
}

/** Target rate at `seconds` into the replay; 0 past the trace's end. */
export function rateAt(schedule: RateSchedule, seconds: number): number {
  return schedule.rates[Math.floor(seconds / schedule.stepSeconds)] ?? 0;
}

/** Requests the schedule asks for in [from, to) seconds: the integral of its rate. */
export function expectedRequests(schedule: RateSchedule, from: number, to: number): number {
  const { stepSeconds, rates } = schedule;
  let total = 0;
  const last = Math.min(rates.length - 1, Math.floor(to / stepSeconds));
  for (let i = Math.max(0, Math.floor(from / stepSeconds)); i <= last; i++) {
    const overlap = Math.min(to, (i + 1) * stepSeconds) - Math.max(from, i * stepSeconds);
    if (overlap > 0) total += rates[i]! * overlap;
  }
  return total;
}

/** Trace time (epoch minutes) being replayed at `seconds` into the replay. */
export function traceMinuteAt(schedule: RateSchedule, seconds: number): number {
  return schedule.traceStart + seconds / schedule.stepSeconds;
}
