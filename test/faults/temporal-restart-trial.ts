import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { resourceSetSpecSchema, workflowIdFor } from '../../src/domain/resource-set.js';
import { TASK_QUEUES } from '../../src/domain/task-queues.js';
import { ensureSearchAttributes, startTemporalDevServer } from '../../src/infra/temporal.js';
import { LocalProvider } from '../../src/providers/local/client.js';
import { startLocalCloud } from '../../src/providers/local/start-local-cloud.js';
import { FolderObjectStore } from '../../src/store/objects/folder.js';
import { providerRegistry } from '../../src/workers/system.js';
import { createWorker } from '../../src/workers/workers.js';
import { stateQuery } from '../../src/workflows/resource-set-messages.js';
import { resourceSetWorkflow } from '../../src/workflows/resource-set.js';
import { ResourceSetId } from '../../src/domain/search-attributes.js';
import { createTestDatabase } from '../support/db.js';
import {
  byLaunch,
  describeOutcome,
  isAlive,
  isServing,
  missingIterations,
  recordedDecisions,
  type TrialOutcome,
} from '../support/faults.js';
import { freePort } from '../support/ports.js';
import { waitFor } from '../support/wait.js';

const INSTANCES = 2;
const INTERVAL_SECONDS = 5;
/** Iterations each loop must complete after the restart to count as continuing. */
const AFTER_RESTART = 3;

/**
 * A Temporal dev server of our own (the run's is shared), its state in a file: loops run on it,
 * the server is SIGKILLed mid-loop, stays down `downSeconds`, and starts again on the same file
 * and port. A trial per loop: it continues where it was, no instance twice, no iteration lost.
 */
export async function temporalRestartTrial(options: {
  loops: number;
  downSeconds: number;
  log?: (line: string) => void;
}): Promise<TrialOutcome[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'prescale-temporal-restart-'));
  const ports = { port: await freePort(), uiPort: await freePort() };
  const startServer = () =>
    startTemporalDevServer({ dataDir: dir, ...ports, namespace: 'default', progress: () => undefined });
  let server = await startServer();
  const database = await createTestDatabase();
  const agentSecret = randomBytes(24).toString('base64url');
  // No control-plane API here: the agents' pushes go nowhere and they buffer; the loops need none.
  const cloud = await startLocalCloud({
    port: await freePort(),
    lbPort: await freePort(),
    stateDir: path.join(dir, 'cloud'),
    logDir: path.join(dir, 'logs'),
    ingestUrl: `http://127.0.0.1:${await freePort()}`,
    agentSecret,
    bootDelaySeconds: 1,
    stopInstancesOnExit: true,
  });
  const provider = new LocalProvider({ url: cloud.apiUrl, token: cloud.token });
  const connection = await Connection.connect({ address: server.address });
  await ensureSearchAttributes(connection, 'default');
  const client = new Client({ connection });
  const native = await NativeConnection.connect({ address: server.address });
  const deps = {
    db: database.db,
    objects: new FolderObjectStore(path.join(dir, 'objects')),
    pollMs: 500,
    agentSecret,
    providerFor: providerRegistry({ localCloudUrl: cloud.apiUrl, localCloudToken: cloud.token }),
  };
  const workers = await Promise.all(
    (['main', 'forecast'] as const).map((queue) =>
      createWorker({ connection: native, namespace: 'default', queue, deps }),
    ),
  );
  const runs = workers.map((w) => w.run());
  try {
    const loops = await Promise.all(
      Array.from({ length: options.loops }, async (_, k) => {
        const spec = resourceSetSpecSchema.parse({
          id: `restart-${k + 1}-${randomBytes(3).toString('hex')}`,
          provider: 'local',
          minInstances: INSTANCES,
          maxInstances: INSTANCES,
          policy: { intervalSeconds: INTERVAL_SECONDS },
        });
        const handle = await client.workflow.start(resourceSetWorkflow, {
          workflowId: workflowIdFor(spec.id),
          taskQueue: TASK_QUEUES.main,
          args: [{ spec }],
          typedSearchAttributes: [{ key: ResourceSetId, value: spec.id }],
        });
        return { id: spec.id, handle, startedAt: Date.now() };
      }),
    );
    // Mid-loop: every loop has scaled out and recorded a decision; the next iterations are due.
    await waitFor(
      'every loop serving and recording',
      async () => {
        const ready = await Promise.all(
          loops.map(
            async ({ id }) =>
              (await provider.describeInstances(id)).filter(isServing).length === INSTANCES &&
              (await recordedDecisions(database.db, id)).iterations.length >= 2,
          ),
        );
        return ready.every(Boolean);
      },
      120_000,
      1_000,
    );
    // A crash of the server: its whole process group (the tether and the Temporal CLI under it).
    process.kill(-server.child.process.pid!, 'SIGKILL');
    await server.child.exited;
    const killedAt = Date.now();
    const before = await Promise.all(
      loops.map(async ({ id }) => Math.max(...(await recordedDecisions(database.db, id)).iterations)),
    );
    options.log?.(`Temporal dev server killed; loops had recorded iterations ${before.join(', ')}`);
    await sleep(options.downSeconds * 1000);
    server = await startServer();

    return await Promise.all(
      loops.map(async ({ id, handle, startedAt }, k): Promise<TrialOutcome> => {
        const problems: string[] = [];
        const continued = await waitFor(
          `loop ${id} past iteration ${before[k]! + AFTER_RESTART}`,
          async () => Math.max(...(await recordedDecisions(database.db, id)).iterations) >= before[k]! + AFTER_RESTART,
          120_000,
          1_000,
        ).catch((err: Error) => {
          problems.push(err.message);
          return false;
        });
        const { status } = await handle.describe();
        if (status.name !== 'RUNNING') problems.push(`workflow ${status.name}`);
        const state = await handle.query(stateQuery);
        const all = (await provider.describeInstances(id)).sort(byLaunch);
        const { iterations, provisioned } = await recordedDecisions(database.db, id);
        const alive = all.filter(isAlive);
        const outcome: TrialOutcome = {
          trial: `Temporal restart, loop ${k + 1} (${id})`,
          killAfterMs: killedAt - startedAt,
          completed:
            continued &&
            status.name === 'RUNNING' &&
            state.currentInstances === INSTANCES &&
            alive.length === INSTANCES,
          duplicated: all.slice(INSTANCES).map((i) => i.id),
          leaked: alive.filter((i) => !provisioned.has(i.id)).map((i) => i.id),
          lost: missingIterations(iterations),
          problems,
        };
        options.log?.(describeOutcome(outcome));
        return outcome;
      }),
    );
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.all(runs);
    await native.close();
    await connection.close();
    await cloud.child.stop();
    await server.child.stop();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
}
