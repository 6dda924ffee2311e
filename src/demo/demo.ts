// The `npm start` demo: a resource set on the local cloud fed by a real trace (NASA's 1995 web
// logs) replayed 144× faster, so one day of the trace passes in ten minutes and a newcomer sees,
// within minutes, the loop add instances before the daily peak and remove them after.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../logger.js';
import { rateSchedule, type RateSchedule } from '../load/schedule.js';
import { replay } from '../load/replay.js';
import { readTraceFile } from '../load/trace-file.js';
import type { Db } from '../store/db.js';
import { backfillDemand } from '../store/metrics.js';
import { getResourceSet } from '../store/resource-sets.js';

export const DEMO = {
  id: 'demo',
  trace: fileURLToPath(new URL('../../traces/nasa-http-1995.csv', import.meta.url)),
  speedup: 144,
  peakRps: 150,
  /** Where the replay begins on first start: a week in, so earlier days can serve as history. */
  startDay: 7,
  /** Past seasons written as history, so the forecast has something to learn from at once. */
  historySeasons: 3,
} as const;

const SEASON_SECONDS = 86_400 / DEMO.speedup;

export const demoSpec = {
  id: DEMO.id,
  provider: 'local',
  minInstances: 1,
  maxInstances: 8,
  policy: {
    intervalSeconds: 15,
    leadTimeSeconds: 60,
    seasonSeconds: SEASON_SECONDS,
    scaleInStabilizationSeconds: 60,
    maxScaleInStep: 2,
    targetUtilization: 0.7,
  },
} as const;

interface DemoClock {
  /** Epoch ms of real time when the replay was at trace minute `traceMinute`. */
  startedAt: number;
  traceMinute: number;
}

/** The demo keeps one clock across restarts, so a second `npm start` continues the trace. */
async function demoClock(dataDir: string): Promise<DemoClock> {
  const file = path.join(dataDir, 'demo.json');
  const saved = await readFile(file, 'utf8').then(
    (t) => JSON.parse(t) as DemoClock,
    () => undefined,
  );
  if (saved) return saved;
  const clock = { startedAt: Date.now(), traceMinute: DEMO.startDay * 1440 };
  await writeFile(file, JSON.stringify(clock));
  return clock;
}

/** Trace minute (index into the schedule) replayed at real time `ms`, wrapping at the trace's end. */
function traceIndexAt(clock: DemoClock, schedule: RateSchedule, ms: number): number {
  const index = clock.traceMinute + (ms - clock.startedAt) / 1000 / schedule.stepSeconds;
  return ((index % schedule.rates.length) + schedule.rates.length) % schedule.rates.length;
}

/** Mean target rate over the real interval [fromMs, toMs). */
function meanRate(clock: DemoClock, schedule: RateSchedule, fromMs: number, toMs: number): number {
  const steps = Math.max(1, Math.round((toMs - fromMs) / 1000 / schedule.stepSeconds));
  let sum = 0;
  for (let k = 0; k < steps; k++)
    sum += schedule.rates[Math.floor(traceIndexAt(clock, schedule, fromMs + (k * (toMs - fromMs)) / steps))] ?? 0;
  return sum / steps;
}

/**
 * On first run (when the first admin key has just been made) creates the demo resource set
 * through the API, like any user would; a user who later deletes it keeps it deleted. Writes the
 * trace's preceding seasons as history (only minutes with no measured demand), then replays the
 * trace against the local cloud's load balancer until `signal` aborts.
 */
export async function runDemo(options: {
  apiUrl: string;
  lbUrl: string;
  db: Db;
  dataDir: string;
  logger: Logger;
  signal: AbortSignal;
  /** The first admin key, on the run that made it. */
  adminKey?: string | undefined;
}): Promise<void> {
  const { logger, signal } = options;
  const schedule = rateSchedule(await readTraceFile(DEMO.trace), { speedup: DEMO.speedup, peakRps: DEMO.peakRps });
  const clock = await demoClock(options.dataDir);

  if (!(await getResourceSet(options.db, DEMO.id))) {
    if (!options.adminKey) {
      logger.info('demo: no "demo" resource set (deleted?); not replaying');
      return;
    }
    const created = await fetch(`${options.apiUrl}/v1/resource-sets`, {
      method: 'POST',
      signal,
      body: JSON.stringify(demoSpec),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.adminKey}` },
    });
    if (!created.ok)
      throw new Error(`could not create the demo resource set: ${created.status} ${await created.text()}`);
  }

  const now = Date.now();
  const firstMinute = Math.floor((now - DEMO.historySeasons * SEASON_SECONDS * 1000) / 60_000);
  const history = [];
  for (let m = firstMinute; m < Math.floor(now / 60_000); m++) {
    history.push({ minute: m * 60, requests: meanRate(clock, schedule, m * 60_000, (m + 1) * 60_000) * 60 });
  }
  const written = await backfillDemand(options.db, DEMO.id, history);
  logger.info({ minutes: written }, "demo: wrote the trace's preceding seasons as history");

  const target = `${options.lbUrl}/rs/${DEMO.id}/work`;
  let lastLog = 0;
  while (!signal.aborted) {
    const from = Math.floor(traceIndexAt(clock, schedule, Date.now()));
    const live: RateSchedule = {
      ...schedule,
      traceStart: schedule.traceStart + from,
      rates: schedule.rates.slice(from),
    };
    logger.info({ target, traceMinute: from }, 'demo: replaying NASA-HTTP 1995 at 144×');
    await replay({
      schedule: live,
      target,
      signal,
      durationSeconds: 7 * 86_400,
      maxRequests: 100_000_000,
      maxInFlight: 500,
      onProgress: (p) => {
        if (p.elapsedSeconds - lastLog < 60) return;
        lastLog = p.elapsedSeconds;
        logger.info(
          {
            targetRps: Math.round(p.targetRps),
            achievedRps: Math.round(p.achievedRps),
            p95Ms: p.p95Ms,
            errors: p.errors,
          },
          'demo: load',
        );
      },
    });
    lastLog = 0;
  }
}
