import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { backtestCommand } from '../../src/cli/backtest.js';
import { UsageError } from '../../src/cli/command.js';

let dir = '';
let trace = '';

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-backtest-'));
  trace = path.join(dir, 'tiny.csv');
  // Two days of a daily wave, one sample every 5 minutes (held for 5 minutes when read).
  const rows = Array.from(
    { length: 2 * 288 },
    (_, i) =>
      `${new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString()},${(100 + 60 * Math.sin((2 * Math.PI * i) / 288)).toFixed(2)}`,
  );
  await writeFile(trace, `timestamp,value\n${rows.join('\n')}\n`);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the command in this process, collecting what it prints. */
async function backtest(values: Record<string, string | boolean>): Promise<{ code: number | void; stdout: string }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.join(' '));
  };
  try {
    const options = { policy: 'predictive,hpa,aws,oracle', target: '0.7', json: false, ...values };
    return { code: await backtestCommand.run(options, []), stdout: lines.join('\n') };
  } finally {
    console.log = log;
  }
}

test('--json prints one object: per policy τU, θU, θO, cost, changes per hour and MASE', async () => {
  const { code, stdout } = await backtest({ trace, json: true });
  assert.equal(code, 0);
  const figures = JSON.parse(stdout) as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(figures).sort(), ['aws', 'hpa', 'oracle', 'predictive']);
  for (const [name, f] of Object.entries(figures)) {
    assert.deepEqual(Object.keys(f).sort(), ['changesPerHour', 'cost', 'mase', 'tauU', 'thetaO', 'thetaU'], name);
    for (const key of ['tauU', 'thetaU', 'thetaO', 'cost', 'changesPerHour'])
      assert.equal(typeof f[key], 'number', `${name}.${key}`);
    assert.ok(f.mase === null || typeof f.mase === 'number');
  }
  assert.equal(figures.oracle!.cost, 1);
  assert.equal(figures.oracle!.tauU, 0);
});

test('prints a table and writes the plot it is asked for, for the policies asked for', async () => {
  const plot = path.join(dir, 'out.svg');
  const { stdout } = await backtest({ trace, policy: 'hpa,oracle', plot });
  assert.match(stdout, /^hpa\s/m);
  assert.doesNotMatch(stdout, /^predictive\s/m);
  const svg = await readFile(plot, 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(svg, /hpa \(τU/);
  assert.doesNotMatch(svg, /aws \(τU/);
});

test('refuses what it cannot run', async () => {
  await assert.rejects(backtest({}), UsageError);
  await assert.rejects(backtest({ trace, policy: 'hpa,magic' }), /unknown magic/);
  await assert.rejects(backtest({ trace, target: '1.5' }), UsageError);
  await assert.rejects(backtest({ trace, 'warmup-days': '3' }), /less than the trace/);
});

test('--frontier prints τU and cost for hpa and aws at 0.5–0.9 and predictive at its objectives, and plots them all', async () => {
  const plot = path.join(dir, 'frontier.svg');
  const { code, stdout } = await backtest({ trace, frontier: true, plot });
  assert.equal(code, 0);
  for (const target of ['0.5', '0.6', '0.7', '0.8', '0.9']) {
    assert.match(stdout, new RegExp(`^hpa\\s+${target.replace('.', '\\.')}\\s+\\d+\\.\\d\\d\\s+\\d\\.\\d{3}$`, 'm'));
    assert.match(stdout, new RegExp(`^aws\\s+${target.replace('.', '\\.')}\\s`, 'm'));
  }
  assert.match(stdout, /^predictive\s+today\s/m);
  assert.match(stdout, /^predictive\s+≤ 1 % short\s/m);
  assert.match(
    stdout,
    /^today: \d+\.\d\d % short at \d\.\d{3}; the better baseline reaches \d+\.\d\d % at that cost\.$/m,
  );
  const svg = await readFile(plot, 'utf8');
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  for (const policy of ['hpa', 'aws', 'predictive']) assert.match(svg, new RegExp(`>${policy}</text>`), policy);
  assert.match(svg, /r="10" fill="none"/, "today's configuration is ringed");

  const json = JSON.parse((await backtest({ trace, frontier: true, json: true })).stdout) as {
    points: { policy: string; current: boolean }[];
  };
  assert.equal(json.points.filter((p) => p.policy === 'hpa').length, 5);
  assert.equal(json.points.filter((p) => p.current).length, 1);
});
