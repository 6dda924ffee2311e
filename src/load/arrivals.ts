import type { RateSchedule } from './schedule.js';

/**
 * Arrival times, in seconds from the replay's start, of a Poisson process whose rate is the
 * schedule's, constant within each step. Inter-arrival gaps are exponential; a gap that crosses
 * into the next step is drawn again from the boundary at the new rate, which is exact because
 * the exponential distribution is memoryless. Ends with the schedule.
 */
export function* poissonArrivals(
  schedule: Pick<RateSchedule, 'stepSeconds' | 'rates'>,
  random: () => number,
): Generator<number, void, undefined> {
  const { stepSeconds, rates } = schedule;
  let t = 0;
  for (let i = 0; i < rates.length; i++) {
    const rate = rates[i]!;
    const end = (i + 1) * stepSeconds;
    if (rate > 0) {
      for (t += -Math.log(random()) / rate; t < end; t += -Math.log(random()) / rate) yield t;
    }
    t = end;
  }
}
