import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_MAX_IN_FLIGHT, replay, type ReplayProgress, type ReplaySummary } from '../load/replay.js';
import { rateSchedule } from '../load/schedule.js';
import { loopbackTarget } from '../load/target.js';
import { readTraceFile } from '../load/trace-file.js';
import { UsageError, type Command } from './command.js';

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** "10m", "90s", "1.5h", "250ms"; a bare number is seconds. */
function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const seconds = match ? Number(match[1]) * DURATION_UNITS[match[2] ?? 's']! : NaN;
  return seconds > 0 ? seconds : undefined;
}

const positive = z.coerce
  .number({ error: 'must be a number' })
  .refine((n) => n > 0 && Number.isFinite(n), 'must be a positive number');
const positiveInt = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be at least 1');

const optionsSchema = z.object({
  trace: z.string({ error: 'is required (a trace CSV, e.g. traces/nasa-http-1995.csv)' }).min(1),
  speedup: positive,
  'peak-rps': positive,
  duration: z
    .string()
    .transform(
      (text, ctx) =>
        parseDuration(text) ??
        (ctx.addIssue({ code: 'custom', message: 'must be a duration such as 10m, 90s or 1h' }), z.NEVER),
    ),
  target: z.string(),
  'max-requests': positiveInt,
  'max-in-flight': positiveInt,
  seed: z.coerce.number({ error: 'must be a number' }).int('must be a whole number'),
  json: z.boolean().default(false),
});

/** Runs fn; its failure becomes a usage error naming the option at fault. */
async function asUsage<T>(option: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new UsageError(`--${option}: ${(err as Error).message}`);
  }
}

const clock = (epochMinutes: number) => new Date(epochMinutes * 60_000).toISOString().slice(0, 16).replace('T', ' ');
const fixed = (n: number | null | undefined, digits = 1) => (n === null || n === undefined ? '–' : n.toFixed(digits));

function progressLine(p: ReplayProgress): string {
  return (
    `trace ${clock(p.traceMinute)}  t+${p.elapsedSeconds.toFixed(0)}s  target ${fixed(p.targetRps)} rps  achieved ${fixed(p.achievedRps)} rps` +
    `  p95 ${fixed(p.p95Ms)} ms  errors ${p.errors}  dropped ${p.dropped}  in flight ${p.inFlight}`
  );
}

function summaryText(trace: string, s: ReplaySummary): string {
  const errors =
    Object.entries(s.errors)
      .map(([what, n]) => `${what} ×${n}`)
      .join(', ') || 'none';
  const latency = s.latencyMs
    ? `p50 ${fixed(s.latencyMs.p50)} ms, p95 ${fixed(s.latencyMs.p95)} ms, p99 ${fixed(s.latencyMs.p99)} ms, max ${fixed(s.latencyMs.max)} ms`
    : 'no responses';
  return [
    `Replayed ${trace} ${clock(Date.parse(s.trace.from) / 60_000)} → ${clock(Date.parse(s.trace.to) / 60_000)} against ${s.target} (stopped by ${s.stoppedBy})`,
    `  ${s.elapsedSeconds.toFixed(1)} s: target ${Math.round(s.expected)} requests (${fixed(s.targetRps)} rps), sent ${s.sent} (${fixed(s.achievedRps)} rps), dropped ${s.dropped}`,
    `  ok ${s.ok}; errors: ${errors}`,
    `  latency ${latency}`,
  ].join('\n');
}

export const loadCommand: Command = {
  name: 'load',
  summary: 'Replay a real demand trace as open-loop HTTP load against a loopback target',
  usage:
    'load replay --trace FILE [--speedup 720] [--peak-rps 200] [--duration 10m] [--target URL] [--max-requests N] [--json]',
  options: {
    trace: { type: 'string' },
    speedup: { type: 'string', default: '720' },
    'peak-rps': { type: 'string', default: '200' },
    duration: { type: 'string', default: '10m' },
    target: { type: 'string', default: 'http://127.0.0.1:8080/rs/demo/work' },
    'max-requests': { type: 'string', default: '1000000' },
    'max-in-flight': { type: 'string', default: String(DEFAULT_MAX_IN_FLIGHT) },
    seed: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
  },
  async run(values, positionals) {
    if (positionals.length !== 1 || positionals[0] !== 'replay')
      throw new UsageError('expected the subcommand "replay"');
    const parsed = optionsSchema.safeParse(values);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new UsageError(`--${String(issue.path[0])}: ${issue.message}`);
    }
    const o = parsed.data;
    await asUsage('target', () => loopbackTarget(o.target));
    const series = await asUsage('trace', () => readTraceFile(o.trace));
    const schedule = await asUsage('trace', () => rateSchedule(series, { speedup: o.speedup, peakRps: o['peak-rps'] }));

    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const tty = process.stderr.isTTY;
    let summary: ReplaySummary;
    try {
      summary = await replay({
        schedule,
        target: o.target,
        durationSeconds: o.duration,
        maxRequests: o['max-requests'],
        maxInFlight: o['max-in-flight'],
        seed: o.seed,
        signal: stop.signal,
        onProgress: (p) => process.stderr.write(tty ? `\r${progressLine(p)}\x1b[K` : `${progressLine(p)}\n`),
      });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (tty) process.stderr.write('\n');
    }
    console.log(o.json ? JSON.stringify(summary) : summaryText(path.basename(o.trace), summary));
    // A replay where nothing succeeded is a failed run (the target is down or refusing).
    return summary.sent > 0 && summary.ok === 0 ? 1 : 0;
  },
};
