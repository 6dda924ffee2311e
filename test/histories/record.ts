// Records histories of real workflow runs into test/histories/ for test/replay.test.ts. Run it
// when a workflow gains a deliberate, patched() change — never to paper over a replay failure:
//   TEST_TEMPORAL_ADDRESS=127.0.0.1:7233 node --import tsx test/histories/record.ts --suffix <patch id>
// against a running dev server (`temporal server start-dev`) and the test Postgres. The suffix
// names the new files (`<workflow id>.<suffix>.json`) so they sit beside the older ones: running
// workflows may still be on any recorded code path, so every one keeps being replayed.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { resourceSetSpecSchema, workflowIdFor } from '../../src/domain/resource-set.js';
import { pauseSignal } from '../../src/workflows/resource-set-messages.js';
import { resourceSetWorkflow } from '../../src/workflows/resource-set.js';
import { startTestApi } from '../support/api.js';
import { waitFor } from '../support/wait.js';

const {
  values: { suffix },
} = parseArgs({ options: { suffix: { type: 'string' } } });
const fileOf = (workflowId: string): URL => new URL(`${workflowId}${suffix ? `.${suffix}` : ''}.json`, import.meta.url);
const api = await startTestApi({ fleet: { bootDelaySeconds: 1 } });
const policy = {
  intervalSeconds: 5,
  leadTimeSeconds: 30,
  seasonSeconds: 600,
  scaleInStabilizationSeconds: 10,
  maxScaleInStep: 1,
};
const decisions = async (id: string) =>
  (await api.request('GET', `/v1/resource-sets/${id}/decisions?limit=100`)).body.items as unknown[];
try {
  // A loop that scales out, is paused, changes policy, is pinned, resumes, scales in and stops.
  const id = 'replay-lifecycle';
  await api.request('POST', '/v1/resource-sets', { id, provider: 'local', minInstances: 1, maxInstances: 3, policy });
  await waitFor('first decisions', async () => (await decisions(id)).length >= 2, 60_000);
  await api.request('POST', `/v1/resource-sets/${id}/pause`);
  await api.request('PATCH', `/v1/resource-sets/${id}/policy`, { minInstances: 2 });
  await api.request('POST', `/v1/resource-sets/${id}/scale`, { count: 3, ttlSeconds: 20 });
  await api.request('POST', `/v1/resource-sets/${id}/resume`);
  await waitFor('more decisions', async () => (await decisions(id)).length >= 8, 120_000);
  await api.request('DELETE', `/v1/resource-sets/${id}?deprovision=true`);
  await api.ctx.temporal.client.workflow.getHandle(workflowIdFor(id)).result();

  // A loop in forecast-only mode, and one that continues as new.
  const quiet = 'replay-forecast-only';
  await api.request('POST', '/v1/resource-sets', {
    id: quiet,
    provider: 'local',
    minInstances: 0,
    maxInstances: 2,
    policy: { ...policy, mode: 'forecast-only' },
  });
  await waitFor('forecast-only decisions', async () => (await decisions(quiet)).length >= 3, 60_000);
  await api.request('DELETE', `/v1/resource-sets/${quiet}`);
  await api.ctx.temporal.client.workflow.getHandle(workflowIdFor(quiet)).result();

  // A loop that continues as new after every iteration: its first run ends in ContinueAsNew.
  const chain = 'replay-continue-as-new';
  const spec = resourceSetSpecSchema.parse({ id: chain, provider: 'local', minInstances: 0, maxInstances: 1, policy });
  const started = await api.ctx.temporal.client.workflow.start(resourceSetWorkflow, {
    workflowId: workflowIdFor(chain),
    taskQueue: api.ctx.temporal.taskQueue,
    args: [{ spec, iterationsPerRun: 1 }],
  });
  await started.signal(pauseSignal);
  await waitFor('a second run', async () => (await started.describe()).runId !== started.firstExecutionRunId, 60_000);
  await started.terminate('recorded');
  const first = await api.ctx.temporal.client.workflow
    .getHandle(workflowIdFor(chain), started.firstExecutionRunId)
    .fetchHistory();
  await writeFile(fileOf(workflowIdFor(chain)), historyToJSON(first));

  for (const name of [id, quiet]) {
    const history = await api.ctx.temporal.client.workflow.getHandle(workflowIdFor(name)).fetchHistory();
    await writeFile(fileOf(workflowIdFor(name)), historyToJSON(history));
    console.log(`recorded ${workflowIdFor(name)}: ${history.events?.length} events`);
  }
} finally {
  await api.close();
}
