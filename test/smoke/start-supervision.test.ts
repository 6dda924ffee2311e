// `prescale start` owns its embedded servers: they end with it however it ends, it never attaches
// to a server that is not its data directory's, and its shutdown is bounded (issue 18).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { TASK_QUEUES } from '../../src/domain/task-queues.js';
import { isPortFree, portHolder, processArgs } from '../../src/infra/processes.js';
import { startTemporalDevServer } from '../../src/infra/temporal.js';
import {
  descendants,
  exitCode,
  isAlive,
  startEnv,
  startPorts,
  startPrescale,
  stopPrescale,
  waitReady,
  type RunningStart,
} from '../support/prescale-start.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-supervision-'));
  dirs.push(dir);
  return dir;
}

/** Waits until every pid is gone and every port free; resolves with how long that took. */
async function allGone(pids: number[], ports: number[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  await waitFor(
    () => `processes ${pids.filter(isAlive).join(', ')} to end and ports ${ports.join(', ')} to be free`,
    async () => {
      if (pids.some(isAlive)) return false;
      return (await Promise.all(ports.map(isPortFree))).every(Boolean);
    },
    timeoutMs,
    200,
  );
  return Date.now() - started;
}

async function commands(pids: number[]): Promise<string[]> {
  return Promise.all(pids.map(async (pid) => (await processArgs(pid)).join(' ')));
}

describe('prescale start supervises its embedded servers', () => {
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('leaves nothing behind when SIGKILLed, and starts again on the same data directory, ending a server left there', async () => {
    const dataDir = await tempDir();
    const env = await startEnv(dataDir);
    const api = `http://127.0.0.1:${env.PORT}`;
    const first = startPrescale(env);
    let keepAlive: RunningStart | undefined;
    try {
      await waitReady(api, first);
      const key = await waitFor(
        'the first admin key',
        () => Promise.resolve(/psk_[0-9a-f]{16}_[\w-]{43}/.exec(first.output())?.[0]),
        30_000,
      );
      const created = await fetch(`${api}/v1/resource-sets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ id: 'web', provider: 'local', minInstances: 1, maxInstances: 3 }),
      });
      assert.equal(created.status, 201);
      // The demo's and web's instances are the local cloud's children: they must end too.
      const before = await waitFor(
        'an instance of the local cloud running',
        async () => {
          const pids = await descendants(first.child.pid!);
          return (await commands(pids)).some((c) => c.includes('sample-service/main.ts')) && pids;
        },
        60_000,
      );
      const running = await commands(before);
      for (const server of ['tether.ts', 'server start-dev', 'pglite-server.ts', 'local/main.ts', 'agent/main.ts']) {
        assert.ok(
          running.some((c) => c.includes(server)),
          `${server} runs under prescale start:\n${running.join('\n')}`,
        );
      }

      first.child.kill('SIGKILL');
      await exitCode(first);
      const tookMs = await allGone(before, startPorts(env), 10_000);
      assert.ok(tookMs <= 10_000, `everything ended within 10 s (took ${tookMs} ms)`);

      // A Temporal server on this data directory's database that outlived its supervisor (here
      // one we start ourselves): the next start ends it and runs its own.
      const leftover = await startTemporalDevServer({
        dataDir,
        port: Number(env.TEMPORAL_PORT),
        uiPort: Number(env.TEMPORAL_UI_PORT),
        namespace: 'default',
        progress: () => undefined,
      });
      const second = startPrescale(env);
      keepAlive = second;
      await waitReady(api, second);
      assert.match(
        second.output(),
        /ending the embedded Temporal server left behind by an earlier run of this data directory/,
      );
      assert.notEqual(await leftover.child.exited, undefined, 'the leftover server has ended');
      const got = await fetch(`${api}/v1/resource-sets/web`, { headers: { authorization: `Bearer ${key}` } });
      assert.equal(got.status, 200, 'the resource set made before the SIGKILL is still there');
      const children = await descendants(second.child.pid!);
      assert.equal(await stopPrescale(second), 0, second.output());
      keepAlive = undefined;
      await allGone(children, startPorts(env), 30_000);
    } finally {
      if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL');
      if (keepAlive) await stopPrescale(keepAlive);
    }
  });

  it('ends a wedged shutdown at its deadline, saying what it cut short', async () => {
    const dataDir = await tempDir();
    const env: NodeJS.ProcessEnv = {
      ...(await startEnv(dataDir)),
      PRESCALE_DEMO: 'false',
      SHUTDOWN_DEADLINE_SECONDS: '4',
      LOG_LEVEL: 'info',
    };
    const running = startPrescale(env);
    let frozen: number | undefined;
    try {
      await waitReady(`http://127.0.0.1:${env.PORT}`, running);
      const children = await descendants(running.child.pid!);
      // A Temporal server that no longer answers: the workers' shutdown waits on it.
      frozen = (await portHolder(Number(env.TEMPORAL_PORT)))!.pid;
      process.kill(frozen, 'SIGSTOP');
      const started = Date.now();
      running.child.kill('SIGINT');
      const code = await exitCode(running);
      const tookMs = Date.now() - started;
      assert.equal(code, 1, running.output());
      // The deadline, plus the last grace the children get, plus slack for a busy machine.
      assert.ok(tookMs < 4_000 + 3_000 + 3_000, `stopped within its deadline (took ${tookMs} ms)`);
      assert.match(
        running.output(),
        /shutdown did not finish within 4 s: cut short stopping the API and workers, local-cloud, pglite, temporal/,
      );
      await allGone(children, startPorts(env), 5_000);
    } finally {
      if (frozen !== undefined && isAlive(frozen)) {
        process.kill(frozen, 'SIGCONT');
        process.kill(frozen, 'SIGKILL');
      }
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
    }
  });

  it("refuses a Temporal port held by another data directory's server, which gets no task from it", async () => {
    const otherDir = await tempDir();
    const other = await startTemporalDevServer({
      dataDir: otherDir,
      port: await freePort(),
      uiPort: await freePort(),
      namespace: 'default',
      progress: () => undefined,
    });
    const connection = await Connection.connect({ address: other.address });
    try {
      const client = new Client({ connection });
      const handle = await client.workflow.start('resourceSetWorkflow', {
        taskQueue: TASK_QUEUES.main,
        workflowId: 'resource-set-bar',
        args: [],
      });

      const dataDir = await tempDir();
      const env: NodeJS.ProcessEnv = { ...(await startEnv(dataDir)), TEMPORAL_PORT: other.address.split(':')[1] };
      const refused = startPrescale(env);
      const code = await exitCode(refused);
      assert.equal(code, 1, refused.output());
      const line = refused.output().trim();
      assert.equal(line.split('\n').length, 1, `one line:\n${line}`);
      assert.match(
        line,
        new RegExp(
          `^prescale start: port ${env.TEMPORAL_PORT} \\(the embedded Temporal server\\) is taken by pid \\d+ \\(.*temporal server start-dev .*\\): ` +
            `its --db-filename is ${path.join(otherDir, 'temporal.db')}, not this data directory's ${path.join(dataDir, 'temporal.db')}; stop it or set TEMPORAL_PORT$`,
        ),
      );

      const { events } = await handle.fetchHistory();
      assert.ok(
        !events?.some((e) => e.workflowTaskStartedEventAttributes),
        'no worker took a workflow task of the other directory',
      );
      const queue = await connection.workflowService.describeTaskQueue({
        namespace: 'default',
        taskQueue: { name: TASK_QUEUES.main },
        taskQueueType: 1,
      });
      assert.deepEqual(queue.pollers, [], 'no worker ever polled the other server');
      assert.ok(await isPortFree(Number(env.PORT)), 'nothing of ours is left listening');
    } finally {
      await connection.close();
      await other.child.stop();
    }
  });
});
