import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { UsageError } from '../../src/cli/command.js';
import { loadCommand } from '../../src/cli/load.js';
import { poissonArrivals } from '../../src/load/arrivals.js';
import { seededRandom } from '../../src/domain/random.js';
import { replay, type ReplayProgress } from '../../src/load/replay.js';
import { rateAt, rateSchedule } from '../../src/load/schedule.js';
import { loopbackTarget } from '../../src/load/target.js';
import { parseTraceCsv, toMinuteSteps } from '../../src/sim/trace.js';
import { freePort } from '../support/ports.js';

/** A loopback HTTP server that notes when each request arrives (epoch ms, the replay's clock). */
async function startServer(handle: (res: http.ServerResponse) => void = (res) => res.end('ok')) {
  const arrivals: number[] = [];
  const server = http.createServer((_req, res) => {
    arrivals.push(performance.timeOrigin + performance.now());
    handle(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/rs/test/work`,
    arrivals,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const countIn = (times: number[], from: number, to: number) => times.filter((t) => t >= from && t < to).length;
const constant = (rps: number, seconds: number) =>
  rateSchedule({ start: 0, values: new Array<number>(seconds).fill(1) }, { speedup: 60, peakRps: rps });

describe('trace replay against a real HTTP server on loopback', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server.close();
  });

  it('sends the Poisson arrivals of the schedule on time: per-second arrivals match it', async () => {
    // Minutes 10, 40, 20, 40 at 30× → four 2-s steps at 75, 300, 150, 300 requests/s.
    const schedule = rateSchedule(toMinuteSteps(parseTraceCsv('minute,requests\n0,10\n1,40\n2,20\n3,40\n')), {
      speedup: 30,
      peakRps: 300,
    });
    const seed = 11;
    const durationSeconds = 7;
    const progress: ReplayProgress[] = [];
    const summary = await replay({
      schedule,
      target: server.url,
      durationSeconds,
      maxRequests: 100_000,
      seed,
      onProgress: (p) => progress.push(p),
    });

    const planned = [...poissonArrivals(schedule, seededRandom(seed))].filter((t) => t < durationSeconds);
    const received = server.arrivals.map((t) => (t - summary.startedAt) / 1000);
    assert.equal(summary.stoppedBy, 'duration');
    assert.equal(summary.sent, planned.length, 'every planned arrival was sent');
    assert.equal(received.length, planned.length, 'and received');
    assert.equal(summary.ok, planned.length);
    assert.deepEqual(summary.errors, {});
    assert.equal(summary.dropped, 0);
    assert.ok(summary.elapsedSeconds > durationSeconds - 0.1 && summary.elapsedSeconds <= durationSeconds);

    for (let second = 0; second < durationSeconds; second++) {
      const want = countIn(planned, second, second + 1);
      const got = countIn(received, second, second + 1);
      assert.ok(Math.abs(got - want) <= 0.05 * want + 5, `second ${second}: received ${got}, planned ${want}`);
    }
    // And the plan is the schedule's: each whole step's count within Poisson bounds of rate × 2 s.
    for (let step = 0; step < 3; step++) {
      const expected = schedule.rates[step]! * 2;
      const got = countIn(received, 2 * step, 2 * step + 2);
      assert.ok(
        Math.abs(got - expected) <= 4 * Math.sqrt(expected) + 5,
        `step ${step}: ${got} arrivals, rate asks ${expected}`,
      );
    }
    assert.ok(Math.abs(summary.expected - 2 * (75 + 300 + 150) - 300) < 1e-6, 'expected = ∫ rate over the 7 s');
    assert.ok(Math.abs(summary.achievedRps - summary.targetRps) <= (4 * Math.sqrt(summary.expected)) / durationSeconds);
    assert.ok(
      summary.latencyMs &&
        summary.latencyMs.p50 <= summary.latencyMs.p95 &&
        summary.latencyMs.p95 <= summary.latencyMs.p99,
    );
    assert.equal(summary.trace.from, '1995-07-01T00:00:00.000Z');
    assert.equal(summary.trace.to.slice(0, 16), '1995-07-01T00:03', '7 s at 30× is 3.5 trace minutes');

    assert.ok(progress.length >= 5, `${progress.length} progress reports in 7 s`);
    for (const p of progress) assert.equal(p.targetRps, rateAt(schedule, p.elapsedSeconds));
    assert.equal(progress.reduce((n, p) => n + p.achievedRps, 0) <= summary.sent, true);
  });

  it('stops at --max-requests', async () => {
    const before = server.arrivals.length;
    const summary = await replay({
      schedule: constant(200, 10),
      target: server.url,
      durationSeconds: 10,
      maxRequests: 50,
    });
    assert.equal(summary.stoppedBy, 'max-requests');
    assert.equal(summary.sent, 50);
    assert.equal(server.arrivals.length - before, 50);
    assert.ok(summary.elapsedSeconds < 5);
  });

  it('stops when asked to', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 300);
    const summary = await replay({
      schedule: constant(100, 10),
      target: server.url,
      durationSeconds: 10,
      maxRequests: 1_000_000,
      signal: stop.signal,
    });
    assert.equal(summary.stoppedBy, 'aborted');
    assert.ok(summary.elapsedSeconds < 2 && summary.sent > 0);
  });
});

describe('replay against a slow or absent target', () => {
  it('keeps sending while responses are late, drops what exceeds the in-flight cap, and counts errors by status', async () => {
    const slow = await startServer((res) =>
      setTimeout(() => {
        res.statusCode = 503;
        res.end();
      }, 1_500),
    );
    try {
      const summary = await replay({
        schedule: constant(200, 1),
        target: slow.url,
        durationSeconds: 5,
        maxRequests: 1_000,
        maxInFlight: 20,
        seed: 3,
      });
      const offered = [...poissonArrivals(constant(200, 1), seededRandom(3))].length;
      assert.equal(summary.stoppedBy, 'trace-end');
      assert.equal(summary.sent, 20);
      assert.equal(summary.offered, offered);
      assert.equal(summary.dropped, offered - 20);
      assert.deepEqual(summary.errors, { 503: 20 });
      assert.equal(summary.ok, 0);
      assert.ok(summary.latencyMs!.p50 >= 1_400);
      assert.equal(slow.arrivals.length, 20);
    } finally {
      await slow.close();
    }
  });

  it('counts refused connections as errors', async () => {
    const summary = await replay({
      schedule: constant(50, 1),
      target: `http://127.0.0.1:${await freePort()}/`,
      durationSeconds: 1,
      maxRequests: 1_000,
    });
    assert.ok(summary.sent > 0);
    assert.deepEqual(summary.errors, { ECONNREFUSED: summary.sent });
    assert.equal(summary.latencyMs, null);
  });
});

describe('loopback only', () => {
  it('accepts localhost, 127.0.0.0/8 and ::1; refuses anything else before sending', async () => {
    for (const ok of ['http://localhost:8080/x', 'http://127.0.0.1/', 'http://127.4.5.6:9/', 'http://[::1]:8080/'])
      assert.equal(loopbackTarget(ok).href, new URL(ok).href);
    for (const bad of [
      'http://example.com/',
      'http://10.0.0.1/',
      'http://0.0.0.0:8080/',
      'http://[::2]/',
      'http://127.0.0.1.nip.io/',
      'https://127.0.0.1/',
      'nonsense',
    ]) {
      assert.throws(() => loopbackTarget(bad), RangeError, bad);
    }
    await assert.rejects(
      replay({ schedule: constant(10, 1), target: 'http://192.0.2.1/', durationSeconds: 1, maxRequests: 1 }),
      /not loopback/,
    );
  });

  it('prescale load replay refuses a non-loopback --target with a usage error', async () => {
    const values = {
      trace: 'traces/nasa-http-1995.csv',
      speedup: '720',
      'peak-rps': '200',
      duration: '10m',
      target: 'http://203.0.113.7:8080/',
      'max-requests': '10',
      'max-in-flight': '10',
      seed: '1',
      json: true,
    };
    await assert.rejects(
      loadCommand.run(values, ['replay']),
      (err: Error) => err instanceof UsageError && /--target: .*not loopback/.test(err.message),
    );
  });
});

describe('prescale load replay (the command)', () => {
  const defaults = {
    trace: 'traces/nasa-http-1995.csv',
    speedup: '720',
    'peak-rps': '200',
    duration: '10m',
    target: 'http://127.0.0.1:1/',
    'max-requests': '10',
    'max-in-flight': '10',
    seed: '1',
    json: true,
  };

  it('explains bad options as usage errors naming the option', async () => {
    const cases: [Record<string, unknown>, string[], RegExp][] = [
      [defaults, [], /subcommand "replay"/],
      [defaults, ['play'], /subcommand "replay"/],
      [{ ...defaults, trace: undefined }, ['replay'], /--trace: is required/],
      [{ ...defaults, speedup: 'fast' }, ['replay'], /--speedup: must be a number/],
      [{ ...defaults, 'peak-rps': '-5' }, ['replay'], /--peak-rps: must be a positive number/],
      [{ ...defaults, duration: '10 minutes' }, ['replay'], /--duration: must be a duration/],
      [{ ...defaults, 'max-requests': '1.5' }, ['replay'], /--max-requests: must be a whole number/],
      [{ ...defaults, trace: 'no/such/trace.csv' }, ['replay'], /--trace: .*ENOENT/],
    ];
    for (const [values, positionals, message] of cases) {
      await assert.rejects(
        loadCommand.run(values as never, positionals),
        (err: Error) => err instanceof UsageError && message.test(err.message),
        String(message),
      );
    }
  });

  it('replays a trace file and prints the summary as JSON', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-load-'));
    const server = await startServer();
    try {
      const trace = path.join(dir, 'tiny.csv');
      await writeFile(trace, 'timestamp,value\n2014-07-01T00:00:00Z,100\n2014-07-01T00:01:00Z,50\n');
      const script = `import { loadCommand } from ${JSON.stringify(new URL('../../src/cli/load.ts', import.meta.url).href)};
        process.exitCode = await loadCommand.run({ trace: ${JSON.stringify(trace)}, speedup: '60', 'peak-rps': '100', duration: '5s',
          target: ${JSON.stringify(server.url)}, 'max-requests': '1000000', 'max-in-flight': '2000', seed: '5', json: true }, ['replay']);`;
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
      ]);
      const summary = JSON.parse(stdout);
      assert.equal(summary.stoppedBy, 'trace-end', 'two trace minutes at 60× last 2 s');
      assert.equal(summary.sent, server.arrivals.length);
      assert.equal(summary.ok, summary.sent);
      assert.ok(Math.abs(summary.sent - 150) <= 4 * Math.sqrt(150), `${summary.sent} sent, 150 expected`);
      assert.match(stderr, /trace 2014-07-01 00:0\d .*target \d+\.\d rps .*achieved/, 'a progress line on stderr');
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
