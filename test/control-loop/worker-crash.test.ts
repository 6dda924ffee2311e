import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { resourceSetSpecSchema, workflowIdFor } from '../../src/domain/resource-set.js';
import { LocalProvider } from '../../src/providers/local/client.js';
import { resourceSetWorkflow } from '../../src/workflows/resource-set.js';
import { startTestApi, TEMPORAL_ADDRESS, uniqueId, type TestApi } from '../support/api.js';
import { waitFor } from '../support/wait.js';

const WORKER = new URL('../support/worker-process.ts', import.meta.url).pathname;

describe('a worker killed during provisioning (real processes)', () => {
  let api: TestApi;
  const taskQueue = `test-crash-${randomBytes(4).toString('hex')}`;
  const workers: ChildProcess[] = [];
  before(async () => {
    api = await startTestApi({ fleet: { bootDelaySeconds: 8 } });
  });
  after(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await api.close();
  });

  async function startWorker(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS,
        DATABASE_URL: api.database.url,
        LOCAL_CLOUD_URL: api.cloud!.apiUrl,
        PRESCALE_AGENT_SECRET: api.ctx.agentSecret,
        OBJECTS_DIR: os.tmpdir(),
        TASK_QUEUE: taskQueue,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    workers.push(child);
    const [line] = (await once(child.stdout, 'data')) as [Buffer];
    assert.match(line.toString(), /ready/);
    return child;
  }

  it('restarted, it resumes with the same idempotency key: no extra instance', async () => {
    const id = uniqueId('crash');
    const cloud = new LocalProvider({ url: api.cloud!.apiUrl, token: api.cloud!.token });
    const alive = async () => (await cloud.describeInstances(id)).filter((i) => i.state !== 'terminated');
    const first = await startWorker();
    const spec = resourceSetSpecSchema.parse({
      id,
      provider: 'local',
      minInstances: 3,
      maxInstances: 5,
      policy: { intervalSeconds: 5 },
    });
    const handle = await api.ctx.temporal.client.workflow.start(resourceSetWorkflow, {
      workflowId: workflowIdFor(id),
      taskQueue,
      args: [{ spec }],
    });
    // Kill the worker while provision waits for the launched instances to boot (8 s).
    await waitFor('the launch to reach the cloud', async () => (await alive()).length === 3, 60_000, 200);
    assert.ok(
      (await alive()).every((i) => i.state === 'pending'),
      'killed before the instances were ready',
    );
    first.kill('SIGKILL');
    await once(first, 'exit');

    await startWorker();
    const d = await waitFor(
      'the provisioning decision',
      async () => {
        const { rows } = await api.database.db.query<{ actions: { kind: string; count: number }[] }>(
          "SELECT actions FROM decisions WHERE resource_set_id = $1 AND actions::text LIKE '%provision%'",
          [id],
        );
        return rows[0];
      },
      150_000,
      1_000,
    );
    assert.equal(d.actions[0]!.count, 3);
    await new Promise((r) => setTimeout(r, 12_000));
    const instances = await alive();
    assert.equal(
      instances.length,
      3,
      `exactly the 3 instances of the first launch: ${instances.map((i) => i.id).join(', ')}`,
    );
    assert.ok(instances.every((i) => i.state === 'running' && i.healthy));
    await handle.terminate('test over');
  });
});
