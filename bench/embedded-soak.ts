// The embedded default under load: `prescale start` (PGlite, the Temporal dev server, the local
// cloud with its demo) while 50 writers with a valid admin key and fake agents pushing every
// second run for ten minutes. Tallies what must be zero: 5xx, wrong 401s, unanswered requests,
// audit rows missing for answered writes, samples lost, requests counted twice.
//   npx tsx bench/embedded-soak.ts [--minutes 10] [--writers 50] [--agents 20] [--sets 25]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startEnv, startPrescale, stopPrescale, waitReady } from '../test/support/prescale-start.js';
import { describeAnswers, describeSoak, soak } from '../test/support/soak.js';
import { waitFor } from '../test/support/wait.js';
import { recordSection } from './support/results.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    writers: { type: 'string', default: '50' },
    agents: { type: 'string', default: '20' },
    sets: { type: 'string', default: '25' },
  },
});
const [minutes, writers, agents, sets] = [values.minutes, values.writers, values.agents, values.sets].map(Number) as [
  number,
  number,
  number,
  number,
];

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'prescale-soak-'));
const env: NodeJS.ProcessEnv = {
  ...(await startEnv(dataDir)),
  PRESCALE_AGENT_SECRET: 'soak-agent-secret-0123456789',
  RATE_LIMIT_PER_SECOND: '1000',
  RATE_LIMIT_BURST: '1000',
};
const url = `http://127.0.0.1:${env.PORT}`;
const running = startPrescale(env);
try {
  await waitReady(url, running);
  const key = await waitFor(
    'the first admin key',
    () => Promise.resolve(/psk_[0-9a-f]{16}_[\w-]{43}/.exec(running.output())?.[0]),
    30_000,
  );
  const load0 = os.loadavg()[0]!;
  const started = Date.now();
  const tally = await soak({
    url,
    adminKey: key,
    agentSecret: env.PRESCALE_AGENT_SECRET!,
    databaseUrl: `postgres://postgres@127.0.0.1:${env.PGLITE_PORT}/postgres`,
    seconds: minutes * 60,
    writers,
    instances: agents,
    sets,
    progress: (line) => console.error(line),
  });
  const elapsed = (Date.now() - started) / 1000;
  const summary = describeSoak(tally);
  console.log(summary);
  await recordSection(
    'Embedded soak (issue 17)',
    [
      `Command: \`npx tsx bench/embedded-soak.ts --minutes ${minutes} --writers ${writers} --agents ${agents} --sets ${sets}\` — ${new Date().toISOString().slice(0, 16)}Z, ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), Node ${process.version}; load average (1 min) ${load0.toFixed(1)} at the start, ${os.loadavg()[0]!.toFixed(1)} at the end (a shared machine).`,
      `\`prescale start\` on its embedded defaults (PGlite behind its socket server, the Temporal dev server, the local cloud with the demo set and its real agents). ${writers} writers with one admin key, each back to back over ${sets} shared sets: PATCH policy, pause, resume, create a viewer key, and for one writer in ten also create a resource set and delete it; ${agents} fake agents push 5 samples a second each, keep what was not acknowledged and push it again. Requests give up after 30 s (counted as unanswered). Afterwards every answered write's request id is looked up in the audit log, and the stored samples and per-minute rollup are counted. ${elapsed.toFixed(0)} s in all.`,
      '',
      `| writes | 5xx | wrong 401s | unanswered | audit rows missing | samples made | stored | lost | requests counted twice |`,
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      `| ${tally.writes} | ${tally.serverErrors} | ${tally.unauthorized} | ${tally.unanswered} | ${tally.auditMissing} | ${tally.samplesMade} | ${tally.samplesStored} | ${tally.samplesLost} | ${tally.rollupExcess} |`,
      '',
      `Answers by request and status: ${describeAnswers(tally)}.`,
    ].join('\n'),
  );
  if (
    tally.serverErrors +
      tally.unauthorized +
      tally.unanswered +
      tally.auditMissing +
      tally.samplesLost +
      Math.abs(tally.rollupExcess) >
    0
  ) {
    console.error(`server output, last part:\n${running.output().slice(-5000)}`);
    process.exitCode = 1;
  }
} finally {
  await stopPrescale(running);
  await rm(dataDir, { recursive: true, force: true });
}
