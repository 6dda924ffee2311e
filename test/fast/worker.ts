// The fast layer's worker: a workflow bundle and in-memory activities on the test run's Temporal
// server, on a task queue of the calling file's own, for the tests of that file.
import { after, before } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { TEMPORAL_ADDRESS, uniqueId } from '../support/api.js';

export function fastWorkerOn(
  workflowsPath: string,
  activities: object,
  queuePrefix: string,
): { client: () => Client; taskQueue: string } {
  const taskQueue = uniqueId(queuePrefix);
  let connection: Connection;
  let client: Client;
  let nativeConnection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  before(async () => {
    nativeConnection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS });
    worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowsPath, activities });
    running = worker.run();
    connection = await Connection.connect({ address: TEMPORAL_ADDRESS });
    client = new Client({ connection });
  });
  after(async () => {
    worker.shutdown();
    await running;
    await connection.close();
    await nativeConnection.close();
  });
  return { client: () => client, taskQueue };
}
